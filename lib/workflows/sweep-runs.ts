import type { RunRecord } from '../runs/record.js';
import { backendForRun, type WorkflowDeps } from './deps.js';
import { handleBackendEvent, type WebhookEventOutcome } from './receive-webhook.js';
import { backendContext, backendTask, runTasks } from './run-context.js';

/** Runs whose tasks may still finish in the tool. */
const SWEPT = new Set<RunRecord['status']>(['annotating', 'loading']);

export interface SweepResult {
  readonly runs: number;
  readonly tasksChecked: number;
  /** What the sweep found finished, handled exactly as a webhook's events are. */
  readonly events: WebhookEventOutcome[];
  /** Runs whose backend could not be asked (a tool down): swept again next time. */
  readonly failed: Array<{ dataset: string; annoKey: string; error: string }>;
}

/**
 * The reconciler behind every webhook: asks the backend about each open task of every open
 * run, and handles a finished one as the webhook that should have announced it (the same
 * path: `task.completed` recorded, its load started when the run loads automatically, a
 * waiting workflow woken). A lost webhook (CVAT before 2.40 never retries, Label Studio
 * delivers at most once, an S3 notification can be dropped) delays a merge by one sweep
 * interval instead of stalling the run; with webhooks off entirely, every task still merges.
 *
 * The revision is the tool's update time of the task, so repeated sweeps of an unchanged task
 * start one load. Tasks a webhook already marked `completed` are not asked again.
 */
export async function sweepRuns(deps: WorkflowDeps): Promise<SweepResult> {
  const { store } = deps;
  let runs = 0;
  let tasksChecked = 0;
  const events: WebhookEventOutcome[] = [];
  const failed: SweepResult['failed'] = [];
  let cursor: string | undefined;
  do {
    const page = await store.datasets.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const dataset of page.items) {
      for (const run of await store.runs.list(dataset.name)) {
        if (!SWEPT.has(run.status)) continue;
        runs += 1;
        try {
          const backend = await backendForRun(deps, run);
          for await (const tasks of runTasks(store, run.dataset, run.annoKey)) {
            for (const task of tasks) {
              if (task.status !== 'open') continue;
              tasksChecked += 1;
              const status = await backend.status(backendContext(run), backendTask(task));
              if (status.state !== 'completed') continue;
              const outcome = await handleBackendEvent(
                deps,
                run.backend,
                {
                  type: 'task.completed',
                  backendTaskId: task.backendTaskId,
                  revision: `sweep-${status.updatedAt ?? 'unknown'}`,
                },
                { statusChecked: true },
              );
              deps.log?.({ level: 'info', message: 'sweep found a finished task', ...outcome });
              events.push(outcome);
            }
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          deps.log?.({
            level: 'warn',
            message: 'sweep could not check a run',
            dataset: run.dataset,
            annoKey: run.annoKey,
            error: message,
          });
          failed.push({ dataset: run.dataset, annoKey: run.annoKey, error: message });
        }
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { runs, tasksChecked, events, failed };
}
