import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import { REDACTED } from '../../../lib/config/index.js';
import { createRunRecord, type RunRecord, type RunStatus } from '../../../lib/runs/index.js';
import type { TaskRecord } from '../../../lib/store/index.js';
import { detection, detections, imageSample, oid } from '../../support/builders.js';
import { request } from '../../support/http-events.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const T0 = new Date('2026-01-01T00:00:00.000Z');
const LABEL_SCHEMA = {
  ground_truth: { type: 'detections', classes: ['car', 'bird'], attributes: {} },
};

interface Api extends ApiDeps {
  local: LocalStore;
}

/** An API on a fresh store with dataset `d` (one labelled sample) and no runs. */
async function newApi(): Promise<Api> {
  const local = await aws.newStore();
  await local.store.datasets.create('d', {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections' },
  });
  await local.store.samples.batchPut('d', [
    imageSample('s1', { ground_truth: detections(detection(oid(1), 'car')) }),
  ]);
  return { store: local.store, mediaBucket: local.bucket, local };
}

/** Seeds a run through the store, as `annotate` registers one (credentials redacted). */
async function seedRun(
  api: Api,
  annoKey: string,
  options: { backend?: string; status?: RunStatus; tasks?: number; dataset?: string } = {},
): Promise<RunRecord> {
  const dataset = options.dataset ?? 'd';
  const record = createRunRecord({
    annoKey,
    dataset,
    backend: options.backend ?? 'files',
    config: {
      labelSchema: LABEL_SCHEMA,
      params: { url: 'https://cvat.example', password: 'hunter2', task_size: 10 },
      mediaField: 'filepath',
    },
    now: T0,
  });
  const status = options.status ?? 'registered';
  const stored = await api.store.runs.create({
    ...record,
    status,
    ...(status === 'failed' ? { failure: { code: 'X', message: 'boom' } } : {}),
    counters: { ...record.counters, tasks: options.tasks ?? 0 },
  });
  for (let index = 0; index < (options.tasks ?? 0); index += 1) {
    await api.store.tasks.put(task(dataset, annoKey, `t${index}`, stored.backend));
  }
  return stored;
}

function task(dataset: string, annoKey: string, taskId: string, backend: string): TaskRecord {
  return {
    dataset,
    annoKey,
    taskId,
    backend,
    backendTaskId: `${annoKey}-${taskId}`,
    status: 'open',
    sampleIds: ['s1'],
    idMap: {},
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  };
}

/** Everything the run routes could change: runs with their tasks, and the samples. */
async function snapshot(api: Api, dataset = 'd') {
  const runs = await api.store.runs.list(dataset);
  const tasks = await Promise.all(
    runs.map(async (run) => (await api.store.tasks.listByRun(dataset, run.annoKey)).items),
  );
  const samples = (await api.store.samples.list(dataset)).items;
  return { runs, tasks, samples };
}

const notFound = (key: string) => ({
  status: 404,
  body: {
    error: {
      code: 'RUN_NOT_FOUND',
      message: `Dataset has no annotation run key '${key}'`,
      details: { key },
    },
  },
});

const datasetNotFound = {
  status: 404,
  body: {
    error: {
      code: 'DATASET_NOT_FOUND',
      message: "Dataset 'nope' not found",
      details: { dataset: 'nope' },
    },
  },
};

