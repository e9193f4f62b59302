import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnoflowApiError, AnnoflowClient } from '../../../lib/client/index.js';
import { startApi } from '../../support/api-gateway.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();
let api: Awaited<ReturnType<typeof startApi>>;
let client: AnnoflowClient;

beforeEach(async () => {
  api = await startApi(await aws.newStore());
  client = new AnnoflowClient({ endpoint: api.url });
});
afterEach(() => api.stop());

const oid = (n: number) => n.toString(16).padStart(24, '0');

function fiftyOneSamples(count: number, tag = (_n: number) => 'train') {
  return Array.from({ length: count }, (_, index) => ({
    _id: { $oid: oid(index + 1) },
    filepath: `data/${index}.png`,
    tags: [tag(index)],
    ...(index % 2 === 0
      ? {
          ground_truth: {
            _cls: 'Detections',
            detections: [
              {
                _cls: 'Detection',
                _id: { $oid: oid(1000 + index) },
                label: 'car',
                bounding_box: [0.1, 0.1, 0.2, 0.2],
              },
            ],
          },
        }
      : {}),
  }));
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

describe('AnnoflowClient: datasets', () => {
  it('creates a dataset and returns the parsed record', async () => {
    const dataset = await client.datasets.create({ name: 'street', mediaType: 'image' });
    expect(dataset).toMatchObject({
      name: 'street',
      schema: { mediaType: 'image', sampleFields: {} },
      version: expect.any(Number),
    });
    expect(Date.parse(dataset.createdAt)).not.toBeNaN();
  });

  it('gets a dataset with its sample count', async () => {
    await client.datasets.create({ name: 'street', mediaType: 'video' });
    const dataset = await client.datasets.get('street');
    expect(dataset.schema.mediaType).toBe('video');
    expect(dataset.counts).toEqual({ samples: 0 });
  });

  it('lists one page at a time and iterates over every page', async () => {
    for (const name of ['c', 'a', 'b']) await client.datasets.create({ name, mediaType: 'image' });
    const first = await client.datasets.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.cursor).toEqual(expect.any(String));
    const second = await client.datasets.list({ limit: 2, cursor: first.cursor as string });
    expect([...first.items, ...second.items].map((d) => d.name).sort()).toEqual(['a', 'b', 'c']);
    const all = [];
    for await (const dataset of client.datasets.iterate({ limit: 1 })) all.push(dataset.name);
    expect(all.sort()).toEqual(['a', 'b', 'c']);
  });

  it('deletes a dataset; getting it after is DATASET_NOT_FOUND with status 404', async () => {
    await client.datasets.create({ name: 'gone', mediaType: 'image' });
    await expect(client.datasets.delete('gone')).resolves.toBeUndefined();
    const error = await apiError(client.datasets.get('gone'));
    expect(error).toMatchObject({ code: 'DATASET_NOT_FOUND', status: 404 });
    expect(error.message).toContain('gone');
  });

  it('maps the error body: code, message, details and status', async () => {
    await client.datasets.create({ name: 'twice', mediaType: 'image' });
    expect(
      await apiError(client.datasets.create({ name: 'twice', mediaType: 'image' })),
    ).toMatchObject({ code: 'DATASET_EXISTS', status: 409 });

    const invalid = await apiError(
      client.datasets.create({ name: 'no spaces', mediaType: 'image' }),
    );
    expect(invalid).toMatchObject({ code: 'INVALID_INPUT', status: 400 });
    expect(invalid.details.issues).toEqual([expect.objectContaining({ path: 'name' })]);
  });
});

