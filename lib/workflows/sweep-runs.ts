import type { AnnotationBackend } from '../backends/backend.js';
import { isAnnoflowError } from '../errors/index.js';
import type { RunRecord } from '../runs/record.js';
import { CorruptStoreDataError } from '../store/corrupt-data-error.js';
import { compareRunKeys, compareTaskIds } from '../store/keys.js';
import type { SweepPosition, SweepResumePoint } from '../store/sweeps.js';
import type { TaskRecord } from '../store/tasks.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
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

/**
 * Tasks of one run that may fail in a row before the rest of the run is left for the next
 * sweep: one task the tool answers badly for is passed over, but a tool that is down (or
 * rate-limiting) would otherwise be asked, and time out, once per remaining task.
 */
export const MAX_TASK_FAILURES_IN_A_ROW = 3;

/**
 * A task of a run that loads automatically, marked `completed` this long ago and still not
 * merged, lost its load: the start failed after the mark (Step Functions throttled, say) or
 * the load failed. A load of a page of tasks takes minutes; an hour leaves no doubt.
 */
export const STALLED_COMPLETION_MS = 3600 * 1000;

function toolAnswered(error: unknown): boolean {
  return isAnnoflowError(error) && error.code !== 'BACKEND_UNAVAILABLE';
}

/** Open tasks, and completed ones whose automatic load never merged them (see above). */
function needsAsking(deps: WorkflowDeps, run: RunRecord, task: TaskRecord): boolean {
  if (task.status === 'open') return true;
  return (
    task.status === 'completed' &&
    run.config.autoLoad === true &&
    now(deps).getTime() - Date.parse(task.updatedAt) > STALLED_COMPLETION_MS
  );
}

export interface SweepOptions {
  /** Defaults to {@link MEDIA_REFRESH_MARGIN_MS}. */
  readonly mediaRefreshMarginMs?: number;
  /** Defaults to {@link MAX_MEDIA_REFRESHES_PER_SWEEP}. */
  readonly maxMediaRefreshes?: number;
  /**
   * The time left to sweep, in milliseconds, asked before each run and each task: at zero or
   * less the sweep stops there and saves where, for the next sweep to begin at. The Lambda
   * handler passes its remaining time less a margin. Absent: no limit.
   */
  readonly remainingMs?: () => number;
}