describe('GET /datasets/{dataset}/runs', () => {
  it('lists summaries of the runs sorted by key as Python sorts strings', async () => {
    const api = await newApi();
    for (const key of ['b', 'a10', 'B', '_x', 'a9', 'é']) await seedRun(api, key);

    const response = await request(api, 'GET /datasets/{dataset}/runs', {
      params: { dataset: 'd' },
    });

    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { annoKey: string }) => item.annoKey)).toEqual([
      'B',
      '_x',
      'a10',
      'a9',
      'b',
      'é',
    ]);
    expect(response.body.items[0]).toEqual({
      annoKey: 'B',
      backend: 'files',
      status: 'registered',
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
      counters: {
        tasks: 0,
        tasksCompleted: 0,
        labelsAdded: 0,
        labelsEdited: 0,
        labelsDeleted: 0,
        labelsRefused: 0,
        unexpected: 0,
      },
    });
  });

  it('keeps the runs with the given backend, status, or both', async () => {
    const api = await newApi();
    await seedRun(api, 'r1', { backend: 'files', status: 'annotating' });
    await seedRun(api, 'r2', { backend: 'cvat', status: 'annotating' });
    await seedRun(api, 'r3', { backend: 'files', status: 'loaded' });
    const keys = async (query: Record<string, string>) =>
      (
        await request(api, 'GET /datasets/{dataset}/runs', { params: { dataset: 'd' }, query })
      ).body.items.map((item: { annoKey: string }) => item.annoKey);

    expect(await keys({ backend: 'files' })).toEqual(['r1', 'r3']);
    expect(await keys({ status: 'annotating' })).toEqual(['r1', 'r2']);
    expect(await keys({ backend: 'files', status: 'annotating' })).toEqual(['r1']);
    expect(await keys({ backend: 'labelstudio' })).toEqual([]);
  });

  it("lists only this dataset's runs, and an empty list when it has none", async () => {
    const api = await newApi();
    await api.store.datasets.create('other', { mediaType: 'image', sampleFields: {} });
    await seedRun(api, 'elsewhere', { dataset: 'other' });

    const response = await request(api, 'GET /datasets/{dataset}/runs', {
      params: { dataset: 'd' },
    });

    expect(response).toEqual({ status: 200, body: { items: [] } });
  });

  it('answers 400 naming `status` for a status that does not exist', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}/runs', {
      params: { dataset: 'd' },
      query: { status: 'done' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("query string at 'status'"),
    });
  });

  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}/runs', {
      params: { dataset: 'nope' },
    });

    expect(response).toEqual(datasetNotFound);
  });
});

describe('GET /datasets/{dataset}/runs/{annoKey}', () => {
  it('answers the run record: config with label schema and redacted params, never a secret', async () => {
    const api = await newApi();
    const seeded = await seedRun(api, 'review', { status: 'annotating', tasks: 2 });

    const response = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
      params: { dataset: 'd', annoKey: 'review' },
    });

    expect(response).toEqual({ status: 200, body: seeded });
    expect(response.body).toMatchObject({
      annoKey: 'review',
      dataset: 'd',
      backend: 'files',
      status: 'annotating',
      config: {
        labelSchema: LABEL_SCHEMA,
        params: { url: 'https://cvat.example', password: REDACTED, task_size: 10 },
        mediaField: 'filepath',
      },
      counters: { tasks: 2 },
      createdAt: T0.toISOString(),
      updatedAt: T0.toISOString(),
    });
    expect(JSON.stringify(response.body)).not.toContain('hunter2');
  });

  it('finds a run whose key is a Unicode identifier', async () => {
    const api = await newApi();
    await seedRun(api, 'prüfung_1');

    const response = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
      params: { dataset: 'd', annoKey: 'prüfung_1' },
    });

    expect(response.status).toBe(200);
    expect(response.body.annoKey).toBe('prüfung_1');
  });

  it("answers 404 RUN_NOT_FOUND with FiftyOne's text for an unknown key", async () => {
    const api = await newApi();
    await seedRun(api, 'review');

    const response = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
      params: { dataset: 'd', annoKey: 'nope' },
    });

    expect(response).toEqual(notFound('nope'));
  });

  it('answers 404 DATASET_NOT_FOUND when the dataset does not exist', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
      params: { dataset: 'nope', annoKey: 'review' },
    });

    expect(response).toEqual(datasetNotFound);
  });

  it('answers 400 INVALID_ANNO_KEY for a key that can never name a run', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
      params: { dataset: 'd', annoKey: '1st-run' },
    });

    expect(response).toEqual({
      status: 400,
      body: {
        error: {
          code: 'INVALID_ANNO_KEY',
          message: "Invalid annotation run key '1st-run'. Keys must be valid variable names",
          details: { key: '1st-run' },
        },
      },
    });
  });
});