describe('AnnoflowClient: samples', () => {
  beforeEach(async () => {
    await client.datasets.create({ name: 'ds', mediaType: 'image' });
  });

  it('imports a FiftyOne export, then gets and lists its samples', async () => {
    const result = await client.samples.import('ds', {
      format: 'fiftyone',
      document: { samples: fiftyOneSamples(3) },
    });
    expect(result).toEqual({ imported: 3, fields: { ground_truth: 'Detections' } });

    const sample = await client.samples.get('ds', oid(1));
    expect(sample.sample).toMatchObject({
      id: oid(1),
      // Relative export paths point into the media bucket, under the dataset.
      filepath: expect.stringMatching(/^s3:\/\/media-[0-9a-f]+\/datasets\/ds\/0\.png$/),
    });
    const page = await client.samples.list('ds');
    expect(page.items.map((item) => item.sample.id).sort()).toEqual([oid(1), oid(2), oid(3)]);
    expect((await client.datasets.get('ds')).counts.samples).toBe(3);
  });

  it('sends list filters as the API reads them: tags, hasField, ids', async () => {
    await client.samples.import('ds', {
      format: 'fiftyone',
      document: fiftyOneSamples(4, (n) => (n < 2 ? 'train' : 'val')),
    });
    const ids = async (query: Parameters<typeof client.samples.list>[1]) =>
      (await client.samples.list('ds', query)).items.map((item) => item.sample.id).sort();
    expect(await ids({ tags: ['val'] })).toEqual([oid(3), oid(4)]);
    expect(await ids({ tags: ['val', 'train'] })).toHaveLength(4);
    expect(await ids({ hasField: 'ground_truth' })).toEqual([oid(1), oid(3)]);
    expect(await ids({ ids: [oid(2), oid(4)] })).toEqual([oid(2), oid(4)]);
  });

  it('iterate() follows cursors through every page, with filters', async () => {
    await client.samples.import('ds', { format: 'fiftyone', document: fiftyOneSamples(7) });
    const all = [];
    for await (const item of client.samples.iterate('ds', { limit: 2 })) all.push(item.sample.id);
    expect(all.sort()).toEqual(Array.from({ length: 7 }, (_, n) => oid(n + 1)));
    const labelled = [];
    for await (const item of client.samples.iterate('ds', { limit: 3, hasField: 'ground_truth' }))
      labelled.push(item.sample.id);
    expect(labelled).toHaveLength(4);
  });

  it('importAll() sends a large document in batches and adds up the result', async () => {
    const progress: Array<{ done: number; total: number }> = [];
    const result = await client.samples.importAll(
      'ds',
      { format: 'fiftyone', document: { samples: fiftyOneSamples(5) } },
      { maxItems: 2, onBatch: (step) => progress.push(step) },
    );
    expect(result).toEqual({ imported: 5, fields: { ground_truth: 'Detections' } });
    expect(progress).toEqual([
      { done: 0, total: 5 },
      { done: 2, total: 5 },
      { done: 4, total: 5 },
      { done: 5, total: 5 },
    ]);
    expect((await client.datasets.get('ds')).counts.samples).toBe(5);
  });

  it('imports a COCO file in batches with the same samples as one request', async () => {
    const coco = {
      images: [1, 2, 3].map((id) => ({ id, file_name: `${id}.jpg`, width: 100, height: 50 })),
      annotations: [1, 2, 3, 4].map((id) => ({
        id,
        image_id: (id % 3) + 1,
        category_id: 1,
        bbox: [10, 5, 20, 10],
      })),
      categories: [{ id: 1, name: 'car' }],
    };
    await client.samples.importAll(
      'ds',
      { format: 'coco', document: coco, labelField: 'gt' },
      { maxItems: 1 },
    );
    const samples = async () => {
      const found = [];
      for await (const item of client.samples.iterate('ds')) found.push(item.sample);
      return found.sort((a, b) => String(a.id).localeCompare(String(b.id)));
    };
    const batched = await samples();
    expect(batched).toHaveLength(3);
    await client.datasets.delete('ds');
    await client.datasets.create({ name: 'ds', mediaType: 'image' });
    await client.samples.import('ds', { format: 'coco', document: coco, labelField: 'gt' });
    expect(batched).toEqual(await samples());
  });

  it('reports a missing sample and an import into a missing dataset', async () => {
    expect(await apiError(client.samples.get('ds', 'nope'))).toMatchObject({
      code: 'SAMPLE_NOT_FOUND',
      status: 404,
    });
    expect(
      await apiError(client.samples.import('missing', { format: 'fiftyone', document: [] })),
    ).toMatchObject({ code: 'DATASET_NOT_FOUND', status: 404 });
  });
});

describe('AnnoflowClient: failures without a service error body', () => {
  const answering =
    (status: number, body: string): typeof fetch =>
    async () =>
      new Response(body, { status, headers: { 'content-type': 'application/json' } });

  it("maps API Gateway's own answers by status", async () => {
    const forbidden = new AnnoflowClient({
      endpoint: 'http://127.0.0.1:9',
      fetch: answering(403, '{"message":"Forbidden"}'),
    });
    expect(await apiError(forbidden.datasets.list())).toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
      message: 'Forbidden',
    });
    const notFound = new AnnoflowClient({
      endpoint: 'http://127.0.0.1:9',
      fetch: answering(404, '{"message":"Not Found"}'),
    });
    expect(await apiError(notFound.datasets.list())).toMatchObject({ code: 'NOT_FOUND' });
    const broken = new AnnoflowClient({
      endpoint: 'http://127.0.0.1:9',
      fetch: answering(502, 'Bad Gateway'),
    });
    expect(await apiError(broken.datasets.list())).toMatchObject({
      code: 'HTTP_502',
      message: 'Bad Gateway',
    });
  });

  it('refuses a success response that is not the documented shape', async () => {
    const odd = new AnnoflowClient({
      endpoint: 'http://127.0.0.1:9',
      fetch: answering(200, '{"items":"nope"}'),
    });
    expect(await apiError(odd.datasets.list())).toMatchObject({
      code: 'INVALID_RESPONSE',
      status: 200,
    });
  });

  it('reports an unreachable endpoint as NETWORK_ERROR with status 0', async () => {
    const stopped = await startApi(await aws.newStore());
    await stopped.stop();
    const error = await apiError(new AnnoflowClient({ endpoint: stopped.url }).datasets.list());
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
    expect(error.message).toContain(stopped.url);
  });

  it('refuses an endpoint that carries a user and password, naming neither', () => {
    const make = () => new AnnoflowClient({ endpoint: 'http://alice:s3cr3t@127.0.0.1:9/' });
    expect(make).toThrow('must not carry a user or password');
    expect(make).not.toThrow(/s3cr3t|alice/);
  });

  it('keeps a base path of the endpoint (a stage) in every URL', async () => {
    const seen: string[] = [];
    const staged = new AnnoflowClient({
      endpoint: 'http://127.0.0.1:9/prod',
      fetch: async (url) => {
        seen.push(String(url));
        return new Response('{"items":[]}', { status: 200 });
      },
    });
    await staged.samples.list('a.b', { tags: ['x y', 'z'], limit: 5 });
    expect(seen).toEqual(['http://127.0.0.1:9/prod/datasets/a.b/samples?tags=x%20y%2Cz&limit=5']);
  });
});
