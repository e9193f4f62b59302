import type { RunStatus } from '../runs/status.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { parseStepInput, type RunRefInput, runRefInputSchema } from './inputs.js';
import { backendContext, requireStatus, runTasks } from './run-context.js';

export interface OpenedRun {
  readonly status: RunStatus;
  readonly tasks: number;
}

/**
 * After every page uploaded: registers the tool's webhooks and moves the run from
 * `uploading` (entered at the end of `prepareAnnotate`, once its pages are written) to
 * `annotating`, with its task count. Idempotent: a retry finds the run `annotating`.
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION`
 */
export async function openRun(deps: WorkflowDeps, input: RunRefInput): Promise<OpenedRun> {
  const { dataset, annoKey } = parseStepInput(runRefInputSchema, input, 'open run');
  const { store } = deps;
  let run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['uploading', 'annotating'], 'open');
  let tasks = 0;
  for await (const page of runTasks(store, dataset, annoKey)) tasks += page.length;
  const backend = await backendForRun(deps, run);
  await backend.registerWebhooks(backendContext(run));
  const at = now(deps);
  run = await store.runs.setCounters(run, { ...run.counters, tasks }, at);
  run = await store.runs.transition(run, 'annotating', undefined, at);
  return { status: run.status, tasks };
}
