import { describe, expect, it } from 'vitest';
import { classification, detection, detections, imageSample, oid } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

describe('SampleRepository', () => {
  it('puts a sample at version 0 and gets it back as FiftyOne JSON', async () => {
    const { store } = await aws.newStore();
    const sample = imageSample('s1', { ground_truth: detections(detection(oid(1), 'car')) });

    await store.samples.put('d', sample);

    expect(await store.samples.get('d', 's1')).toMatchObject({ dataset: 'd', sample, version: 0 });
  });

  it('reports a missing sample as SAMPLE_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.samples.get('d', 'nope')).rejects.toMatchObject({
      code: 'SAMPLE_NOT_FOUND',
      message: "Dataset 'd' has no sample 'nope'",
    });
  });

  it('rejects a sample that fails the sample schema, naming the field', async () => {
    const { store } = await aws.newStore();

    const attempt = store.samples.put('d', { id: 's1', filepath: '' });

    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'filepath'"),
    });
    await expect(store.samples.get('d', 's1')).rejects.toMatchObject({ code: 'SAMPLE_NOT_FOUND' });
  });

  it('rejects an invalid dataset name before writing anything', async () => {
    const { store } = await aws.newStore();

    await expect(store.samples.put('d#S#x', imageSample('s1'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("dataset name 'd#S#x'"),
    });
  });

  it('keeps sample ids with # and % apart: escaping makes keys unforgeable', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('a#b'));
    await store.samples.put('d', imageSample('a%23b'));

    const page = await store.samples.list('d');

    expect(page.items.map((s) => s.sample.id).sort()).toEqual(['a#b', 'a%23b']);
    expect((await store.samples.get('d', 'a#b')).sample.id).toBe('a#b');
  });

  it('lists a dataset page by page with an opaque cursor, and only that dataset', async () => {
    const { store } = await aws.newStore();
    await store.samples.batchPut(
      'd',
      ['s1', 's2', 's3', 's4', 's5'].map((id) => imageSample(id)),
    );
    await store.samples.put('other', imageSample('x'));
    await store.datasets.create('d', { mediaType: 'image', sampleFields: {} });

    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.samples.list('d', { limit: 2, cursor });
      ids.push(...page.items.map((s) => s.sample.id));
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined);

    expect(ids).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('counts a dataset’s samples, and only that dataset’s', async () => {
    const { store } = await aws.newStore();
    await store.samples.batchPut(
      'd',
      ['s1', 's2', 's3'].map((id) => imageSample(id)),
    );
    await store.samples.put('other', imageSample('x'));
    await store.datasets.create('d', { mediaType: 'image', sampleFields: {} });

    expect(await store.samples.count('d')).toBe(3);
    expect(await store.samples.count('empty')).toBe(0);
  });

  it('rejects a cursor from another dataset instead of reading that dataset', async () => {
    const { store } = await aws.newStore();
    await store.samples.batchPut('a', [imageSample('s1'), imageSample('s2')]);
    const { cursor } = await store.samples.list('a', { limit: 1 });

    await expect(store.samples.list('b', { cursor })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Invalid cursor: it belongs to another listing',
    });
  });

  it.each([
    ['garbage', 'not base64url', '!!!'],
    ['JSON that is not a key', 'wrong shape', Buffer.from('{"x":1}').toString('base64url')],
    ['not JSON', 'undecodable', Buffer.from('{{').toString('base64url')],
  ])('rejects a %s cursor as INVALID_INPUT (%s)', async (_what, _why, cursor) => {
    const { store } = await aws.newStore();

    await expect(store.samples.list('d', { cursor })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^Invalid cursor: /),
    });
  });

  it('rejects a page limit outside 1..1000', async () => {
    const { store } = await aws.newStore();

    await expect(store.samples.list('d', { limit: 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'limit'"),
    });
  });

  it('updates label fields at the expected version and bumps it', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    const updated = await store.samples.updateFields(
      'd',
      's1',
      { label: classification(oid(1), 'cat') },
      0,
    );

    expect(updated.version).toBe(1);
    expect(updated.sample.label).toEqual(classification(oid(1), 'cat'));
    expect((await store.samples.get('d', 's1')).sample.label).toEqual(
      classification(oid(1), 'cat'),
    );
  });

  it('refuses an update from a stale version with VERSION_CONFLICT, writing nothing', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));
    await store.samples.updateFields('d', 's1', { label: classification(oid(1), 'cat') }, 0);

    const stale = store.samples.updateFields(
      'd',
      's1',
      { label: classification(oid(2), 'dog') },
      0,
    );

    await expect(stale).rejects.toMatchObject({
      name: 'VersionConflictError',
      code: 'VERSION_CONFLICT',
      details: { dataset: 'd', sampleId: 's1', expectedVersion: 0, actualVersion: 1 },
    });
    const stored = await store.samples.get('d', 's1');
    expect(stored.version).toBe(1);
    expect(stored.sample.label).toEqual(classification(oid(1), 'cat'));
  });

  it('lets exactly one of two concurrent updates at the same version win', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    const results = await Promise.allSettled([
      store.samples.updateFields('d', 's1', { label: classification(oid(1), 'a') }, 0),
      store.samples.updateFields('d', 's1', { label: classification(oid(2), 'b') }, 0),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toMatchObject([
      { reason: { code: 'VERSION_CONFLICT' } },
    ]);
    expect((await store.samples.get('d', 's1')).version).toBe(1);
  });

  it('refuses to change a sample id through an update', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    await expect(store.samples.updateFields('d', 's1', { id: 's2' }, 0)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("'id' cannot change"),
    });
  });

  it('refuses caller values shaped like a store pointer', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    const forged = { $ref: { bucket: 'other', key: 'blobs/x/y/z/0.json', sha256: '0'.repeat(64) } };
    await expect(store.samples.updateFields('d', 's1', { mask: forged }, 0)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'mask'"),
    });
  });

  it('reports an update of a missing sample as SAMPLE_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(
      store.samples.updateFields('d', 'nope', { label: classification(oid(1), 'a') }, 0),
    ).rejects.toMatchObject({ code: 'SAMPLE_NOT_FOUND' });
  });
});

