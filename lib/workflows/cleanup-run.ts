import type { AnnotationBackend } from '../backends/backend.js';
import type { RunRecord } from '../runs/record.js';
import type { RunStatus } from '../runs/status.js';
import { wakeIfFinished } from './await-completion.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { parseStepInput, type RunRefInput, runRefInputSchema } from './inputs.js';
import { backendContext, backendTask, requireStatus, runTasks } from './run-context.js';

export interface CleanedRun {
  readonly status: RunStatus;
  readonly tasksCleaned: number;
}

/**
 * Deletes the run's tasks in the tool, a page of tasks at a time, and marks each task
 * `deleted`; returns how many. Backends treat an already-deleted task as fine.
 */
export async function cleanupTasks(
  deps: WorkflowDeps,
  run: RunRecord,
  backend: AnnotationBackend,
): Promise<number> {
  const { store } = deps;
  const ctx = backendContext(run);
  let cleaned = 0;
  for await (const page of runTasks(store, run.dataset, run.annoKey)) {
    await backend.cleanup(ctx, page.map(backendTask));
    const at = now(deps).toISOString();
    for (const task of page) {
      // Only the status: a whole put of this (possibly stale) copy could undo a merge.
      if (task.status !== 'deleted') await store.tasks.markDeleted(task, at);
    }
    cleaned += page.length;
  }
  return cleaned;
}

/**
 * `CleanupWorkflow`'s step: `backend.cleanup` of every task of the run, then the run is
 * `cleaned` (from `annotating`, `loaded` or `failed`). Labels already merged stay; the run
 * record stays (delete it with the store's `runs.delete`, which never touches labels or the
 * tool). Idempotent: a cleaned run cleans again and stays `cleaned`.
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION`
 */
export async function cleanupRun(deps: WorkflowDeps, input: RunRefInput): Promise<CleanedRun> {
  const { dataset, annoKey } = parseStepInput(runRefInputSchema, input, 'cleanup run');
  const { store } = deps;
  let run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['annotating', 'loaded', 'failed', 'cleaned'], 'clean up');
  const backend = await backendForRun(deps, run);
  const tasksCleaned = await cleanupTasks(deps, run, backend);
  run = await store.runs.transition(run, 'cleaned', undefined, now(deps));
  // A workflow waiting on the run (waitForCompletion) would otherwise wait for tasks that
  // are gone: a cleaned run is over, and wakeIfFinished sends it on.
  await wakeIfFinished(deps, run);
  return { status: run.status, tasksCleaned };
}
