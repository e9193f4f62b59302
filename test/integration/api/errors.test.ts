import { describe, expect, it } from 'vitest';
import { serveHttp } from '../../../lib/api/router.js';
import { API, type ApiDeps } from '../../../lib/api/routes/index.js';
import { createStore } from '../../../lib/store/store.js';
import { httpEvent, type RequestParts, request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

/** A dataset `ds` with one sample `s1`, served by the API. */
async function newApi(): Promise<ApiDeps> {
  const { store, bucket } = await aws.newStore();
  await store.datasets.create('ds', { mediaType: 'image', sampleFields: { label: 'StringField' } });
  await store.samples.put('ds', { id: 's1', filepath: '/data/s1.jpg', label: 'a' });
  return { store, mediaBucket: bucket };
}

const ds = { dataset: 'ds' };
const IMPORT = 'POST /datasets/{dataset}/samples/import';

/** One failing request per route and kind of failure: [what, route key, request, status, code]. */
const FAILURES: Array<[string, string, RequestParts, number, string]> = [
  ['a non-JSON body', 'POST /datasets', { rawBody: '{name:' }, 400, 'INVALID_INPUT'],
  ['no body', 'POST /datasets', {}, 400, 'INVALID_INPUT'],
  ['a JSON body that is not an object', 'POST /datasets', { body: [1] }, 400, 'INVALID_INPUT'],
  // A URL resolves `..` away: such a dataset could be made but never reached again.
  [
    'a dataset named ..',
    'POST /datasets',
    { body: { name: '..', mediaType: 'image' } },
    400,
    'INVALID_INPUT',
  ],
  [
    'a duplicate dataset',
    'POST /datasets',
    { body: { name: 'ds', mediaType: 'image' } },
    409,
    'DATASET_EXISTS',
  ],
  ['a bad listing limit', 'GET /datasets', { query: { limit: '0' } }, 400, 'INVALID_INPUT'],
  ['a bad listing cursor', 'GET /datasets', { query: { cursor: 'x' } }, 400, 'INVALID_INPUT'],
  [
    'an unknown dataset',
    'GET /datasets/{dataset}',
    { params: { dataset: 'nope' } },
    404,
    'DATASET_NOT_FOUND',
  ],
  [
    'deleting an unknown dataset',
    'DELETE /datasets/{dataset}',
    { params: { dataset: 'nope' } },
    404,
    'DATASET_NOT_FOUND',
  ],
  [
    'a bad sample cursor',
    'GET /datasets/{dataset}/samples',
    { params: ds, query: { cursor: 'x' } },
    400,
    'INVALID_INPUT',
  ],
  [
    'an unknown sample',
    'GET /datasets/{dataset}/samples/{id}',
    { params: { dataset: 'ds', id: 'nope' } },
    404,
    'SAMPLE_NOT_FOUND',
  ],
  ['a non-JSON import', IMPORT, { params: ds, rawBody: 'samples.json' }, 400, 'INVALID_INPUT'],
  [
    'an import whose field type conflicts',
    IMPORT,
    { params: ds, body: { format: 'fiftyone', document: [{ filepath: 'a.jpg', label: 1 }] } },
    409,
    'SCHEMA_FIELD_CONFLICT',
  ],
  ['a route it does not serve', 'PUT /datasets/{dataset}', { params: ds }, 404, 'ROUTE_NOT_FOUND'],
];

describe('Errors', () => {
  it.each(FAILURES)(
    'answers %s with its status and { error: { code, message, details } }',
    async (_what, routeKey, parts, status, code) => {
      const api = await newApi();

      const response = await request(api, routeKey, parts);

      expect(response.status).toBe(status);
      expect(Object.keys(response.body)).toEqual(['error']);
      expect(Object.keys(response.body.error).sort()).toEqual(['code', 'details', 'message']);
      expect(response.body.error).toEqual({
        code,
        message: expect.stringMatching(/\S/),
        details: expect.any(Object),
      });
    },
  );

  it('answers 400 naming the body for a body that is not JSON, and changes nothing', async () => {
    const api = await newApi();

    const response = await request(api, 'POST /datasets', { rawBody: "{ name: 'x' }" });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/^Invalid request body: not JSON/);
    expect((await api.store.datasets.list()).items.map((item) => item.name)).toEqual(['ds']);
  });

  it('answers 400 naming a `__proto__` key however deep (within the limit) the body nests it', async () => {
    const api = await newApi();
    const depth = 120;
    const rawBody = `{"name":${'['.repeat(depth)}{"__proto__":1}${']'.repeat(depth)}}`;

    const response = await request(api, 'POST /datasets', { rawBody });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      `Invalid request body at 'name${'[0]'.repeat(depth)}.__proto__': '__proto__' cannot name a field, attribute or other key`,
    );
    expect((await api.store.datasets.list()).items.map((item) => item.name)).toEqual(['ds']);
  });

  it('answers 400 for a body nested deeper than 128 levels, and changes nothing', async () => {
    const api = await newApi();
    const depth = 100_000;
    const rawBody = `{"format":"fiftyone","document":[{"filepath":"a.jpg","deep":${'['.repeat(depth)}${']'.repeat(depth)}}]}`;

    const response = await request(api, IMPORT, { params: ds, rawBody });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Invalid request body: nested deeper than 128 levels',
    });
    expect((await api.store.samples.list('ds')).items).toHaveLength(1);
  });

  it('reads a base64-encoded JSON body as API Gateway delivers a binary one', async () => {
    const api = await newApi();

    const response = await request(api, 'POST /datasets', {
      body: { name: 'encoded', mediaType: 'video' },
      base64: true,
    });

    expect(response.status).toBe(201);
    expect(response.body.schema.mediaType).toBe('video');
  });

  it('answers 400 for an event that is not an HTTP API event', async () => {
    const api = await newApi();

    const response = await serveHttp(API, api, { Records: [] });

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.message).toContain('Invalid HTTP event');
  });

  it('answers 500 INTERNAL, with no trace of the cause, for a failure it does not know, and logs it', async () => {
    const store = createStore(aws.clients, {
      tableName: 'no-such-table',
      bucket: 'no-such-bucket',
    });
    const logged: Array<Record<string, unknown>> = [];

    const response = await serveHttp(
      API,
      { store, mediaBucket: 'no-such-bucket' },
      httpEvent('GET /datasets'),
      (entry) => logged.push(entry),
    );

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal error', details: {} },
    });
    expect(response.body).not.toContain('ResourceNotFound');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        error: expect.stringContaining('ResourceNotFoundException'),
      }),
    ]);
  });
});
