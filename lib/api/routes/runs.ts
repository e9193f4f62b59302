import { z } from 'zod';
import { redactSecrets } from '../../config/index.js';
import { isAnnoflowError } from '../../errors/index.js';
import { isValidAnnoKey, listRuns, type RunRecord, runRecordSchema } from '../../runs/index.js';
import { runCountersSchema } from '../../runs/record.js';
import { runStatusSchema } from '../../runs/status.js';
import { datasetNameSchema, validateRunKey } from '../../store/keys.js';
import { releaseWaiting } from '../../workflows/await-completion.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';

export const runParams = z.object({ dataset: datasetNameSchema, annoKey: z.string().min(1) });

/** One line of `GET /datasets/{dataset}/runs`: what a listing needs, not the whole config. */
const runSummarySchema = z.object({
  annoKey: z.string(),
  backend: z.string(),
  status: runStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  counters: runCountersSchema,
});

/**
 * The record as stored, with the backend params redacted once more on the way out (the
 * store already refuses unredacted credentials, and an answer must never carry one) and
 * without the waiting workflow's task token.
 */
function publicRecord(record: RunRecord): RunRecord {
  const { waiting: _internal, ...rest } = record;
  return { ...rest, config: { ...record.config, params: redactSecrets(record.config.params) } };
}

/** A missing dataset is the better answer than a missing run in it. */
export async function explainMissingRun(
  deps: ApiDeps,
  dataset: string,
  error: unknown,
): Promise<never> {
  if (isAnnoflowError(error) && error.code === 'RUN_NOT_FOUND') {
    await deps.store.datasets.get(dataset);
  }
  throw error;
}

export const listAnnotationRuns = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs',
  operationId: 'listAnnotationRuns',
  summary:
    "The dataset's annotation runs sorted by key (FiftyOne's `list_annotation_runs`); `backend` and `status` keep the runs with that backend or status",
  params: z.object({ dataset: datasetNameSchema }),
  query: z.object({
    backend: z.string().min(1).optional(),
    status: runStatusSchema.optional(),
  }),
  body: null,
  response: z.object({ items: z.array(runSummarySchema) }),
  handle: async (deps: ApiDeps, { params, query }) => {
    await deps.store.datasets.get(params.dataset);
    const records = await deps.store.runs.list(params.dataset);
    const byKey = new Map(records.map((record) => [record.annoKey, record]));
    const keys = listRuns(records, { backend: query.backend, status: query.status });
    return {
      items: keys.map((key) => {
        const { annoKey, backend, status, createdAt, updatedAt, counters } = byKey.get(
          key,
        ) as RunRecord;
        return { annoKey, backend, status, createdAt, updatedAt, counters };
      }),
    };
  },
});

export const getAnnotationRun = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs/{annoKey}',
  operationId: 'getAnnotationRun',
  summary:
    "One annotation run (FiftyOne's `get_annotation_info`): its config with the label schema and redacted backend params, status, counters and timestamps",
  params: runParams,
  query: z.object({}),
  body: null,
  response: runRecordSchema,
  handle: async (deps: ApiDeps, { params }) => {
    try {
      return publicRecord(await deps.store.runs.get(params.dataset, params.annoKey));
    } catch (error) {
      return explainMissingRun(deps, params.dataset, error);
    }
  },
});

export const renameAnnotationRun = defineRoute({
  method: 'POST',
  path: '/datasets/{dataset}/runs/{annoKey}/rename',
  operationId: 'renameAnnotationRun',
  summary:
    "Rename an annotation run (FiftyOne's `rename_annotation_run`), its task records with it; renaming again after success answers the renamed run",
  params: runParams,
  query: z.object({}),
  body: z.strictObject({ newKey: z.string().min(1) }),
  response: runRecordSchema,
  handle: async (deps: ApiDeps, { params, body }) => {
    const { dataset, annoKey } = params;
    try {
      // FiftyOne's order (SEMANTICS §7.6): the new key taken, then the run unknown, then
      // (our addition) the new key invalid. An invalid key cannot be taken, and a run's own
      // key is taken only if the run exists.
      if (!isValidAnnoKey(body.newKey) || body.newKey === annoKey) {
        await deps.store.runs.get(dataset, annoKey);
        validateRunKey(body.newKey);
      }
      return publicRecord(await deps.store.runs.rename(dataset, annoKey, body.newKey));
    } catch (error) {
      return explainMissingRun(deps, dataset, error);
    }
  },
});

export const deleteAnnotationRun = defineRoute({
  method: 'DELETE',
  path: '/datasets/{dataset}/runs/{annoKey}',
  operationId: 'deleteAnnotationRun',
  summary:
    "Delete an annotation run's record and its task records (FiftyOne's `delete_annotation_run`); labels already merged and the tool's tasks are kept",
  params: runParams,
  query: z.object({}),
  body: null,
  response: z.null(),
  status: 204,
  handle: async (deps: ApiDeps, { params }) => {
    try {
      const run = await deps.store.runs.get(params.dataset, params.annoKey);
      // A workflow waiting on the run (waitForCompletion) would otherwise wait for ever.
      if (run.waiting !== undefined && deps.workflows !== undefined) {
        await releaseWaiting(deps.workflows, run);
      }
      await deps.store.runs.delete(params.dataset, params.annoKey);
    } catch (error) {
      return explainMissingRun(deps, params.dataset, error);
    }
    return null;
  },
});
