import { z } from 'zod';
import { InvalidInputError, isAnnoflowError, VersionConflictError } from '../../errors/index.js';
import { parseFiftyOneSamples } from '../../labels/fiftyone-json.js';
import type { Sample } from '../../labels/schemas.js';
import { inferFieldSchema, SAMPLE_BUILTINS } from '../../schema/infer-fields.js';
import type { DatasetSchema } from '../../schema/types.js';
import type { DatasetRecord } from '../../store/datasets.js';
import { datasetNameSchema } from '../../store/keys.js';
import { mergeDatasetSchema } from '../../store/merge-dataset-schema.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';

const storedSampleSchema = z.object({
  dataset: z.string(),
  sample: z.record(z.string(), z.unknown()),
  version: z.number(),
  updatedAt: z.string(),
});

const csvList = z.string().transform((value) => value.split(',').filter((part) => part.length > 0));
const csv = csvList.optional();
/** Samples are fetched one read each, so `ids` is capped; more is refused, never truncated. */
const MAX_IDS = 100;

export const listSamples = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/samples',
  operationId: 'listSamples',
  summary:
    'A page of samples; `ids` fetches those samples (at most 100), `tags` keeps samples with any of the tags, `hasField` keeps samples whose field is set',
  params: z.object({ dataset: datasetNameSchema }),
  query: z.object({
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    cursor: z.string().optional(),
    ids: csvList.pipe(z.array(z.string()).max(MAX_IDS, `at most ${MAX_IDS} ids`)).optional(),
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
            items: await Promise.all(query.ids.map((id) => deps.store.samples.get(dataset, id))),
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
        (!Object.hasOwn(sample, query.hasField) ||
          sample[query.hasField] === undefined ||
          sample[query.hasField] === null)
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
  handle: async (deps: ApiDeps, { params }) => {
    try {
      return await deps.store.samples.get(params.dataset, params.id);
    } catch (error) {
      // A missing dataset is the better answer than a missing sample in it.
      if (isAnnoflowError(error) && error.code === 'SAMPLE_NOT_FOUND') {
        await deps.store.datasets.get(params.dataset);
      }
      throw error;
    }
  },
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
    labelField: z
      .string()
      .min(1)
      .refine((name) => !SAMPLE_BUILTINS.has(name), 'must not be a built-in sample field')
      .default('ground_truth'),
  }),
]);

/** Relative filepaths (as exports write them) point at the dataset's media in the bucket. */
function filepathIn(deps: ApiDeps, dataset: string, filepath: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(filepath)) return filepath;
  const relative = filepath.replace(/^\.?\/+/, '').replace(/^data\//, '');
  return `s3://${deps.mediaBucket}/datasets/${dataset}/${relative}`;
}

/** Adds `seen` to the dataset's schema, re-reading it if another write changed it meanwhile. */
async function addFields(
  deps: ApiDeps,
  dataset: string,
  seen: DatasetSchema,
  readVersion: number,
): Promise<DatasetRecord> {
  let version = readVersion;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await deps.store.datasets.updateSchema(dataset, seen, version);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt === 3) throw error;
      version = (await deps.store.datasets.get(dataset)).version;
    }
  }
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
    // COCO's parser (and its schemas) loads with the first COCO import, not at every cold start.
    const samples: Sample[] =
      body.format === 'fiftyone'
        ? parseFiftyOneSamples(body.document).map((sample) => ({
            ...sample,
            filepath: filepathIn(deps, dataset, sample.filepath),
          }))
        : (await import('../../ingest/coco.js')).cocoToSamples(body.document, {
            dataset,
            labelField: body.labelField,
            filepathOf: (fileName) => filepathIn(deps, dataset, fileName),
          });
    // Bad input changes nothing: every check comes before the first write. The samples were
    // parsed above; here their media type and the schema merge are checked (pure), and
    // batchPut validates every sample (ids, sizes) before it writes one. The schema is
    // written after the samples, so a refused sample cannot leave a field behind; an
    // interrupted import is repaired by importing again (it rewrites the same samples).
    samples.forEach((sample, index) => {
      if (sample.media_type !== undefined && sample.media_type !== record.schema.mediaType) {
        throw new InvalidInputError(
          `Invalid sample [${index}] ('${sample.id}'): a ${sample.media_type} sample, but ` +
            `dataset '${dataset}' holds ${record.schema.mediaType} samples`,
          { index, sampleId: sample.id, mediaType: sample.media_type },
        );
      }
    });
    const seen = inferFieldSchema(record.schema.mediaType, samples);
    mergeDatasetSchema(record.schema, seen);
    const identified = await adoptIngestedSamples(deps, dataset, samples);
    await deps.store.samples.batchPut(
      dataset,
      identified.map(({ sample }) => sample),
    );
    await recordMediaObjects(deps, dataset, identified);
    const updated = await addFields(deps, dataset, seen, record.version);
    return { imported: samples.length, fields: updated.schema.sampleFields };
  },
});

