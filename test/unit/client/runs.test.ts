import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnoflowApiError, AnnoflowClient } from '../../../lib/client/index.js';
import { REDACTED } from '../../../lib/config/index.js';
import { createRunRecord, type RunStatus } from '../../../lib/runs/index.js';
import { startApi } from '../../support/api-gateway.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();
let local: LocalStore;
let api: Awaited<ReturnType<typeof startApi>>;
let client: AnnoflowClient;

beforeEach(async () => {
  local = await aws.newStore();
  api = await startApi(local);
  client = new AnnoflowClient({ endpoint: api.url });
  await local.store.datasets.create('d', { mediaType: 'image', sampleFields: {} });
});
afterEach(() => api.stop());

async function seedRun(annoKey: string, backend = 'files', status: RunStatus = 'registered') {
  const record = createRunRecord({
    annoKey,
    dataset: 'd',
    backend,
    config: { labelSchema: { gt: { type: 'detections' } }, params: { api_key: 'secret-1' } },
    now: new Date('2026-01-01T00:00:00.000Z'),
  });
  return local.store.runs.create({ ...record, status });
}

/** Asserts `promise` rejects with an AnnoflowApiError and returns it. */
async function apiError(promise: Promise<unknown>): Promise<AnnoflowApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AnnoflowApiError);
  return error as AnnoflowApiError;
}

describe('AnnoflowClient: runs', () => {
  it('lists run summaries sorted by key, filtered by backend and status', async () => {
    await seedRun('b', 'cvat', 'annotating');
    await seedRun('a', 'files', 'annotating');
    await seedRun('c', 'files', 'loaded');

    const all = await client.runs.list('d');
    expect(all.items.map((run) => run.annoKey)).toEqual(['a', 'b', 'c']);
    expect(all.items[0]).toMatchObject({ backend: 'files', status: 'annotating' });
    expect(all.items[0]).not.toHaveProperty('config');
    const files = await client.runs.list('d', { backend: 'files', status: 'annotating' });
    expect(files.items.map((run) => run.annoKey)).toEqual(['a']);
  });

  it('gets a run record, credentials redacted, also for a Unicode key', async () => {
    const seeded = await seedRun('prüfung');

    const run = await client.runs.get('d', 'prüfung');

    expect(run).toEqual(seeded);
    expect(run.config.params).toEqual({ api_key: REDACTED });
  });

  it('renames a run and returns the renamed record', async () => {
    await seedRun('old');

    const renamed = await client.runs.rename('d', 'old', 'new');

    expect(renamed).toMatchObject({ annoKey: 'new', version: 1 });
    expect((await client.runs.list('d')).items.map((run) => run.annoKey)).toEqual(['new']);
  });

  it('deletes a run', async () => {
    await seedRun('gone');

    await expect(client.runs.delete('d', 'gone')).resolves.toBeUndefined();

    expect((await client.runs.list('d')).items).toEqual([]);
  });

  it("raises the API's errors with FiftyOne's texts", async () => {
    await seedRun('a');
    await seedRun('b');

    const missing = await apiError(client.runs.get('d', 'nope'));
    expect(missing).toMatchObject({
      code: 'RUN_NOT_FOUND',
      status: 404,
      message: "Dataset has no annotation run key 'nope'",
    });
    const taken = await apiError(client.runs.rename('d', 'a', 'b'));
    expect(taken).toMatchObject({
      code: 'RUN_KEY_EXISTS',
      status: 409,
      message: "A annotation run with key 'b' already exists",
    });
    const invalid = await apiError(client.runs.rename('d', 'a', 'not valid'));
    expect(invalid).toMatchObject({ code: 'INVALID_ANNO_KEY', status: 400 });
    const gone = await apiError(client.runs.delete('d', 'nope'));
    expect(gone).toMatchObject({ code: 'RUN_NOT_FOUND', status: 404 });
    const noDataset = await apiError(client.runs.list('nope'));
    expect(noDataset).toMatchObject({ code: 'DATASET_NOT_FOUND', status: 404 });
  });
});
