import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import type { DatasetRecord } from '../../../lib/store/datasets.js';
import { request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const IMPORT = 'POST /datasets/{dataset}/samples/import';
const params = { dataset: 'birds' };

/** An empty image dataset `birds` (with `sampleFields` if given), served by the API. */
async function newApi(sampleFields: Record<string, string> = {}): Promise<ApiDeps> {
  const { store, bucket } = await aws.newStore();
  await store.datasets.create('birds', { mediaType: 'image', sampleFields });
  return { store, mediaBucket: bucket };
}

/** What a request could have changed: the dataset record and every stored sample. */
async function snapshot(api: ApiDeps): Promise<{ dataset: DatasetRecord; samples: unknown[] }> {
  return {
    dataset: await api.store.datasets.get('birds'),
    samples: (await api.store.samples.list('birds', { limit: 1000 })).items,
  };
}

// `samples.json` as FiftyOne's `FiftyOneDataset` exporter writes it: MongoDB extended JSON.
const SAMPLE_1 = '64b0a1b2c3d4e5f601234567';
const SAMPLE_2 = '64b0a1b2c3d4e5f601234568';
const LABEL_1 = '64b0a1b2c3d4e5f6aaaaaaaa';
const LABEL_2 = '64b0a1b2c3d4e5f6bbbbbbbb';

function fiftyOneSample(
  id: string,
  filepath: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    _id: { $oid: id },
    filepath,
    tags: ['validation'],
    metadata: { _cls: 'ImageMetadata', width: 640, height: 480 },
    _media_type: 'image',
    _rand: 0.123,
    _dataset_id: { $oid: '64b0a1b2c3d4e5f600000000' },
    created_at: { $date: 1700000000000 },
    last_modified_at: { $date: 1700000000000 },
    ...fields,
  };
}

function fiftyOneDetection(id: string, label: string): Record<string, unknown> {
  return {
    _id: { $oid: id },
    _cls: 'Detection',
    attributes: {},
    tags: [],
    label,
    bounding_box: [0.1, 0.2, 0.3, 0.4],
    mask: null,
    confidence: null,
    index: null,
    iscrowd: 0,
  };
}

const fiftyOneExport = {
  samples: [
    fiftyOneSample(SAMPLE_1, 'data/000001.jpg', {
      ground_truth: { _cls: 'Detections', detections: [fiftyOneDetection(LABEL_1, 'bird')] },
      weather: { _cls: 'Classification', _id: { $oid: LABEL_2 }, label: 'sunny' },
      uniqueness: 0.42,
    }),
    fiftyOneSample(SAMPLE_2, 'data/nested/000002.jpg', {
      ground_truth: { _cls: 'Detections', detections: [] },
      weather: null,
      uniqueness: 0.17,
    }),
  ],
};

// A COCO `instances_*.json`: absolute [x, y, w, h] pixel boxes.
const cocoFile = {
  images: [
    { id: 1, file_name: 'img/a.jpg', width: 640, height: 480 },
    { id: 2, file_name: 'img/b.jpg', width: 200, height: 100 },
  ],
  annotations: [
    { id: 10, image_id: 1, category_id: 3, bbox: [64, 120, 320, 240], iscrowd: 0 },
    { id: 11, image_id: 1, category_id: 1, bbox: [0, 0, 640, 480], iscrowd: 1 },
    { id: 12, image_id: 2, category_id: 1, bbox: [50, 25, 100, 50], score: 0.75 },
  ],
  categories: [
    { id: 1, name: 'person' },
    { id: 3, name: 'car' },
  ],
};

