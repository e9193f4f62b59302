import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import type { Sample } from '../../../lib/labels/schemas.js';
import { classification, imageSample, oid } from '../../support/builders.js';
import { request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const LIST = 'GET /datasets/{dataset}/samples';
const GET = 'GET /datasets/{dataset}/samples/{id}';

/** A dataset `ds` holding `samples`, served by the API. */
async function apiWith(samples: Sample[]): Promise<ApiDeps> {
  const { store, bucket } = await aws.newStore();
  await store.datasets.create('ds', { mediaType: 'image', sampleFields: {} });
  await store.samples.batchPut('ds', samples);
  return { store, mediaBucket: bucket };
}

const idsOf = (body: { items: Array<{ sample: { id: string } }> }): string[] =>
  body.items.map((item) => item.sample.id);

/** Every sample a listing with `query` returns, following cursors to the end. */
async function listAll(api: ApiDeps, query: Record<string, string>): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { ...query, ...(cursor ? { cursor } : {}) },
    });
    expect(response.status).toBe(200);
    pages.push(idsOf(response.body));
    cursor = response.body.cursor;
  } while (cursor !== undefined);
  return pages;
}

const five = ['s1', 's2', 's3', 's4', 's5'].map((id) => imageSample(id));

describe('GET /datasets/{dataset}/samples', () => {
  it('pages through the samples, `limit` at a time, in id order', async () => {
    const api = await apiWith([...five].reverse());

    const pages = await listAll(api, { limit: '2' });

    expect(pages.flat()).toEqual(['s1', 's2', 's3', 's4', 's5']);
    expect(pages.slice(0, 2)).toEqual([
      ['s1', 's2'],
      ['s3', 's4'],
    ]);
  });

  it('answers each sample with its dataset, version and update time', async () => {
    const api = await apiWith([imageSample('s1', { tags: ['a'] })]);

    const response = await request(api, LIST, { params: { dataset: 'ds' } });

    expect(response.body).toEqual({
      items: [
        {
          dataset: 'ds',
          sample: { id: 's1', filepath: '/data/s1.jpg', media_type: 'image', tags: ['a'] },
          version: 0,
          updatedAt: expect.any(String),
        },
      ],
    });
  });

  it('with `ids`, answers those samples in the order asked', async () => {
    const api = await apiWith(five);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { ids: 's4,s2' },
    });

    expect(response.status).toBe(200);
    expect(idsOf(response.body)).toEqual(['s4', 's2']);
    expect(response.body.cursor).toBeUndefined();
  });

  it('with `ids`, answers 404 SAMPLE_NOT_FOUND naming an id the dataset does not have', async () => {
    const api = await apiWith(five);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { ids: 's1,missing' },
    });

    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({
      code: 'SAMPLE_NOT_FOUND',
      details: { dataset: 'ds', sampleId: 'missing' },
    });
  });

  it('answers 400 naming `ids` for more than 100 ids, rather than dropping some', async () => {
    const api = await apiWith(five);
    const ids = Array.from({ length: 101 }, (_, index) => `s${index}`).join(',');

    const response = await request(api, LIST, { params: { dataset: 'ds' }, query: { ids } });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("query string at 'ids'");
  });

  it('with `tags`, keeps the samples that have any of the tags', async () => {
    const api = await apiWith([
      imageSample('s1', { tags: ['train'] }),
      imageSample('s2', { tags: ['val'] }),
      imageSample('s3', { tags: ['test', 'hard'] }),
      imageSample('s4'),
    ]);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { tags: 'train,hard' },
    });

    expect(idsOf(response.body)).toEqual(['s1', 's3']);
  });

  it('with `hasField`, keeps the samples whose field is set and not null', async () => {
    const api = await apiWith([
      imageSample('s1', { ground_truth: classification(oid(1), 'cat') }),
      imageSample('s2', { ground_truth: null }),
      imageSample('s3'),
      imageSample('s4', { ground_truth: classification(oid(4), 'dog') }),
    ]);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { hasField: 'ground_truth' },
    });

    expect(idsOf(response.body)).toEqual(['s1', 's4']);
  });

  it('with `hasField`, counts only fields of the sample, not of every object', async () => {
    const api = await apiWith(five);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { hasField: 'constructor' },
    });

    expect(idsOf(response.body)).toEqual([]);
  });

  it('filters within each page, so following the cursor finds every match', async () => {
    const api = await apiWith(
      ['s1', 's2', 's3', 's4', 's5', 's6'].map((id, index) =>
        imageSample(id, { tags: index % 2 === 0 ? ['even'] : [] }),
      ),
    );

    const pages = await listAll(api, { limit: '4', tags: 'even' });

    expect(pages).toEqual([['s1', 's3'], ['s5']]);
  });

  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await apiWith([]);

    const response = await request(api, LIST, { params: { dataset: 'other' } });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('DATASET_NOT_FOUND');
  });

  it('answers 400 naming the cursor for a cursor this listing did not make', async () => {
    const api = await apiWith(five);

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { cursor: 'not a cursor!' },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'INVALID_INPUT',
      message: 'Invalid cursor: not a cursor returned by this listing',
      details: { field: 'cursor' },
    });
  });

  it("answers 400 for another dataset's cursor, so it cannot read that dataset", async () => {
    const api = await apiWith(five);
    await api.store.datasets.create('other', { mediaType: 'image', sampleFields: {} });
    await api.store.samples.batchPut('other', five);
    const theirs = await request(api, LIST, {
      params: { dataset: 'other' },
      query: { limit: '1' },
    });

    const response = await request(api, LIST, {
      params: { dataset: 'ds' },
      query: { cursor: theirs.body.cursor },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('Invalid cursor: it belongs to another listing');
  });

  it.each([['0'], ['1001'], ['-1'], ['2.5'], ['many']])(
    'answers 400 naming `limit` for limit=%s',
    async (limit) => {
      const api = await apiWith(five);

      const response = await request(api, LIST, { params: { dataset: 'ds' }, query: { limit } });

      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining("query string at 'limit'"),
      });
    },
  );
});

