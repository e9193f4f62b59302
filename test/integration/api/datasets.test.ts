import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import { detection, detections, imageSample, oid } from '../../support/builders.js';
import { request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

async function newApi(): Promise<ApiDeps> {
  const { store, bucket } = await aws.newStore();
  return { store, mediaBucket: bucket };
}

describe('POST /datasets', () => {
  it('creates a dataset and answers 201 with it, at version 0 with no fields', async () => {
    const api = await newApi();

    const response = await request(api, 'POST /datasets', {
      body: { name: 'street-scenes', mediaType: 'image' },
    });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      name: 'street-scenes',
      schema: { mediaType: 'image', sampleFields: {} },
      version: 0,
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(await api.store.datasets.get('street-scenes')).toEqual(response.body);
  });

  it('answers 409 DATASET_EXISTS for a name in use and leaves that dataset unchanged', async () => {
    const api = await newApi();
    const created = await request(api, 'POST /datasets', {
      body: { name: 'cars', mediaType: 'image' },
    });

    const again = await request(api, 'POST /datasets', {
      body: { name: 'cars', mediaType: 'video' },
    });

    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: {
        code: 'DATASET_EXISTS',
        message: "Dataset 'cars' already exists",
        details: { dataset: 'cars' },
      },
    });
    expect(await api.store.datasets.get('cars')).toEqual(created.body);
  });

  it.each([['a#b'], [''], ['has space'], ['x'.repeat(129)]])(
    'answers 400 naming `name` for the name %j, and creates nothing',
    async (name) => {
      const api = await newApi();

      const response = await request(api, 'POST /datasets', { body: { name, mediaType: 'image' } });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining("request body at 'name'"),
        details: { issues: [{ path: 'name', message: expect.any(String) }] },
      });
      expect((await api.store.datasets.list()).items).toEqual([]);
    },
  );

  it('answers 400 for a body key it does not know, naming the key', async () => {
    const api = await newApi();

    const response = await request(api, 'POST /datasets', {
      body: { name: 'cars', mediaType: 'image', owner: 'me' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_INPUT');
    expect(JSON.stringify(response.body.error)).toContain('owner');
    expect((await api.store.datasets.list()).items).toEqual([]);
  });

  it('answers 400 naming `mediaType` for a media type other than image or video', async () => {
    const api = await newApi();

    const response = await request(api, 'POST /datasets', {
      body: { name: 'cars', mediaType: 'audio' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("request body at 'mediaType'");
  });
});

describe('GET /datasets', () => {
  it('lists datasets by name, `limit` per page, following the cursor to the end', async () => {
    const api = await newApi();
    for (const name of ['c', 'a', 'e', 'b', 'd']) {
      await request(api, 'POST /datasets', { body: { name, mediaType: 'image' } });
    }

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const response = await request(api, 'GET /datasets', {
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(response.status).toBe(200);
      pages.push(response.body.items.map((item: { name: string }) => item.name));
      cursor = response.body.cursor;
    } while (cursor !== undefined);

    expect(pages.flat()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages.slice(0, 2)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('answers an empty list without a cursor when there are no datasets', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets');

    expect(response).toEqual({ status: 200, body: { items: [] } });
  });
});

describe('GET /datasets/{dataset}', () => {
  it('answers the dataset with its field schema and its sample count', async () => {
    const api = await newApi();
    await api.store.datasets.create('birds', {
      mediaType: 'image',
      sampleFields: { ground_truth: 'Detections' },
    });
    await api.store.samples.batchPut('birds', [
      imageSample('s1', { ground_truth: detections(detection(oid(1), 'bird')) }),
      imageSample('s2'),
      imageSample('s3'),
    ]);

    const response = await request(api, 'GET /datasets/{dataset}', {
      params: { dataset: 'birds' },
    });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      name: 'birds',
      schema: { mediaType: 'image', sampleFields: { ground_truth: 'Detections' } },
      version: 0,
      counts: { samples: 3 },
    });
  });

  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}', {
      params: { dataset: 'nope' },
    });

    expect(response).toEqual({
      status: 404,
      body: {
        error: {
          code: 'DATASET_NOT_FOUND',
          message: "Dataset 'nope' not found",
          details: { dataset: 'nope' },
        },
      },
    });
  });

  it('answers 400 naming the path parameter for a dataset name that cannot exist', async () => {
    const api = await newApi();

    const response = await request(api, 'GET /datasets/{dataset}', {
      params: { dataset: 'a#b' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("path parameters at 'dataset'");
  });
});

describe('DELETE /datasets/{dataset}', () => {
  it('answers 204 with no body, after which the dataset and its samples are gone', async () => {
    const api = await newApi();
    await request(api, 'POST /datasets', { body: { name: 'gone', mediaType: 'image' } });
    await api.store.samples.batchPut('gone', [imageSample('s1'), imageSample('s2')]);

    const response = await request(api, 'DELETE /datasets/{dataset}', {
      params: { dataset: 'gone' },
    });

    expect(response).toEqual({ status: 204, body: undefined });
    const params = { dataset: 'gone' };
    expect((await request(api, 'GET /datasets/{dataset}', { params })).status).toBe(404);
    expect((await request(api, 'GET /datasets/{dataset}/samples', { params })).status).toBe(404);
    expect(await api.store.samples.count('gone')).toBe(0);
  });

  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await newApi();

    const response = await request(api, 'DELETE /datasets/{dataset}', {
      params: { dataset: 'nope' },
    });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('DATASET_NOT_FOUND');
  });

  it('leaves other datasets and their samples alone', async () => {
    const api = await newApi();
    for (const name of ['gone', 'kept']) {
      await request(api, 'POST /datasets', { body: { name, mediaType: 'image' } });
      await api.store.samples.batchPut(name, [imageSample('s1')]);
    }

    await request(api, 'DELETE /datasets/{dataset}', { params: { dataset: 'gone' } });

    const kept = await request(api, 'GET /datasets/{dataset}', { params: { dataset: 'kept' } });
    expect(kept.body.counts).toEqual({ samples: 1 });
  });
});
