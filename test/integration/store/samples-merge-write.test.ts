import { ListObjectsCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { countCalls } from '../../../bench/call-counter.js';
import { createStore, type SampleItem, type Store, sampleKey } from '../../../lib/store/index.js';
import { classification, imageSample, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

/** A fresh table whose store counts its DynamoDB calls (own clients: no other test's). */
async function countedStore() {
  const local = await aws.newStore();
  const clients = aws.newClients();
  const counter = await countCalls(clients);
  const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
  const dynamodbCalls = () =>
    [...counter.counts]
      .filter(([command]) => command.startsWith('dynamodb '))
      .flatMap(([command, { calls }]) => Array<string>(calls).fill(command.slice(9)));
  return { local, store, counter, dynamodbCalls };
}

/** The sample and the item it was read from, as a page merge reads them. */
async function readForMerge(store: Store, sampleId: string) {
  const [read] = await store.samples.findManyForMerge('d', [sampleId]);
  if (read === undefined) throw new Error(`no sample ${sampleId}`);
  return read;
}

async function rawItem(local: LocalStore, sampleId: string) {
  const output = await local.clients.doc.send(
    new GetCommand({ TableName: local.tableName, Key: sampleKey('d', sampleId) }),
  );
  return output.Item;
}

async function blobCount(local: LocalStore): Promise<number> {
  const output = await (await local.clients.s3.get()).send(
    new ListObjectsCommand({ Bucket: local.bucket, Prefix: 'blobs/' }),
  );
  return output.Contents?.length ?? 0;
}

/** A Segmentation of `rows` × 600 pixels: 500 rows is ~900 KB as a DynamoDB map. */
function segmentation(rows: number): Record<string, unknown> {
  const mask = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: 600 }, (_, c) => (r * 7 + c * 3) % 10),
  );
  return { _cls: 'Segmentation', id: oid(9), mask };
}

const cat = { label: classification(oid(1), 'cat') };
const dog = { label: classification(oid(2), 'dog') };

// Every outcome must be the same whether applyMerge reads the sample or is handed the item a
// page merge read: only the calls differ.
describe.each([
  { way: 'reading the sample itself', given: false, firstCalls: ['GetItem', 'UpdateItem'] },
  { way: 'given the item the caller read', given: true, firstCalls: ['UpdateItem'] },
])('SampleRepository.applyMerge $way', ({ given, firstCalls }) => {
  const current = (read: { item: SampleItem }) => (given ? read.item : undefined);

  it('writes the fields and the token', async () => {
    const { store, counter, dynamodbCalls } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    counter.reset();

    const result = await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    expect(dynamodbCalls()).toEqual(firstCalls);
    expect(result).toEqual({ applied: true, version: 1 });
    expect((await store.samples.get('d', 's1')).sample.label).toEqual(cat.label);
  });

  it('writes once when the same token comes again with the same read', async () => {
    const { store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    const again = await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    expect(again).toEqual({ applied: false, version: 1 });
    expect((await store.samples.get('d', 's1')).version).toBe(1);
  });

  it('writes once when the same token runs twice at once', async () => {
    const { store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');

    const results = await Promise.all([
      store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read)),
      store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read)),
    ]);

    expect(results.map((each) => each.applied).sort()).toEqual([false, true]);
    expect((await store.samples.get('d', 's1')).version).toBe(1);
  });

  it('answers applied: false to a retry even after another merge moved the version on', async () => {
    const { store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));
    await store.samples.applyMerge('d', 's1', { other: classification(oid(3), 'x') }, 'm2', 1);

    const retry = await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    expect(retry).toEqual({ applied: false, version: 2 });
  });

  it('refuses a merge read at a version the sample has left with VERSION_CONFLICT', async () => {
    const { store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    await store.samples.applyMerge('d', 's1', cat, 'm1', 0);

    const stale = store.samples.applyMerge('d', 's1', dog, 'm2', 0, current(read));

    await expect(stale).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { expectedVersion: 0, actualVersion: 1 },
    });
    expect((await store.samples.get('d', 's1')).sample.label).toEqual(cat.label);
  });

  it.each([
    { how: 'replaced', deleteFirst: false },
    { how: 'deleted and re-created', deleteFirst: true },
  ])(
    'refuses a merge read before the sample was $how with VERSION_CONFLICT, though at the same version',
    async ({ deleteFirst }) => {
      const { local, store } = await countedStore();
      await store.samples.put('d', imageSample('s1'));
      const read = await readForMerge(store, 's1');
      if (deleteFirst) {
        await local.clients.doc.send(
          new DeleteCommand({ TableName: local.tableName, Key: sampleKey('d', 's1') }),
        );
      }
      await store.samples.put('d', { ...imageSample('s1'), label: dog.label });

      const stale = store.samples.applyMerge(
        'd',
        's1',
        cat,
        'm1',
        0,
        current(read),
        given ? undefined : read.item.generation,
      );

      await expect(stale).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
        message: expect.stringContaining('was replaced since it was read'),
        details: { expectedVersion: 0, actualVersion: 0, replaced: true },
      });
      expect(await store.samples.get('d', 's1')).toMatchObject({
        version: 0,
        sample: { label: dog.label },
      });
    },
  );

  it('answers SAMPLE_NOT_FOUND for a sample deleted after it was read, creating nothing', async () => {
    const { local, store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    await local.clients.doc.send(
      new DeleteCommand({ TableName: local.tableName, Key: sampleKey('d', 's1') }),
    );

    const gone = store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    await expect(gone).rejects.toMatchObject({ code: 'SAMPLE_NOT_FOUND' });
    expect(await rawItem(local, 's1')).toBeUndefined();
  });

  it('moves a field that takes the item past the inline limit to S3', async () => {
    const { local, store } = await countedStore();
    await store.samples.put('d', imageSample('s1', { small: segmentation(10) }));
    const read = await readForMerge(store, 's1');
    const mask = segmentation(500);

    await store.samples.applyMerge('d', 's1', { mask }, 'm1', 0, current(read));

    expect((await rawItem(local, 's1'))?.data.mask).toHaveProperty('$ref');
    expect((await rawItem(local, 's1'))?.data.small).toEqual(segmentation(10));
    expect((await store.samples.get('d', 's1')).sample.mask).toEqual(mask);
  });

  it('sizes the write with the fields already in S3 counted as their pointers', async () => {
    const { local, store } = await countedStore();
    await store.samples.put('d', imageSample('s1', { mask: segmentation(500) }));
    const read = await readForMerge(store, 's1');

    await store.samples.applyMerge('d', 's1', cat, 'm1', 0, current(read));

    expect(await blobCount(local)).toBe(1);
    expect((await rawItem(local, 's1'))?.data.mask).toHaveProperty('$ref');
    expect((await store.samples.get('d', 's1')).sample.mask).toEqual(segmentation(500));
  });

  it('refuses with ITEM_TOO_LARGE bulk no label field can move, writing nothing', async () => {
    const { local, store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');
    const tags = Array.from({ length: 5_000 }, (_, i) => `tag-${i}-${'x'.repeat(90)}`);

    const attempt = store.samples.applyMerge('d', 's1', { tags }, 'm1', 0, current(read));

    await expect(attempt).rejects.toMatchObject({ code: 'ITEM_TOO_LARGE' });
    expect((await store.samples.get('d', 's1')).version).toBe(0);
    expect(await blobCount(local)).toBe(0);
  });
});