describe('GET /datasets/{dataset}/samples/{id}', () => {
  it('answers the sample with its labels', async () => {
    const label = classification(oid(7), 'cat', { confidence: 0.9 });
    const api = await apiWith([imageSample('s1', { ground_truth: label })]);

    const response = await request(api, GET, { params: { dataset: 'ds', id: 's1' } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      dataset: 'ds',
      sample: { id: 's1', filepath: '/data/s1.jpg', ground_truth: label },
      version: 0,
    });
  });

  it('answers a sample whose id needs escaping in the path', async () => {
    const api = await apiWith([imageSample('cam 1#a/b')]);

    const response = await request(api, GET, { params: { dataset: 'ds', id: 'cam 1#a/b' } });

    expect(response.status).toBe(200);
    expect(response.body.sample.id).toBe('cam 1#a/b');
  });

  it('answers 404 SAMPLE_NOT_FOUND for an id the dataset does not have', async () => {
    const api = await apiWith(five);

    const response = await request(api, GET, { params: { dataset: 'ds', id: 'nope' } });

    expect(response).toEqual({
      status: 404,
      body: {
        error: {
          code: 'SAMPLE_NOT_FOUND',
          message: "Dataset 'ds' has no sample 'nope'",
          details: { dataset: 'ds', sampleId: 'nope' },
        },
      },
    });
  });

  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await apiWith(five);

    const response = await request(api, GET, { params: { dataset: 'other', id: 's1' } });

    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({
      code: 'DATASET_NOT_FOUND',
      details: { dataset: 'other' },
    });
  });

  it('answers 404 SAMPLE_NOT_FOUND for a sample of another dataset', async () => {
    const api = await apiWith([]);
    await api.store.datasets.create('other', { mediaType: 'image', sampleFields: {} });
    await api.store.samples.put('other', imageSample('s1'));

    const response = await request(api, GET, { params: { dataset: 'ds', id: 's1' } });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('SAMPLE_NOT_FOUND');
  });
});