export interface SweepResult {
  readonly runs: number;
  readonly tasksChecked: number;
  /** What the sweep found finished, handled exactly as a webhook's events are. */
  readonly events: WebhookEventOutcome[];
  /**
   * Runs not (fully) swept, tried again next sweep: their backend could not be made or their
   * tasks listed, or {@link MAX_TASK_FAILURES_IN_A_ROW} of their tasks failed in a row (the
   * tool is likely down), which leaves the run's remaining tasks for the next sweep.
   */
  readonly failed: Array<{ dataset: string; annoKey: string; error: string }>;
  /**
   * Tasks that could not be checked (the status call, or handling the finished task, threw):
   * the sweep went on with the run's next task, and tries this one again next sweep.
   */
  readonly taskFailed: Array<{
    dataset: string;
    annoKey: string;
    taskId: string;
    error: string;
  }>;
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
  /** Where this sweep began: the place the previous one stopped at; absent, the beginning. */
  readonly startedAt?: SweepPosition;
  /**
   * False when time ran out before the sweep got all the way round: `stoppedAt` (the first
   * run, or task, not checked) is saved, and the next sweep begins there.
   */
  readonly complete: boolean;
  readonly stoppedAt?: SweepPosition;
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
 * start one load.
 *
 * Open tasks are asked about, and, in runs that load automatically, tasks marked `completed`
 * over an hour ago and never merged ({@link STALLED_COMPLETION_MS}): their load did not start
 * after the mark (Step Functions throttled, say) or failed, and the sweep starts one (its
 * revision is the sweep's, so once per tool update). Merged and deleted tasks are left to
 * webhooks: a task the tool reopened for rework and finished again is loaded by a webhook
 * (redelivered, or a new one) or a load on request; no sweep does.
 *
 * Each task is checked on its own: one whose status call (or handling, once finished) throws
 * is logged and reported in `taskFailed`, and the sweep goes on with the run's next task.
 * After {@link MAX_TASK_FAILURES_IN_A_ROW} failures in a row the tool is likely down: the rest
 * of the run is skipped until the next sweep, reported once in `failed`. Only failures that
 * may mean it is down count (no answer, `BACKEND_UNAVAILABLE`): a typed error about one task
 * (the tool refused it, answered it badly) breaks the row, so tasks that always fail so
 * cannot keep a run's later tasks from ever being asked about. Also reported once in `failed`:
 * a run whose backend cannot be made or whose tasks cannot be listed. Other runs are swept
 * either way.
 *
 * The order is the listings': datasets by name, a dataset's runs by key, a run's tasks by id,
 * a page at a time. Given `remainingMs`, the sweep stops between tasks when the time is spent,
 * returns `complete: false` with `stoppedAt` (the first run, or task, it did not check), and
 * saves that place (`store.sweeps`). The next sweep begins there, goes to the end and wraps
 * round to the beginning, up to it: every open task is asked about within the sweeps it takes
 * to cover the order once, wherever the time runs out, rather than the same runs never. A
 * sweep that gets all the way round clears the point it began at, unless another sweep has
 * saved one since. Overlapping sweeps are harmless: a stale point sweeps some runs twice.
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
  const tally: Tally = {
    margin: options.mediaRefreshMarginMs ?? MEDIA_REFRESH_MARGIN_MS,
    refreshesLeft: options.maxMediaRefreshes ?? MAX_MEDIA_REFRESHES_PER_SWEEP,
    timeUp: () => options.remainingMs !== undefined && options.remainingMs() <= 0,
    runs: 0,
    tasksChecked: 0,
    mediaRefreshed: 0,
    events: [],
    failed: [],
    taskFailed: [],
    refreshFailed: [],
    refreshStopped: [],
  };
  const resume = await readResumePoint(deps);
  const startedAt = resume && positionOf(resume);
  // From the resume point to the end, then from the beginning up to it: every run is reached
  // however often a sweep runs out of time, while the order stays the listings' own.
  const segments: Segment[] = startedAt ? [{ from: startedAt }, { before: startedAt }] : [{}];
  let stoppedAt: SweepPosition | undefined;
  for (const segment of segments) {
    stoppedAt = await sweepSegment(deps, tally, segment);
    if (stoppedAt) break;
  }
  if (stoppedAt) {
    await deps.store.sweeps.saveResumePoint(stoppedAt);
    deps.log?.({ level: 'warn', message: 'sweep ran out of time', stoppedAt });
  } else if (resume) {
    await deps.store.sweeps.clearResumePoint(resume);
  }
  const { margin: _margin, refreshesLeft: _left, timeUp: _timeUp, ...found } = tally;
  return {
    ...found,
    ...(startedAt ? { startedAt } : {}),
    complete: stoppedAt === undefined,
    ...(stoppedAt ? { stoppedAt } : {}),
  };
}

/** The sweep's findings so far, and what it may still spend. */
interface Tally extends Mutable<Omit<SweepResult, 'startedAt' | 'complete' | 'stoppedAt'>> {
  readonly margin: number;
  refreshesLeft: number;
  readonly timeUp: () => boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A stretch of the sweep's order: from `from` (included) to before `before`, open ends. */
interface Segment {
  readonly from?: SweepPosition;
  readonly before?: SweepPosition;
}

/** One run, or the part of its tasks a segment holds when a segment ends in it. */
interface RunSlice {
  readonly run: RunRecord;
  readonly fromTaskId?: string;
  readonly beforeTaskId?: string;
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

function positionOf(point: SweepResumePoint): SweepPosition {
  const { dataset, annoKey, taskId } = point;
  return { dataset, annoKey, ...(taskId === undefined ? {} : { taskId }) };
}

/**
 * The saved resume point. One that cannot be read is ignored (the sweep begins at the
 * beginning and its own save or clear replaces it), rather than failing every sweep.
 */
async function readResumePoint(deps: WorkflowDeps): Promise<SweepResumePoint | undefined> {
  try {
    return await deps.store.sweeps.getResumePoint();
  } catch (error) {
    if (!(error instanceof CorruptStoreDataError)) throw error;
    deps.log?.({ level: 'warn', message: 'sweep ignored its resume point', error: error.message });
    return undefined;
  }
}

/** Sweeps the segment's runs in order; where it stopped when time ran out. */
async function sweepSegment(
  deps: WorkflowDeps,
  tally: Tally,
  segment: Segment,
): Promise<SweepPosition | undefined> {
  const names = {
    ...(segment.from ? { from: segment.from.dataset } : {}),
    ...(segment.before ? { to: segment.before.dataset } : {}),
  };
  let cursor: string | undefined;
  do {
    const page = await deps.store.datasets.list(
      { limit: 100, ...(cursor ? { cursor } : {}) },
      names,
    );
    for (const dataset of page.items) {
      const runs = await deps.store.runs.list(dataset.name);
      for (const slice of runSlices(runs, dataset.name, segment)) {
        if (!SWEPT.has(slice.run.status)) continue;
        const stopped = await sweepRun(deps, tally, slice);
        if (stopped) return stopped;
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return undefined;
}

/** The dataset's runs (in listing order) that fall in the segment, cut where it ends. */
function runSlices(runs: RunRecord[], dataset: string, segment: Segment): RunSlice[] {
  const { from, before } = segment;
  const slices: RunSlice[] = [];
  for (const run of runs) {
    const sinceFrom = from?.dataset === dataset ? compareRunKeys(run.annoKey, from.annoKey) : 1;
    const toBefore = before?.dataset === dataset ? compareRunKeys(run.annoKey, before.annoKey) : -1;
    if (sinceFrom < 0 || toBefore > 0) continue;
    // The run the segment ends at belongs to it only up to the task it ends before.
    if (toBefore === 0 && before?.taskId === undefined) continue;
    slices.push({
      run,
      ...(sinceFrom === 0 && from?.taskId !== undefined ? { fromTaskId: from.taskId } : {}),
      ...(toBefore === 0 && before?.taskId !== undefined ? { beforeTaskId: before.taskId } : {}),
    });
  }
  return slices;
}

/** Sweeps one run's open tasks in the slice; where it stopped when time ran out. */
async function sweepRun(
  deps: WorkflowDeps,
  tally: Tally,
  slice: RunSlice,
): Promise<SweepPosition | undefined> {
  const { run, fromTaskId, beforeTaskId } = slice;
  const where = { dataset: run.dataset, annoKey: run.annoKey };
  if (tally.timeUp())
    return { ...where, ...(fromTaskId === undefined ? {} : { taskId: fromTaskId }) };
  // A run cut in two by the resume point counts once, with its first part.
  if (beforeTaskId === undefined) tally.runs += 1;
  // Failures in a row: a single bad task is passed over, a tool that fails them all is not
  // asked about every remaining task (each maybe a timeout) of the run.
  let failures = 0;
  try {
    const backend = await backendForRun(deps, run);
    for await (const tasks of runTasks(deps.store, run.dataset, run.annoKey)) {
      for (const task of tasks) {
        if (fromTaskId !== undefined && compareTaskIds(task.taskId, fromTaskId) < 0) continue;
        // Tasks are listed in this order: the rest are past the slice too.
        if (beforeTaskId !== undefined && compareTaskIds(task.taskId, beforeTaskId) >= 0) {
          return undefined;
        }
        if (!needsAsking(deps, run, task)) continue;
        if (tally.timeUp()) return { ...where, taskId: task.taskId };
        tally.tasksChecked += 1;
        try {
          await sweepTask(deps, tally, backend, run, task);
          failures = 0;
        } catch (error) {
          const message = messageOf(error);
          // A typed error other than "unavailable" is the tool (or our store) answering about
          // this one task: the tool is up, and the run's later tasks are worth asking about.
          failures = toolAnswered(error) ? 0 : failures + 1;
          deps.log?.({
            level: 'warn',
            message: 'sweep could not check a task',
            ...where,
            taskId: task.taskId,
            error: message,
          });
          tally.taskFailed.push({ ...where, taskId: task.taskId, error: message });
          if (failures < MAX_TASK_FAILURES_IN_A_ROW) continue;
          const skipped =
            `${failures} tasks in a row could not be checked (last: ${message}); ` +
            'the rest of the run waits for the next sweep';
          deps.log?.({ level: 'warn', message: 'sweep skipped the rest of a run', ...where });
          tally.failed.push({ ...where, error: skipped });
          return undefined;
        }
      }
    }
  } catch (error) {
    const message = messageOf(error);
    deps.log?.({ level: 'warn', message: 'sweep could not check a run', ...where, error: message });
    tally.failed.push({ ...where, error: message });
  }
  return undefined;
}

/**
 * Asks the backend about one task: renews its media links when they near expiry (a
 * failure there is reported, not thrown) and handles it as a webhook when it is finished.
 *
 * @throws whatever the status call or the handling throws, for the caller to report.
 */
async function sweepTask(
  deps: WorkflowDeps,
  tally: Tally,
  backend: AnnotationBackend,
  run: RunRecord,
  task: TaskRecord,
): Promise<void> {
  const status = await backend.status(backendContext(run), backendTask(task));
  if (
    status.state === 'open' &&
    tally.refreshesLeft > 0 &&
    backend.refreshMedia !== undefined &&
    needsRefresh(deps, task, tally.margin)
  ) {
    tally.refreshesLeft -= 1;
    await refreshMedia(deps, tally, backend, run, task);
  }
  if (status.state !== 'completed') return;
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
  tally.events.push(outcome);
}

async function refreshMedia(
  deps: WorkflowDeps,
  tally: Tally,
  backend: AnnotationBackend,
  run: RunRecord,
  task: TaskRecord,
): Promise<void> {
  const where = { dataset: run.dataset, annoKey: run.annoKey, taskId: task.taskId };
  try {
    const outcome = await refreshTaskMedia(deps, backend, run, task);
    if (outcome.refreshed) {
      tally.mediaRefreshed += 1;
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
      tally.refreshStopped.push({ ...where, reason });
    }
  } catch (error) {
    const message = messageOf(error);
    deps.log?.({
      level: 'warn',
      message: 'sweep could not refresh a task media links',
      ...where,
      error: message,
    });
    tally.refreshFailed.push({ ...where, error: message });
  }
}