describe('SampleRepository.applyMerge with the item the caller read', () => {
  it('refuses an item of another generation than the one expected with INVALID_INPUT', async () => {
    const { store } = await countedStore();
    await store.samples.put('d', imageSample('s1'));
    const read = await readForMerge(store, 's1');

    const attempt = store.samples.applyMerge(
      'd',
      's1',
      cat,
      'm1',
      0,
      read.item,
      'f00dfeedf00dfeed',
    );

    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("of generation 'f00dfeedf00dfeed'"),
    });
    expect((await store.samples.get('d', 's1')).version).toBe(0);
  });

  it.each([
    { mismatch: 'another sample', sampleId: 's2', version: 0 },
    { mismatch: 'another version', sampleId: 's1', version: 1 },
  ])('refuses the item of $mismatch with INVALID_INPUT, writing nothing', async (wrong) => {
    const { store } = await countedStore();
    await store.samples.batchPut('d', [imageSample('s1'), imageSample('s2')]);
    const read = await readForMerge(store, wrong.sampleId);

    const attempt = store.samples.applyMerge('d', 's1', cat, 'm1', wrong.version, read.item);

    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^Invalid current item: it is the sample 's\d' .* at version/),
    });
    expect((await store.samples.get('d', 's1')).version).toBe(0);
  });
});

describe('SampleRepository.findManyForMerge', () => {
  it('reads as findMany does, in one BatchGetItem, each sample with its stored item', async () => {
    const { store, counter, dynamodbCalls } = await countedStore();
    await store.samples.batchPut('d', [imageSample('s1', cat), imageSample('s2')]);
    counter.reset();

    const read = await store.samples.findManyForMerge('d', ['s2', 'gone', 's1']);

    expect(dynamodbCalls()).toEqual(['BatchGetItem']);
    expect(read.map((each) => each && { ...each, item: undefined })).toEqual(
      (await store.samples.findMany('d', ['s2', 'gone', 's1'])).map(
        (each) => each && { ...each, item: undefined },
      ),
    );
    expect(read[2]?.item).toMatchObject({ dataset: 'd', sampleId: 's1', version: 0, data: cat });
  });
});
