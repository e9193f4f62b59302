import type { RunStatus } from '../runs/status.js';
import { cleanupTasks } from './cleanup-run.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { type FailAnnotateInput, failAnnotateInputSchema, parseStepInput } from './inputs.js';

export interface FailedAnnotate {
  readonly status: RunStatus;
  /** Tool-side tasks deleted by this call. */
  readonly tasksCleaned: number;
}

/**
 * The compensation of a failed annotate (SEMANTICS §2.2, done better): the run is marked
 * `failed` with `{ code, message }` first, so its status tells the truth even if the tool is
 * unreachable, then every task recorded so far is deleted in the tool. The record stays and
 * keeps the key taken, as FiftyOne's does. Idempotent: a retry cleans again (backends treat
 * gone tasks as fine) and keeps the first failure.
 *
 * `error` is a step's `{ code, message }` or a Step Functions `Catch` output
 * (`{ Error, Cause }`). Wire it after `prepareAnnotate` only: before a run is registered the
 * key may belong to another run.
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION` (a cleaned run)
 */
export async function failAnnotate(
  deps: WorkflowDeps,
  input: FailAnnotateInput,
): Promise<FailedAnnotate> {
  const { dataset, annoKey, error } = parseStepInput(
    failAnnotateInputSchema,
    input,
    'fail annotate',
  );
  const { store } = deps;
  let run = await store.runs.get(dataset, annoKey);
  run = await store.runs.transition(run, 'failed', error, now(deps));
  const backend = await backendForRun(deps, run);
  const tasksCleaned = await cleanupTasks(deps, run, backend);
  return { status: run.status, tasksCleaned };
}
