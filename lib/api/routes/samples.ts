import { z } from 'zod';
import { cocoToSamples } from '../../ingest/coco.js';
import { parseFiftyOneSamples } from '../../labels/fiftyone-json.js';
import type { Sample } from '../../labels/schemas.js';
import { inferFieldSchema } from '../../schema/infer-fields.js';
import { datasetNameSchema } from '../../store/keys.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';

const storedSampleSchema = z.object({
  dataset: z.string(),
  sample: z.record(z.string(), z.unknown()),
  version: z.number(),
  updatedAt: z.string(),
});

const csv = z
  .string()
  .transform((value) => value.split(',').filter((part) => part.length > 0))
  .optional();

export const listSamples = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/samples',
  operationId: 'listSamples',
  summary:
    'A page of samples; `ids` fetches those samples, `tags` keeps samples with any of the tags, `hasField` keeps samples whose field is set',
  params: z.object({ dataset: datasetNameSchema }),
  query: z.object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    cursor: z.string().optional(),
    ids: csv,
    tags: csv,
    hasField: z.string().min(1).optional(),
  }),
  body: null,
  response: z.object({ items: z.array(storedSampleSchema), cursor: z.string().optional() }),
  handle: async (deps: ApiDeps, { params, query }) => {
    const { dataset } = params;
    await deps.store.datasets.get(dataset);
    const page =
      query.ids !== undefined
        ? {
            items: await Promise.all(
              query.ids.slice(0, 100).map((id) => deps.store.samples.get(dataset, id)),
            ),
          }
        : await deps.store.samples.list(dataset, {
            ...(query.limit !== undefined ? { limit: query.limit } : {}),
            ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
          });
    // Filters apply within the page, so a page may hold fewer than `limit` items; the
    // cursor still moves through the whole dataset.
    const items = page.items.filter(({ sample }) => {
      if (query.tags && !query.tags.some((tag) => sample.tags?.includes(tag))) return false;
      if (
        query.hasField &&
        (sample[query.hasField] === undefined || sample[query.hasField] === null)
      )
        return false;
      return true;
    });
    return { items, ...('cursor' in page && page.cursor ? { cursor: page.cursor } : {}) };
  },
});

export const getSample = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/samples/{id}',
  operationId: 'getSample',
  summary: 'One sample with its labels',
  params: z.object({ dataset: datasetNameSchema, id: z.string().min(1) }),
  query: z.object({}),
  body: null,
  response: storedSampleSchema,
  handle: (deps: ApiDeps, { params }) => deps.store.samples.get(params.dataset, params.id),
});

const importBody = z.discriminatedUnion('format', [
  z.strictObject({
    format: z.literal('fiftyone'),
    /** A FiftyOne `samples.json` export (or a list of samples). */
    document: z.unknown(),
  }),
  z.strictObject({
    format: z.literal('coco'),
    /** A COCO detection file (`instances_*.json`). */
    document: z.unknown(),
    labelField: z.string().min(1).default('ground_truth'),
  }),
]);

/** Relative filepaths (as exports write them) point at the dataset's media in the bucket. */
function filepathIn(deps: ApiDeps, dataset: string, filepath: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filepath)) return filepath;
  const relative = filepath.replace(/^\.?\/+/, '').replace(/^data\//, '');
  return `s3://${deps.mediaBucket}/datasets/${dataset}/${relative}`;
}

export const importSamples = defineRoute({
  method: 'POST',
  path: '/datasets/{dataset}/samples/import',
  operationId: 'importSamples',
  summary:
    'Import samples with their labels from a FiftyOne export or a COCO detection file; re-importing the same file rewrites the same samples',
  params: z.object({ dataset: datasetNameSchema }),
  query: z.object({}),
  body: importBody,
  response: z.object({ imported: z.number().int(), fields: z.record(z.string(), z.string()) }),
  handle: async (deps: ApiDeps, { params, body }) => {
    const { dataset } = params;
    const record = await deps.store.datasets.get(dataset);
    const samples: Sample[] =
      body.format === 'fiftyone'
        ? parseFiftyOneSamples(body.document).map((sample) => ({
            ...sample,
            filepath: filepathIn(deps, dataset, sample.filepath),
          }))
        : cocoToSamples(body.document, {
            dataset,
            labelField: body.labelField,
            filepathOf: (fileName) => filepathIn(deps, dataset, fileName),
          });
    // Everything is validated before anything is written; the schema first, so a sample
    // never holds a field the dataset does not know.
    const seen = inferFieldSchema(record.schema.mediaType, samples);
    const updated = await deps.store.datasets.updateSchema(dataset, seen, record.version);
    for (let start = 0; start < samples.length; start += 500) {
      await deps.store.samples.batchPut(dataset, samples.slice(start, start + 500));
    }
    return { imported: samples.length, fields: updated.schema.sampleFields };
  },
});
