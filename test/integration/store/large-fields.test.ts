import { ListObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemSize, MAX_ITEM_BYTES, sampleKey } from '../../../lib/store/index.js';
import { classification, imageSample, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

/** A Segmentation whose mask is `rows` × `cols` pixels, about 2 bytes of JSON each. */
function segmentation(rows: number, cols: number, seed = 0): Record<string, unknown> {
  const mask = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => (r * 7 + c * 3 + seed) % 10),
  );
  return { _cls: 'Segmentation', id: oid(9), mask };
}

async function rawItem(local: LocalStore, dataset: string, sampleId: string) {
  const output = await local.clients.doc.send(
    new GetCommand({ TableName: local.tableName, Key: sampleKey(dataset, sampleId) }),
  );
  return output.Item;
}

async function blobKeys(local: LocalStore): Promise<string[]> {
  const output = await (await local.clients.s3.get()).send(
    new ListObjectsCommand({ Bucket: local.bucket, Prefix: 'blobs/' }),
  );
  return (output.Contents ?? []).map((object) => object.Key ?? '');
}

// 500 × 600 pixels: ~600 KB of JSON, ~900 KB as a DynamoDB map.
const bigMask = segmentation(500, 600);

describe('Large label fields', () => {
  it('round-trips a 600 KB mask field through S3 transparently', async () => {
    const local = await aws.newStore();
    expect(JSON.stringify(bigMask).length).toBeGreaterThan(600_000);
    const sample = imageSample('s1', { mask: bigMask, label: classification(oid(1), 'road') });

    await local.store.samples.put('d', sample);

    expect((await local.store.samples.get('d', 's1')).sample).toEqual(sample);
    const item = await rawItem(local, 'd', 's1');
    expect(item?.data.mask).toEqual({
      $ref: {
        bucket: local.bucket,
        key: expect.stringMatching(/^blobs\/d\/s1\/mask\/[0-9a-f]{64}\.json$/),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(item?.data.label).toEqual(classification(oid(1), 'road'));
  });

  it('keeps small label fields inline, with no blob written', async () => {
    const local = await aws.newStore();

    await local.store.samples.put('d', imageSample('s1', { mask: segmentation(10, 10) }));

    expect((await rawItem(local, 'd', 's1'))?.data.mask).toEqual(segmentation(10, 10));
    expect(await blobKeys(local)).toEqual([]);
  });

  it('writes one blob however often the same large value is written', async () => {
    const local = await aws.newStore();
    const sample = imageSample('s1', { mask: bigMask });

    await local.store.samples.put('d', sample);
    await local.store.samples.put('d', sample);
    await local.store.samples.batchPut('d', [sample]);

    expect(await blobKeys(local)).toHaveLength(1);
  });

  it('moves a large value set by an update to S3 and resolves it on read', async () => {
    const local = await aws.newStore();
    await local.store.samples.put('d', imageSample('s1'));

    const updated = await local.store.samples.updateFields('d', 's1', { mask: bigMask }, 0);

    expect(updated.sample.mask).toEqual(bigMask);
    expect((await rawItem(local, 'd', 's1'))?.data.mask).toHaveProperty('$ref');
  });

  it('resolves large fields in listed pages too', async () => {
    const local = await aws.newStore();
    await local.store.samples.put('d', imageSample('s1', { mask: bigMask }));

    const page = await local.store.samples.list('d');

    expect(page.items[0]?.sample.mask).toEqual(bigMask);
  });

  it('refuses an oversize item whose bulk is not a label field, writing nothing', async () => {
    const local = await aws.newStore();
    const tags = Array.from({ length: 5_000 }, (_, i) => `tag-${i}-${'x'.repeat(90)}`);

    const attempt = local.store.samples.put('d', imageSample('s1', { mask: bigMask, tags }));

    await expect(attempt).rejects.toMatchObject({
      name: 'StoreError',
      code: 'ITEM_TOO_LARGE',
      message: expect.stringMatching(
        /^The sample 's1' of dataset 'd' is \d+ KB even with its label fields in S3; items hold at most 350 KB \(largest fields: tags \d+ KB/,
      ),
    });
    expect(await rawItem(local, 'd', 's1')).toBeUndefined();
    expect(await blobKeys(local)).toEqual([]);
  });

  it('fails loudly, as corrupt data, when a blob no longer matches its pointer', async () => {
    const local = await aws.newStore();
    await local.store.samples.put('d', imageSample('s1', { mask: bigMask }));
    const [key] = await blobKeys(local);
    await (await local.clients.s3.get()).send(
      new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: '{"tampered":true}' }),
    );

    await expect(local.store.samples.get('d', 's1')).rejects.toMatchObject({
      name: 'CorruptStoreDataError',
      message: expect.stringContaining('blob hash mismatch'),
    });
  });

  it('deletes a dataset’s blobs with the dataset', async () => {
    const local = await aws.newStore();
    await local.store.datasets.create('d', { mediaType: 'image', sampleFields: {} });
    await local.store.samples.put('d', imageSample('s1', { mask: bigMask }));

    await local.store.datasets.delete('d');

    expect(await blobKeys(local)).toEqual([]);
  });
});

/** An item shaped like a sample with a mask, grown until its estimate is `target` bytes. */
function itemOfEstimate(target: number): Record<string, unknown> {
  // Values 0-255 as a mask has them: 1, 2 and 3 stored bytes, with and without padding.
  const row = Array.from({ length: 100 }, (_, i) => (i * 37) % 256);
  const rowBytes = itemSize({ x: [row] }) - itemSize({ x: [] });
  const rows: number[][] = [];
  const item: Record<string, unknown> = {
    pk: 'DS#d',
    sk: 'S#s1',
    data: { id: 's1', filepath: 's3://m/a.jpg', mask: { _cls: 'Segmentation', mask: rows } },
    version: 12,
    pad: '',
  };
  let size = itemSize(item);
  while (size + rowBytes < target) {
    rows.push(row);
    size += rowBytes;
  }
  item.pad = 'p'.repeat(target - itemSize(item));
  expect(itemSize(item)).toBe(target);
  return item;
}

describe('Item size estimate', () => {
  it('accepts what DynamoDB accepts just under the 400 KB limit', async () => {
    const { clients, tableName } = await aws.newStore();
    const item = itemOfEstimate(MAX_ITEM_BYTES - 4);

    await expect(
      clients.doc.send(new PutCommand({ TableName: tableName, Item: item })),
    ).resolves.toBeDefined();
  });

  it('refuses what DynamoDB refuses just over the 400 KB limit', async () => {
    const { clients, tableName } = await aws.newStore();
    const item = itemOfEstimate(MAX_ITEM_BYTES + 4);

    await expect(
      clients.doc.send(new PutCommand({ TableName: tableName, Item: item })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/item size/i),
    });
  });
});
