import { StoreError } from '../errors/index.js';
import type { RunStatus } from '../runs/status.js';
import type { TaskRecord } from '../store/tasks.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { type PlanLoadInput, parseStepInput, planLoadInputSchema } from './inputs.js';
import { fingerprint } from './keys.js';
import { backendContext, backendTask, requireStatus, runTasks } from './run-context.js';

export interface LoadPlan {
  /** Names this load's report (`runs/<dataset>/<objectKey>/reports/<loadId>.json`). */
  readonly loadId: string;
  /** Our ids of the tasks to download and merge: the download Map iterates them. */
  readonly taskIds: string[];
  readonly status: RunStatus;
  /** Whether the load ends with a cleanup, as asked; `finalizeLoad` does it. */
  readonly cleanup: boolean;
}

/**
 * `LoadWorkflow`'s first step: which tasks to load. With `backendTaskId` (a webhook's load),
 * that task if the tool says it is finished; otherwise every task the tool reports
 * `completed` (a task merged before is included again: its delivery's content decides whether
 * anything changes). Open tasks are never planned, so an open task is never read as an empty
 * download. Tasks found finished are recorded `completed`; the run moves to `loading` when
 * there is something to load. The load id is derived from the tasks and their states unless
 * given, so re-planning the same situation names the same load.
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION`; StoreError
 *   `TASK_NOT_FOUND` for a backend task id the run does not have.
 */
export async function planLoad(deps: WorkflowDeps, input: PlanLoadInput): Promise<LoadPlan> {
  const parsed = parseStepInput(planLoadInputSchema, input, 'load plan');
  const { dataset, annoKey, backendTaskId } = parsed;
  const { store } = deps;
  let run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['annotating', 'loading', 'loaded'], 'load');
  const backend = await backendForRun(deps, run);
  const ctx = backendContext(run);

  const planned: Array<{ taskId: string; updatedAt: string | null }> = [];
  let matched = false;
  for await (const page of runTasks(store, dataset, annoKey)) {
    for (const task of page) {
      if (task.status === 'deleted') continue;
      if (backendTaskId !== undefined && task.backendTaskId !== backendTaskId) continue;
      matched = true;
      const status = await backend.status(ctx, backendTask(task));
      if (status.state !== 'completed') continue;
      if (task.status === 'open') await markCompleted(deps, task);
      planned.push({ taskId: task.taskId, updatedAt: status.updatedAt ?? null });
    }
  }
  if (backendTaskId !== undefined && !matched) {
    throw new StoreError(
      'TASK_NOT_FOUND',
      `Annotation run '${annoKey}' of dataset '${dataset}' has no task with backend id '${backendTaskId}'`,
      { dataset, annoKey, backendTaskId },
    );
  }
  const loadId =
    parsed.loadId ?? `load-${fingerprint([annoKey, run.createdAt, planned]).slice(0, 16)}`;
  if (planned.length > 0) run = await store.runs.transition(run, 'loading', undefined, now(deps));
  return {
    loadId,
    taskIds: planned.map((task) => task.taskId),
    status: run.status,
    cleanup: parsed.cleanup,
  };
}

async function markCompleted(deps: WorkflowDeps, task: TaskRecord): Promise<void> {
  await deps.store.tasks.markCompleted(task, now(deps).toISOString());
}