/** The media key of a filepath in this dataset's part of the media bucket, if it is one. */
function mediaKeyOf(deps: ApiDeps, dataset: string, filepath: string): string | undefined {
  const prefix = `s3://${deps.mediaBucket}/`;
  if (!filepath.startsWith(prefix)) return undefined;
  const key = filepath.slice(prefix.length);
  return key.startsWith(`datasets/${dataset}/`) ? key : undefined;
}

interface IdentifiedSample {
  sample: Sample;
  mediaKey: string | undefined;
  /** Whether ingest already knows the media object (its record names the sample). */
  known: boolean;
}

/**
 * A sample is identified by its media object: when ingest has already made a sample of
 * the imported sample's media, the import lands on that sample (keeping ingest's metadata
 * if the export has none) instead of creating a second one for the same image.
 */
async function adoptIngestedSamples(
  deps: ApiDeps,
  dataset: string,
  samples: Sample[],
): Promise<IdentifiedSample[]> {
  const out: IdentifiedSample[] = [];
  for (let start = 0; start < samples.length; start += 25) {
    const chunk = await Promise.all(
      samples.slice(start, start + 25).map(async (sample): Promise<IdentifiedSample> => {
        const mediaKey = mediaKeyOf(deps, dataset, sample.filepath);
        const known =
          mediaKey === undefined ? undefined : await deps.store.mediaObjects.get(dataset, mediaKey);
        if (!known?.sampleId || known.sampleId === sample.id)
          return { sample, mediaKey, known: known?.sampleId !== undefined };
        let metadata = sample.metadata;
        if (metadata == null) {
          metadata = await deps.store.samples.get(dataset, known.sampleId).then(
            (stored) => stored.sample.metadata,
            () => undefined,
          );
        }
        return {
          sample: { ...sample, id: known.sampleId, ...(metadata == null ? {} : { metadata }) },
          mediaKey,
          known: true,
        };
      }),
    );
    out.push(...chunk);
  }
  return out;
}

/**
 * Tells ingest which sample each imported media object is, so uploading the media after
 * the import refreshes that sample instead of creating another, also when ingest rejected
 * what was uploaded there before (see `linkSample`).
 */
async function recordMediaObjects(
  deps: ApiDeps,
  dataset: string,
  samples: IdentifiedSample[],
): Promise<void> {
  const updatedAt = new Date().toISOString();
  const unknown = samples.filter((entry) => entry.mediaKey !== undefined && !entry.known);
  for (let start = 0; start < unknown.length; start += 25) {
    await Promise.all(
      unknown.slice(start, start + 25).map(({ sample, mediaKey }) =>
        deps.store.mediaObjects.linkSample({
          dataset,
          key: mediaKey as string,
          sampleId: sample.id,
          updatedAt,
        }),
      ),
    );
  }
}