describe('SampleRepository.applyMerge', () => {
  it('writes the fields and records the merge token', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    const result = await store.samples.applyMerge(
      'd',
      's1',
      { label: classification(oid(1), 'cat') },
      'run1/task7/rev3/page0',
      0,
    );

    expect(result).toEqual({ applied: true, version: 1 });
    expect((await store.samples.get('d', 's1')).sample.label).toEqual(
      classification(oid(1), 'cat'),
    );
  });

  it('writes once when the same merge is applied twice, reporting applied: false', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));
    const fields = { label: classification(oid(1), 'cat') };
    await store.samples.applyMerge('d', 's1', fields, 'merge-1', 0);

    const again = await store.samples.applyMerge('d', 's1', fields, 'merge-1', 0);

    expect(again).toEqual({ applied: false, version: 1 });
    expect((await store.samples.get('d', 's1')).version).toBe(1);
  });

  it('writes once when the same merge runs twice concurrently', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));
    const fields = { label: classification(oid(1), 'cat') };

    const results = await Promise.all([
      store.samples.applyMerge('d', 's1', fields, 'merge-1', 0),
      store.samples.applyMerge('d', 's1', fields, 'merge-1', 0),
    ]);

    expect(results.map((r) => r.applied).sort()).toEqual([false, true]);
    expect((await store.samples.get('d', 's1')).version).toBe(1);
  });

  it('applies a different merge token on top, at the next version', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));
    await store.samples.applyMerge('d', 's1', { a: classification(oid(1), 'x') }, 'm1', 0);

    const second = await store.samples.applyMerge(
      'd',
      's1',
      { b: classification(oid(2), 'y') },
      'm2',
      1,
    );

    expect(second).toEqual({ applied: true, version: 2 });
    const { sample } = await store.samples.get('d', 's1');
    expect(sample.a).toEqual(classification(oid(1), 'x'));
    expect(sample.b).toEqual(classification(oid(2), 'y'));
  });

  it('refuses a new merge from a stale version with VERSION_CONFLICT', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));
    await store.samples.applyMerge('d', 's1', { a: classification(oid(1), 'x') }, 'm1', 0);

    const stale = store.samples.applyMerge('d', 's1', { a: classification(oid(2), 'y') }, 'm2', 0);

    await expect(stale).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    expect((await store.samples.get('d', 's1')).sample.a).toEqual(classification(oid(1), 'x'));
  });

  it('rejects an empty merge token', async () => {
    const { store } = await aws.newStore();
    await store.samples.put('d', imageSample('s1'));

    await expect(
      store.samples.applyMerge('d', 's1', { a: classification(oid(1), 'x') }, '', 0),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('merge token'),
    });
  });
});
