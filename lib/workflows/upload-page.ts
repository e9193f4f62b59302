import { isAnnoflowError } from '../errors/index.js';
import type { Sample } from '../labels/schemas.js';
import { objectKeyOf } from '../runs/keys.js';
import { prepareUpload } from '../schema/prepare-upload.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { parseStepInput, type UploadPageInput, uploadPageInputSchema } from './inputs.js';
import { pageKey } from './keys.js';
import { readJson } from './objects.js';
import { pageManifestSchema } from './prepare-annotate.js';
import {
  backendContext,
  labelSchemaOf,
  requireStatus,
  restrictFrames,
  sliceIdMap,
} from './run-context.js';
import { samplesById } from './selection.js';

export interface UploadedPage {
  readonly index: number;
  /** Our ids of the tasks the page became (none for a page the backend skipped). */
  readonly taskIds: string[];
  readonly samples: number;
}

/**
 * One iteration of the upload Map: reads the page's samples, lets the core decide what the
 * tool sees (`prepareUpload`, which also makes the page's id map), uploads the page, and
 * records one task per task the backend made, with its samples' slice of the id map, status
 * `open`. Idempotent: backends name tasks from the run and the page, so a retry rewrites the
 * same tool-side tasks and the same records.
 *
 * @throws InvalidInputError `INVALID_INPUT`; StoreError `MEDIA_NOT_FOUND` for a page the run does not have;
 *   AnnotationRunError `RUN_NOT_FOUND` (also when the run is deleted during the upload: the
 *   page's tasks are then deleted in the tool and not recorded), `INVALID_RUN_TRANSITION`
 *   unless the run is `uploading`; anything the backend throws.
 */
export async function uploadPage(
  deps: WorkflowDeps,
  input: UploadPageInput,
): Promise<UploadedPage> {
  const {
    dataset,
    annoKey,
    page: index,
  } = parseStepInput(uploadPageInputSchema, input, 'upload page');
  const { store } = deps;
  const run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['uploading'], 'upload a page of');
  const page = await readJson(
    store,
    pageKey(dataset, objectKeyOf(run), index),
    pageManifestSchema,
    'page manifest',
  );
  const schema = (await store.datasets.get(dataset)).schema;
  const samples: Sample[] = [];
  for await (const chunk of samplesById(store, dataset, page.sampleIds)) samples.push(...chunk);

  const labelSchema = labelSchemaOf(run);
  const prepared = prepareUpload({ dataset: schema, samples, labelSchema });
  const backend = await backendForRun(deps, run);
  const { tasks } = await backend.upload({
    ...backendContext(run),
    page: { index: page.index, samples: prepared.samples },
  });

  const at = now(deps).toISOString();
  try {
    await recordTasks();
  } catch (error) {
    // A tool-side task without a record would escape `failAnnotate`'s cleanup: delete this
    // page's tasks now (best effort; a retry uploads them again under the same names).
    await backend.cleanup(backendContext(run), tasks).catch(() => undefined);
    throw error;
  }
  // Pages upload in parallel: if another page failed meanwhile, `failAnnotate` may have
  // listed the run's tasks before these records existed. It marks the run failed before it
  // lists (both strongly consistent), so whichever of the two sees the other cleans up.
  const current = await store.runs.get(dataset, annoKey).catch(async (error: unknown) => {
    if (!isAnnoflowError(error) || error.code !== 'RUN_NOT_FOUND') throw error;
    // Deleted while this page uploaded: nobody can reach these tasks any more, and their
    // records would be taken for tasks of the next run registered under this key.
    await backend.cleanup(backendContext(run), tasks);
    for (const task of tasks) await store.tasks.delete(dataset, annoKey, task.taskId);
    throw error;
  });
  if (current.status !== 'uploading') {
    await backend.cleanup(backendContext(run), tasks);
    for (const task of tasks) {
      const record = await store.tasks.get(dataset, annoKey, task.taskId);
      await store.tasks.markDeleted(record, now(deps).toISOString());
    }
    requireStatus(current, ['uploading'], 'upload a page of');
  }
  return { index: page.index, taskIds: tasks.map((task) => task.taskId), samples: samples.length };

  async function recordTasks(): Promise<void> {
    for (const task of tasks) {
      await store.tasks.put({
        dataset,
        annoKey,
        taskId: task.taskId,
        backend: run.backend,
        backendTaskId: task.backendTaskId,
        status: 'open',
        sampleIds: task.sampleIds,
        idMap: restrictFrames(sliceIdMap(prepared.idMap, task.sampleIds), task.shownFrames),
        ...(task.backendData ? { backendData: task.backendData } : {}),
        createdAt: at,
        updatedAt: at,
      });
    }
  }
}