describe('POST /datasets/{dataset}/samples/import (FiftyOne export)', () => {
  it('stores every sample with its labels, under the ids of the export', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'fiftyone', document: fiftyOneExport },
    });

    expect(response.status).toBe(200);
    expect(response.body.imported).toBe(2);
    const first = (await api.store.samples.get('birds', SAMPLE_1)).sample;
    expect(first).toMatchObject({
      id: SAMPLE_1,
      media_type: 'image',
      tags: ['validation'],
      metadata: { _cls: 'ImageMetadata', width: 640, height: 480 },
      uniqueness: 0.42,
      weather: { _cls: 'Classification', id: LABEL_2, label: 'sunny' },
      ground_truth: {
        _cls: 'Detections',
        detections: [
          { _cls: 'Detection', id: LABEL_1, label: 'bird', bounding_box: [0.1, 0.2, 0.3, 0.4] },
        ],
      },
    });
    expect(first).not.toHaveProperty('_id');
    expect(first).not.toHaveProperty('_dataset_id');
    expect(first).not.toHaveProperty('_rand');
    expect((await api.store.samples.get('birds', SAMPLE_2)).sample.uniqueness).toBe(0.17);
  });

  it("maps relative filepaths into the dataset's folder of the media bucket", async () => {
    const api = await newApi();
    const document = [
      fiftyOneSample(SAMPLE_1, 'data/000001.jpg'),
      fiftyOneSample(SAMPLE_2, 'images/cam 1/000002.jpg'),
      fiftyOneSample('64b0a1b2c3d4e5f601234569', './000003.jpg'),
      fiftyOneSample('64b0a1b2c3d4e5f60123456a', 's3://elsewhere/000004.jpg'),
    ];

    await request(api, IMPORT, { params, body: { format: 'fiftyone', document } });

    const filepaths = (await api.store.samples.list('birds')).items.map(
      (item) => item.sample.filepath,
    );
    const bucket = api.mediaBucket;
    expect(filepaths).toEqual([
      `s3://${bucket}/datasets/birds/000001.jpg`,
      `s3://${bucket}/datasets/birds/images/cam 1/000002.jpg`,
      `s3://${bucket}/datasets/birds/000003.jpg`,
      's3://elsewhere/000004.jpg',
    ]);
  });

  it("adds the export's fields to the dataset's schema and answers them", async () => {
    const api = await newApi({ reviewed: 'BooleanField' });

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'fiftyone', document: fiftyOneExport },
    });

    const fields = {
      reviewed: 'BooleanField',
      ground_truth: 'Detections',
      weather: 'Classification',
      uniqueness: 'FloatField',
    };
    expect(response.body.fields).toEqual(fields);
    const dataset = await request(api, 'GET /datasets/{dataset}', { params });
    expect(dataset.body).toMatchObject({
      schema: { mediaType: 'image', sampleFields: fields },
      version: 1,
      counts: { samples: 2 },
    });
  });

  it('rewrites the same samples when the same export is imported twice', async () => {
    const api = await newApi();
    const body = { format: 'fiftyone', document: fiftyOneExport };
    await request(api, IMPORT, { params, body });
    const before = await snapshot(api);

    const again = await request(api, IMPORT, { params, body });

    expect(again.status).toBe(200);
    const after = await snapshot(api);
    expect(after.samples).toHaveLength(2);
    expect(after.samples.map((item) => (item as { sample: unknown }).sample)).toEqual(
      before.samples.map((item) => (item as { sample: unknown }).sample),
    );
    expect(after.dataset).toEqual(before.dataset);
  });

  it('answers 400 naming the sample and `filepath` for a sample without one, writing nothing', async () => {
    const api = await newApi();
    const { filepath: _dropped, ...noFilepath } = fiftyOneSample(SAMPLE_2, 'x.jpg', {
      uniqueness: 0.1,
    });
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      body: {
        format: 'fiftyone',
        document: { samples: [fiftyOneExport.samples[0], noFilepath] },
      },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("sample [1] at 'filepath'"),
    });
    expect(await snapshot(api)).toEqual(before);
  });

  // JSON text, not an object literal: a literal's `__proto__:` sets the prototype instead.
  const withProtoKey = (json: string): string => json.replaceAll('"PROTO"', '"__proto__"');
  it.each([
    ['a sample field', '{"filepath":"a.jpg","PROTO":"x"}', 'document.samples[0].__proto__'],
    [
      'a label attribute',
      '{"filepath":"a.jpg","gt":{"_cls":"Classification","label":"bird","PROTO":1}}',
      'document.samples[0].gt.__proto__',
    ],
    // zod would drop the key, so the sample would have been stored without it, silently.
    [
      'a field spelled with escapes',
      '{"filepath":"a.jpg","\\u005f_proto__":"x"}',
      'document.samples[0].__proto__',
    ],
  ])('answers 400 naming %s called `__proto__`, writing nothing', async (_what, sample, path) => {
    const api = await newApi();
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      rawBody: withProtoKey(`{"format":"fiftyone","document":{"samples":[${sample}]}}`),
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: `Invalid request body at '${path}': '__proto__' cannot name a field, attribute or other key`,
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 409 SCHEMA_FIELD_CONFLICT naming a field whose type differs from the dataset, writing nothing', async () => {
    const api = await newApi({ uniqueness: 'StringField' });
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'fiftyone', document: fiftyOneExport },
    });

    expect(response.status).toBe(409);
    expect(response.body.error).toEqual({
      code: 'SCHEMA_FIELD_CONFLICT',
      message: "Field 'uniqueness' is a StringField, not a FloatField",
      details: { field: 'uniqueness', was: 'StringField', now: 'FloatField' },
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 400 naming the id for two samples with one id, writing nothing', async () => {
    const api = await newApi();
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      body: {
        format: 'fiftyone',
        document: [
          fiftyOneSample(SAMPLE_1, 'a.jpg', { uniqueness: 0.1 }),
          fiftyOneSample(SAMPLE_1, 'b.jpg', { uniqueness: 0.2 }),
        ],
      },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(SAMPLE_1),
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 400 naming the sample for a sample of another media type, writing nothing', async () => {
    const api = await newApi();
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      body: {
        format: 'fiftyone',
        document: [
          fiftyOneSample(SAMPLE_1, 'a.jpg', { uniqueness: 0.1 }),
          fiftyOneSample(SAMPLE_2, 'b.mp4', { _media_type: 'video', uniqueness: 0.2 }),
        ],
      },
    });

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/sample \[1\].*video.*image/),
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 413 ITEM_TOO_LARGE for a sample DynamoDB cannot hold, writing nothing', async () => {
    const api = await newApi();
    const before = await snapshot(api);

    const response = await request(api, IMPORT, {
      params,
      body: {
        format: 'fiftyone',
        document: [
          fiftyOneSample(SAMPLE_1, 'a.jpg', { uniqueness: 0.1 }),
          fiftyOneSample(SAMPLE_2, 'b.jpg', { notes: 'x'.repeat(400 * 1024) }),
        ],
      },
    });

    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({
      code: 'ITEM_TOO_LARGE',
      message: expect.stringContaining(SAMPLE_2),
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('refuses a bad sample late in a large import without writing the samples before it', async () => {
    const api = await newApi();
    const before = await snapshot(api);
    const document = Array.from({ length: 600 }, (_, index) =>
      fiftyOneSample((index + 1).toString(16).padStart(24, '0'), `${index}.jpg`),
    );
    document.push(fiftyOneSample(SAMPLE_2, 'big.jpg', { notes: 'x'.repeat(400 * 1024) }));

    const response = await request(api, IMPORT, { params, body: { format: 'fiftyone', document } });

    expect(response.status).toBe(413);
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 400 for a document that is neither an export nor a list of samples', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'fiftyone', document: { items: [] } },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("FiftyOne samples export at 'samples'");
  });
});