describe('POST /datasets/{dataset}/runs/{annoKey}/rename', () => {
  const rename = (api: Api, annoKey: string, body: unknown, dataset = 'd') =>
    request(api, 'POST /datasets/{dataset}/runs/{annoKey}/rename', {
      params: { dataset, annoKey },
      body,
    });

  it('renames the run, moving its task records, and answers the renamed record', async () => {
    const api = await newApi();
    const seeded = await seedRun(api, 'old', { tasks: 2 });
    const samplesBefore = (await snapshot(api)).samples;

    const response = await rename(api, 'old', { newKey: 'new' });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...seeded,
      annoKey: 'new',
      // Its objects stay where they are, so it keeps their key.
      objectKey: 'old',
      version: seeded.version + 1,
      updatedAt: expect.any(String),
    });
    expect(await api.store.runs.get('d', 'new')).toEqual(response.body);
    await expect(api.store.runs.get('d', 'old')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect((await api.store.tasks.listByRun('d', 'new')).items.map((t) => t.taskId)).toEqual([
      't0',
      't1',
    ]);
    expect((await api.store.tasks.listByRun('d', 'old')).items).toEqual([]);
    expect((await snapshot(api)).samples).toEqual(samplesBefore);
    const listed = await request(api, 'GET /datasets/{dataset}/runs', { params: { dataset: 'd' } });
    expect(listed.body.items.map((item: { annoKey: string }) => item.annoKey)).toEqual(['new']);
  });

  it('answers the renamed run again when the same rename is repeated', async () => {
    const api = await newApi();
    await seedRun(api, 'old');
    const first = await rename(api, 'old', { newKey: 'new' });

    const again = await rename(api, 'old', { newKey: 'new' });

    expect(again).toEqual(first);
  });

  it("answers 409 RUN_KEY_EXISTS with FiftyOne's text when the new key is taken, changing nothing", async () => {
    const api = await newApi();
    await seedRun(api, 'a', { tasks: 1 });
    await seedRun(api, 'b', { backend: 'cvat', tasks: 2 });
    const before = await snapshot(api);

    const response = await rename(api, 'a', { newKey: 'b' });

    expect(response).toEqual({
      status: 409,
      body: {
        error: {
          code: 'RUN_KEY_EXISTS',
          message: "A annotation run with key 'b' already exists",
          details: { key: 'b' },
        },
      },
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 409 RUN_KEY_EXISTS for a rename to the same key, as FiftyOne does', async () => {
    const api = await newApi();
    await seedRun(api, 'a');
    const before = await snapshot(api);

    const response = await rename(api, 'a', { newKey: 'a' });

    expect(response.status).toBe(409);
    expect(response.body.error.message).toBe("A annotation run with key 'a' already exists");
    expect(await snapshot(api)).toEqual(before);
  });

  it("answers 404 RUN_NOT_FOUND with FiftyOne's text for an unknown run, creating nothing", async () => {
    const api = await newApi();
    await seedRun(api, 'a');
    const before = await snapshot(api);

    expect(await rename(api, 'nope', { newKey: 'fresh' })).toEqual(notFound('nope'));
    // FiftyOne's order: an unknown run is reported before an invalid new key, and its own
    // key is not taken.
    expect(await rename(api, 'nope', { newKey: 'not valid' })).toEqual(notFound('nope'));
    expect(await rename(api, 'nope', { newKey: 'nope' })).toEqual(notFound('nope'));
    expect(await snapshot(api)).toEqual(before);
  });

  it.each([['1st'], ['has space'], ['dash-ed']])(
    'answers 400 INVALID_ANNO_KEY for the new key %j, changing nothing',
    async (newKey) => {
      const api = await newApi();
      await seedRun(api, 'a', { tasks: 1 });
      const before = await snapshot(api);

      const response = await rename(api, 'a', { newKey });

      expect(response).toEqual({
        status: 400,
        body: {
          error: {
            code: 'INVALID_ANNO_KEY',
            message: `Invalid annotation run key '${newKey}'. Keys must be valid variable names`,
            details: { key: newKey },
          },
        },
      });
      expect(await snapshot(api)).toEqual(before);
    },
  );

  it.each([
    ['no newKey', {}],
    ['a newKey that is not a string', { newKey: 7 }],
    ['an unknown body key', { newKey: 'b', force: true }],
  ])('answers 400 INVALID_INPUT for %s, changing nothing', async (_what, body) => {
    const api = await newApi();
    await seedRun(api, 'a');
    const before = await snapshot(api);

    const response = await rename(api, 'a', body);

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_INPUT');
    expect(response.body.error.message).toContain('request body');
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 404 DATASET_NOT_FOUND when the dataset does not exist', async () => {
    const api = await newApi();

    expect(await rename(api, 'a', { newKey: 'b' }, 'nope')).toEqual(datasetNotFound);
    expect(await rename(api, 'a', { newKey: 'a' }, 'nope')).toEqual(datasetNotFound);
  });
});

describe('DELETE /datasets/{dataset}/runs/{annoKey}', () => {
  const remove = (api: Api, annoKey: string, dataset = 'd') =>
    request(api, 'DELETE /datasets/{dataset}/runs/{annoKey}', { params: { dataset, annoKey } });

  it('answers 204 and deletes the record and its task records only', async () => {
    const api = await newApi();
    await seedRun(api, 'gone', { tasks: 2, status: 'annotating' });
    const kept = await seedRun(api, 'kept', { tasks: 1 });
    // The tool's side of the run (the files backend's task manifest) stays.
    const manifestKey = 'runs/d/gone/tasks/gone-0.json';
    await (await api.local.clients.s3.get()).send(
      new PutObjectCommand({ Bucket: api.mediaBucket, Key: manifestKey, Body: '{"task":1}' }),
    );
    const samplesBefore = (await snapshot(api)).samples;

    const response = await remove(api, 'gone');

    expect(response).toEqual({ status: 204, body: undefined });
    expect(
      await request(api, 'GET /datasets/{dataset}/runs/{annoKey}', {
        params: { dataset: 'd', annoKey: 'gone' },
      }),
    ).toEqual(notFound('gone'));
    expect((await api.store.tasks.listByRun('d', 'gone')).items).toEqual([]);
    expect(await api.store.runs.list('d')).toEqual([kept]);
    expect((await api.store.tasks.listByRun('d', 'kept')).items).toHaveLength(1);
    // Labels already merged are never deleted with a run.
    expect((await snapshot(api)).samples).toEqual(samplesBefore);
    const manifest = await (await api.local.clients.s3.get()).send(
      new GetObjectCommand({ Bucket: api.mediaBucket, Key: manifestKey }),
    );
    expect(await manifest.Body?.transformToString()).toBe('{"task":1}');
  });

  it('frees the key: a new run may be registered under it', async () => {
    const api = await newApi();
    await seedRun(api, 'again');
    await remove(api, 'again');

    await seedRun(api, 'again', { backend: 'cvat' });

    expect((await api.store.runs.get('d', 'again')).backend).toBe('cvat');
  });

  it("answers 404 RUN_NOT_FOUND with FiftyOne's text for an unknown key, changing nothing", async () => {
    const api = await newApi();
    await seedRun(api, 'a', { tasks: 1 });
    const before = await snapshot(api);

    expect(await remove(api, 'nope')).toEqual(notFound('nope'));
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 404 RUN_NOT_FOUND when deleted twice', async () => {
    const api = await newApi();
    await seedRun(api, 'a');
    await remove(api, 'a');

    expect(await remove(api, 'a')).toEqual(notFound('a'));
  });

  it('answers 404 DATASET_NOT_FOUND when the dataset does not exist', async () => {
    const api = await newApi();

    expect(await remove(api, 'a', 'nope')).toEqual(datasetNotFound);
  });

  it('answers 400 INVALID_ANNO_KEY for a key that can never name a run, changing nothing', async () => {
    const api = await newApi();
    await seedRun(api, 'a');
    const before = await snapshot(api);

    const response = await remove(api, 'not-a-key');

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_ANNO_KEY');
    expect(await snapshot(api)).toEqual(before);
  });
});
