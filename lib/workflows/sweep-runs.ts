import type { RunRecord } from '../runs/record.js';
import { backendForRun, type WorkflowDeps } from './deps.js';
import { handleBackendEvent, type WebhookEventOutcome } from './receive-webhook.js';
import { type MediaRefreshStop, needsRefresh, refreshTaskMedia } from './refresh-task-media.js';
import { backendContext, backendTask, runTasks } from './run-context.js';

/** Runs whose tasks may still finish in the tool. */
const SWEPT = new Set<RunRecord['status']>(['annotating', 'loading']);

/**
 * How long before a task's media links expire the sweeper renews them. A day, not two sweep
 * intervals (30 minutes by default): a tool that is down, or a sweeper switched off for a
 * while, still leaves a day to try again before annotators see broken images. With 7-day
 * links, a task is refreshed about every 6 days.
 */
export const MEDIA_REFRESH_MARGIN_MS = 24 * 3600 * 1000;

/**
 * Refreshes per sweep at most. A run's tasks are uploaded together, so their links expire
 * together: without a cap one sweep would renew a whole large run (two requests a task for
 * Label Studio) and could outlast its Lambda's timeout. The rest wait for the next sweeps;
 * at 15-minute sweeps the 24-hour margin leaves room for ~48,000 tasks a day.
 */
export const MAX_MEDIA_REFRESHES_PER_SWEEP = 500;

export interface SweepOptions {
  /** Defaults to {@link MEDIA_REFRESH_MARGIN_MS}. */
  readonly mediaRefreshMarginMs?: number;
  /** Defaults to {@link MAX_MEDIA_REFRESHES_PER_SWEEP}. */
  readonly maxMediaRefreshes?: number;
}

export interface SweepResult {
  readonly runs: number;
  readonly tasksChecked: number;
  /** What the sweep found finished, handled exactly as a webhook's events are. */
  readonly events: WebhookEventOutcome[];
  /** Runs whose backend could not be asked (a tool down): swept again next time. */
  readonly failed: Array<{ dataset: string; annoKey: string; error: string }>;
  /** Open tasks whose media links were renewed. */
  readonly mediaRefreshed: number;
  /** Tasks whose links could not be renewed: tried again next sweep, the others unaffected. */
  readonly refreshFailed: Array<{
    dataset: string;
    annoKey: string;
    taskId: string;
    error: string;
  }>;
  /**
   * Tasks this sweep gave up refreshing, with the reason (`SAMPLES_DELETED`), also recorded
   * on the task (`backendData.mediaRefreshStopped`): later sweeps skip them.
   */
  readonly refreshStopped: Array<{
    dataset: string;
    annoKey: string;
    taskId: string;
    reason: MediaRefreshStop['reason'];
  }>;
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
 *
 * It also keeps media links alive: a task still open whose links (`backendData.mediaExpiresAt`,
 * absent on tasks recorded before it existed, which count as expiring now) expire within the
 * margin gets fresh ones from its backend's `refreshMedia`, and the new expiry is recorded on
 * the task, so the next sweeps leave it alone. Backends without `refreshMedia` are skipped
 * (CVAT copies the media). A failed refresh is logged and reported; the sweep goes on, and the
 * task is tried again next sweep. A task whose samples were all deleted from the dataset has
 * nothing left to link to: it is not sent to the tool but marked stopped with the reason
 * (`SAMPLES_DELETED`), logged and reported once, and skipped by every later sweep, rather than
 * failing on every sweep until it is done. At most `maxMediaRefreshes` tasks are renewed per
 * sweep; the others wait for the next one.
 */
export async function sweepRuns(
  deps: WorkflowDeps,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const { store } = deps;
  const margin = options.mediaRefreshMarginMs ?? MEDIA_REFRESH_MARGIN_MS;
  let refreshesLeft = options.maxMediaRefreshes ?? MAX_MEDIA_REFRESHES_PER_SWEEP;
  let runs = 0;
  let tasksChecked = 0;
  let mediaRefreshed = 0;
  const events: WebhookEventOutcome[] = [];
  const failed: SweepResult['failed'] = [];
  const refreshFailed: SweepResult['refreshFailed'] = [];
  const refreshStopped: SweepResult['refreshStopped'] = [];
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
              if (
                status.state === 'open' &&
                refreshesLeft > 0 &&
                backend.refreshMedia !== undefined &&
                needsRefresh(deps, task, margin)
              ) {
                refreshesLeft -= 1;
                const where = { dataset: run.dataset, annoKey: run.annoKey, taskId: task.taskId };
                try {
                  const outcome = await refreshTaskMedia(deps, backend, run, task);
                  if (outcome.refreshed) {
                    mediaRefreshed += 1;
                    deps.log?.({
                      level: 'info',
                      message: 'sweep refreshed a task media links',
                      ...where,
                      expiresAt: outcome.expiresAt,
                    });
                  } else {
                    const { reason } = outcome.stopped;
                    deps.log?.({
                      level: 'warn',
                      message: 'sweep stopped refreshing a task media links',
                      ...where,
                      reason,
                    });
                    refreshStopped.push({ ...where, reason });
                  }
                } catch (error) {
                  const message = error instanceof Error ? error.message : String(error);
                  deps.log?.({
                    level: 'warn',
                    message: 'sweep could not refresh a task media links',
                    ...where,
                    error: message,
                  });
                  refreshFailed.push({ ...where, error: message });
                }
              }
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
  return { runs, tasksChecked, events, failed, mediaRefreshed, refreshFailed, refreshStopped };
}
