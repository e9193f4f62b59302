import { describe, expect, it } from 'vitest';
import { createRunRecord } from '../../../lib/runs/index.js';
import type { DatasetSchema } from '../../../lib/schema/types.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const schema: DatasetSchema = {
  mediaType: 'image',
  sampleFields: { ground_truth: 'Detections' },
};

describe('DatasetRepository', () => {
  it('creates a dataset at version 0 and reads it back', async () => {
    const { store } = await aws.newStore();

    const created = await store.datasets.create('street-scenes', schema);

    expect(created).toMatchObject({ name: 'street-scenes', schema, version: 0 });
    expect(await store.datasets.get('street-scenes')).toEqual(created);
  });

  it('refuses to create a dataset that exists, leaving it unchanged', async () => {
    const { store } = await aws.newStore();
    const original = await store.datasets.create('cars', schema);

    const attempt = store.datasets.create('cars', { mediaType: 'video', sampleFields: {} });

    await expect(attempt).rejects.toMatchObject({
      name: 'StoreError',
      code: 'DATASET_EXISTS',
      message: "Dataset 'cars' already exists",
    });
    expect(await store.datasets.get('cars')).toEqual(original);
  });

  it('reports an unknown dataset as DATASET_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.datasets.get('nope')).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
      message: "Dataset 'nope' not found",
    });
  });

  it.each([['a#b'], [''], ['has space'], ['x'.repeat(129)], ['DS#other']])(
    'rejects the dataset name %j as INVALID_INPUT and creates nothing',
    async (name) => {
      const { store } = await aws.newStore();

      await expect(store.datasets.create(name, schema)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('must be 1-128 characters from A-Z a-z 0-9 _ . -'),
      });
      expect((await store.datasets.list()).items).toEqual([]);
    },
  );

  it('lists datasets by name, page by page', async () => {
    const { store } = await aws.newStore();
    for (const name of ['c', 'a', 'd', 'b', 'e']) await store.datasets.create(name, schema);

    const first = await store.datasets.list({ limit: 2 });
    const second = await store.datasets.list({ limit: 2, cursor: first.cursor });
    const third = await store.datasets.list({ limit: 2, cursor: second.cursor });

    expect(first.items.map((d) => d.name)).toEqual(['a', 'b']);
    expect(second.items.map((d) => d.name)).toEqual(['c', 'd']);
    expect(third.items.map((d) => d.name)).toEqual(['e']);
  });

  it('lists only the datasets named within a range, ends included, page by page', async () => {
    const { store } = await aws.newStore();
    for (const name of ['c', 'a', 'd', 'b', 'e']) await store.datasets.create(name, schema);
    const names = async (range: { from?: string; to?: string }) =>
      (await store.datasets.list({}, range)).items.map((d) => d.name);

    const first = await store.datasets.list({ limit: 1 }, { from: 'b', to: 'c' });
    const second = await store.datasets.list(
      { limit: 1, cursor: first.cursor },
      { from: 'b', to: 'c' },
    );

    expect(await names({ from: 'c' })).toEqual(['c', 'd', 'e']);
    expect(await names({ to: 'c' })).toEqual(['a', 'b', 'c']);
    expect(await names({ from: 'bb', to: 'd' })).toEqual(['c', 'd']);
    expect(await names({ from: 'd', to: 'b' })).toEqual([]);
    expect([...first.items, ...second.items].map((d) => d.name)).toEqual(['b', 'c']);
  });

  it('rejects a cursor that is not base64url JSON of this listing', async () => {
    const { store } = await aws.newStore();

    await expect(store.datasets.list({ cursor: 'not a cursor!' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Invalid cursor: not a cursor returned by this listing',
    });
  });

  it('merges newly seen fields into the schema and bumps the version', async () => {
    const { store } = await aws.newStore();
    await store.datasets.create('d', schema);

    const updated = await store.datasets.updateSchema(
      'd',
      {
        mediaType: 'image',
        sampleFields: { ground_truth: 'Detections', mask: 'Segmentation' },
        maskTargets: { mask: { '1': 'road' } },
      },
      0,
    );

    expect(updated.version).toBe(1);
    expect(updated.schema).toEqual({
      mediaType: 'image',
      sampleFields: { ground_truth: 'Detections', mask: 'Segmentation' },
      maskTargets: { mask: { '1': 'road' } },
    });
    expect(await store.datasets.get('d')).toEqual(updated);
  });

  it('writes nothing when the schema has no new fields', async () => {
    const { store } = await aws.newStore();
    const created = await store.datasets.create('d', schema);

    const same = await store.datasets.updateSchema('d', schema, 0);

    expect(same).toEqual(created);
  });

  it('refuses a schema update from a stale version with VERSION_CONFLICT', async () => {
    const { store } = await aws.newStore();
    await store.datasets.create('d', schema);
    await store.datasets.updateSchema(
      'd',
      { mediaType: 'image', sampleFields: { tags2: 'ListField(StringField)' } },
      0,
    );

    const stale = store.datasets.updateSchema(
      'd',
      { mediaType: 'image', sampleFields: { other: 'StringField' } },
      0,
    );

    await expect(stale).rejects.toMatchObject({
      name: 'VersionConflictError',
      code: 'VERSION_CONFLICT',
      details: { expectedVersion: 0, actualVersion: 1 },
    });
    expect((await store.datasets.get('d')).schema.sampleFields).not.toHaveProperty('other');
  });

  it('refuses a field that changes type with SCHEMA_FIELD_CONFLICT', async () => {
    const { store } = await aws.newStore();
    const created = await store.datasets.create('d', schema);

    const attempt = store.datasets.updateSchema(
      'd',
      { mediaType: 'image', sampleFields: { ground_truth: 'Classification' } },
      0,
    );

    await expect(attempt).rejects.toMatchObject({
      code: 'SCHEMA_FIELD_CONFLICT',
      message: "Field 'ground_truth' is a Detections, not a Classification",
    });
    expect(await store.datasets.get('d')).toEqual(created);
  });

  it('deletes a dataset with its samples, runs and their tasks', async () => {
    const { store } = await aws.newStore();
    await store.datasets.create('d', schema);
    await store.samples.put('d', { id: 's1', filepath: 's3://m/1.jpg' });
    const run = createRunRecord({
      annoKey: 'review',
      dataset: 'd',
      backend: 'cvat',
      config: { labelSchema: {}, params: {} },
      now: new Date(),
    });
    await store.runs.create(run);
    await store.tasks.put({
      dataset: 'd',
      annoKey: 'review',
      taskId: 't1',
      backend: 'cvat',
      backendTaskId: '42',
      status: 'open',
      sampleIds: ['s1'],
      idMap: {},
      createdAt: run.createdAt,
      updatedAt: run.createdAt,
    });
    await store.samples.put('keep', { id: 's1', filepath: 's3://m/1.jpg' });

    await store.datasets.delete('d');

    await expect(store.datasets.get('d')).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
    expect((await store.samples.list('d')).items).toEqual([]);
    expect(await store.runs.list('d')).toEqual([]);
    expect(await store.tasks.findByBackendTaskId('cvat', '42')).toEqual([]);
    expect((await store.samples.list('keep')).items).toHaveLength(1);
  });

  it('reports deleting an unknown dataset as DATASET_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.datasets.delete('nope')).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
    });
  });
});
