import { objectKeyOf } from '../runs/keys.js';
import { sha256Hex } from '../store/blob-store.js';
import { backendForRun, type WorkflowDeps } from './deps.js';
import { parseStepInput, type TaskInput, taskInputSchema } from './inputs.js';
import { stagedKey } from './keys.js';
import { backendContext, backendTask, requireStatus } from './run-context.js';

export interface StagedTask {
  readonly taskId: string;
  /** `runs/<dataset>/<objectKey>/staged/<taskId>.json`: the task's `Annotations` as JSON. */
  readonly stagedKey: string;
  /** SHA-256 of the staged JSON: the delivery's identity for the merge. */
  readonly sha256: string;
}

/**
 * One iteration of the download Map: the task's annotations from the tool, in the core's
 * contract, staged as JSON in S3 for the merge. A task without a result fails
 * (`BACKEND_RESULT_MISSING`), never stages an empty download: that would delete every label
 * of the task. Idempotent: the same delivery stages the same bytes.
 *
 * @throws BackendError `BACKEND_RESULT_MISSING`, `BACKEND_RESULT_INVALID`; StoreError
 *   `TASK_NOT_FOUND`; AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION`
 */
export async function downloadTask(deps: WorkflowDeps, input: TaskInput): Promise<StagedTask> {
  const { dataset, annoKey, taskId } = parseStepInput(taskInputSchema, input, 'download task');
  const { store } = deps;
  const run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['loading', 'annotating', 'loaded'], 'download a task of');
  const task = await store.tasks.get(dataset, annoKey, taskId);
  const backend = await backendForRun(deps, run);
  const annotations = await backend.download(backendContext(run), backendTask(task));
  const json = JSON.stringify(annotations);
  const key = stagedKey(dataset, objectKeyOf(run), taskId);
  await store.media.put(key, json, 'application/json');
  return { taskId, stagedKey: key, sha256: sha256Hex(json) };
}
