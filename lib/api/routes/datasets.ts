import { z } from 'zod';
import { mediaTypeSchema } from '../../labels/schemas.js';
import { datasetSchemaSchema } from '../../schema/types.js';
import { datasetNameSchema } from '../../store/keys.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';

const datasetParams = z.object({ dataset: datasetNameSchema });
const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().optional(),
});

const datasetSchema = z.object({
  name: z.string(),
  schema: datasetSchemaSchema,
  version: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const createDataset = defineRoute({
  method: 'POST',
  path: '/datasets',
  operationId: 'createDataset',
  summary: 'Create a dataset (its media type is fixed for life)',
  params: z.object({}),
  query: z.object({}),
  body: z.strictObject({ name: datasetNameSchema, mediaType: mediaTypeSchema }),
  response: datasetSchema,
  status: 201,
  handle: (deps: ApiDeps, { body }) =>
    deps.store.datasets.create(body.name, { mediaType: body.mediaType, sampleFields: {} }),
});

export const listDatasets = defineRoute({
  method: 'GET',
  path: '/datasets',
  operationId: 'listDatasets',
  summary: 'List datasets by name, one page at a time',
  params: z.object({}),
  query: pageQuery,
  body: null,
  response: z.object({ items: z.array(datasetSchema), cursor: z.string().optional() }),
  handle: (deps: ApiDeps, { query }) => deps.store.datasets.list(query),
});

export const getDataset = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}',
  operationId: 'getDataset',
  summary: 'A dataset with its field schema and sample count',
  params: datasetParams,
  query: z.object({}),
  body: null,
  response: datasetSchema.extend({ counts: z.object({ samples: z.number().int() }) }),
  handle: async (deps: ApiDeps, { params }) => {
    const record = await deps.store.datasets.get(params.dataset);
    return { ...record, counts: { samples: await deps.store.samples.count(params.dataset) } };
  },
});

export const deleteDataset = defineRoute({
  method: 'DELETE',
  path: '/datasets/{dataset}',
  operationId: 'deleteDataset',
  summary: 'Delete a dataset, its samples and its run records (media objects are kept)',
  params: datasetParams,
  query: z.object({}),
  body: null,
  response: z.null(),
  status: 204,
  handle: async (deps: ApiDeps, { params }) => {
    await deps.store.datasets.delete(params.dataset);
    return null;
  },
});