describe('POST /datasets/{dataset}/samples/import (COCO detections)', () => {
  const body = { format: 'coco', document: cocoFile };

  /** The stored samples, by the file name of their media. */
  async function samplesByFile(api: ApiDeps): Promise<Record<string, Record<string, unknown>>> {
    const items = (await api.store.samples.list('birds')).items.map((item) => item.sample);
    return Object.fromEntries(items.map((sample) => [sample.filepath.split('/').at(-1), sample]));
  }

  /** The detections of `file`'s `ground_truth`. */
  async function detectionsOf(api: ApiDeps, file: string): Promise<Record<string, unknown>[]> {
    const field = (await samplesByFile(api))[file]?.ground_truth as
      | { detections: Record<string, unknown>[] }
      | undefined;
    if (!field) throw new Error(`no ground_truth on ${file}`);
    return field.detections;
  }

  it('makes one sample per image, its boxes a Detections field relative to the image size', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, { params, body });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ imported: 2, fields: { ground_truth: 'Detections' } });
    expect((await samplesByFile(api))['a.jpg']).toMatchObject({
      filepath: `s3://${api.mediaBucket}/datasets/birds/img/a.jpg`,
      media_type: 'image',
      metadata: { _cls: 'ImageMetadata', width: 640, height: 480 },
      ground_truth: {
        _cls: 'Detections',
        detections: [
          { _cls: 'Detection', label: 'car' },
          { _cls: 'Detection', label: 'person' },
        ],
      },
    });
  });

  it('converts a box from absolute [x, y, w, h] pixels to relative coordinates', async () => {
    const api = await newApi();

    await request(api, IMPORT, { params, body });

    const [car] = await detectionsOf(api, 'a.jpg');
    // [64, 120, 320, 240] on 640 × 480
    expect(car?.bounding_box).toEqual([0.1, 0.25, 0.5, 0.5]);
  });

  it('keeps `iscrowd` and turns `score` into `confidence`', async () => {
    const api = await newApi();

    await request(api, IMPORT, { params, body });

    const onA = await detectionsOf(api, 'a.jpg');
    const onB = await detectionsOf(api, 'b.jpg');
    expect(onA.map((detection) => detection.iscrowd)).toEqual([0, 1]);
    expect(onB).toEqual([
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'person',
        bounding_box: [0.25, 0.25, 0.5, 0.5],
        confidence: 0.75,
      },
    ]);
  });

  it('stores the labels in the field named by `labelField`', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params,
      body: { ...body, labelField: 'coco_gt' },
    });

    expect(response.body.fields).toEqual({ coco_gt: 'Detections' });
    expect((await samplesByFile(api))['a.jpg']).toHaveProperty('coco_gt');
  });

  it('gives the same sample and label ids when the same file is imported again', async () => {
    const api = await newApi();
    await request(api, IMPORT, { params, body });
    const first = await snapshot(api);

    await request(api, IMPORT, { params, body });

    const second = await snapshot(api);
    expect(second.samples).toHaveLength(2);
    expect(second.samples.map((item) => (item as { sample: unknown }).sample)).toEqual(
      first.samples.map((item) => (item as { sample: unknown }).sample),
    );
  });

  it.each([['metadata'], ['filepath'], ['id'], ['tags']])(
    'answers 400 naming `labelField` for the built-in sample field %j, writing nothing',
    async (labelField) => {
      const api = await newApi();
      const before = await snapshot(api);

      const response = await request(api, IMPORT, { params, body: { ...body, labelField } });

      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain("request body at 'labelField'");
      expect(await snapshot(api)).toEqual(before);
    },
  );

  it('answers 400 naming the annotation and the image for an annotation of an unknown image, writing nothing', async () => {
    const api = await newApi();
    const before = await snapshot(api);
    const document = {
      ...cocoFile,
      annotations: [
        ...cocoFile.annotations,
        { id: 13, image_id: 99, category_id: 1, bbox: [0, 0, 1, 1] },
      ],
    };

    const response = await request(api, IMPORT, { params, body: { format: 'coco', document } });

    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({
      code: 'INVALID_INPUT',
      message: 'Invalid COCO detections file: annotation 13 refers to unknown image 99',
      details: { annotationId: 13 },
    });
    expect(await snapshot(api)).toEqual(before);
  });

  it('answers 400 naming the annotation for an unknown category, writing nothing', async () => {
    const api = await newApi();
    const before = await snapshot(api);
    const document = {
      ...cocoFile,
      annotations: [{ id: 14, image_id: 1, category_id: 7, bbox: [0, 0, 1, 1] }],
    };

    const response = await request(api, IMPORT, { params, body: { format: 'coco', document } });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(
      'Invalid COCO detections file: annotation 14 refers to unknown category 7',
    );
    expect(await snapshot(api)).toEqual(before);
  });

  it.each([
    [
      'annotation',
      {
        ...cocoFile,
        annotations: [
          ...cocoFile.annotations,
          { id: 10, image_id: 2, category_id: 1, bbox: [0, 0, 10, 10] },
        ],
      },
      { annotationId: 10 },
    ],
    [
      'image',
      {
        ...cocoFile,
        images: [...cocoFile.images, { id: 2, file_name: 'img/c.jpg', width: 20, height: 10 }],
      },
      { imageId: 2 },
    ],
  ])(
    'answers 400 naming an %s id that appears twice (labels would share an id), writing nothing',
    async (kind, document, details) => {
      const api = await newApi();
      const before = await snapshot(api);

      const response = await request(api, IMPORT, { params, body: { format: 'coco', document } });

      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({
        code: 'INVALID_INPUT',
        message: `Invalid COCO detections file: ${kind} id ${Object.values(details)[0]} appears more than once`,
        details,
      });
      expect(await snapshot(api)).toEqual(before);
    },
  );

  it('answers 400 naming the path of a malformed annotation', async () => {
    const api = await newApi();
    const document = {
      ...cocoFile,
      annotations: [{ id: 15, image_id: 1, category_id: 1, bbox: [0, 0, 1] }],
    };

    const response = await request(api, IMPORT, { params, body: { format: 'coco', document } });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(
      "Invalid COCO detections file at 'annotations[0].bbox'",
    );
  });

  it('answers 409 SCHEMA_FIELD_CONFLICT when the label field holds another type, writing nothing', async () => {
    const api = await newApi({ ground_truth: 'Classification' });
    const before = await snapshot(api);

    const response = await request(api, IMPORT, { params, body });

    expect(response.status).toBe(409);
    expect(response.body.error.details).toEqual({
      field: 'ground_truth',
      was: 'Classification',
      now: 'Detections',
    });
    expect(await snapshot(api)).toEqual(before);
  });
});

describe('POST /datasets/{dataset}/samples/import (request)', () => {
  it('answers 404 DATASET_NOT_FOUND for a dataset that does not exist', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params: { dataset: 'nope' },
      body: { format: 'coco', document: cocoFile },
    });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('DATASET_NOT_FOUND');
  });

  it('answers 400 naming `format` for a format it does not import', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'yolo', document: {} },
    });

    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("request body at 'format'");
  });

  it('answers 400 for `labelField` on a FiftyOne import, where it means nothing', async () => {
    const api = await newApi();

    const response = await request(api, IMPORT, {
      params,
      body: { format: 'fiftyone', document: fiftyOneExport, labelField: 'x' },
    });

    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error)).toContain('labelField');
  });
});
