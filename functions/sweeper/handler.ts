import middy from '@middy/core';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';
import { sweepRuns } from '../../lib/workflows/sweep-runs.js';

/**
 * Time kept back from the Lambda timeout: the task being checked when the sweep decides to go
 * on may take a while (a slow tool, a media refresh), and saving the resume point and returning
 * must still fit, or the timeout would lose where the sweep got to and its result.
 */
export const SWEEP_SAFETY_MARGIN_MS = 60_000;

/** What the handler uses of Lambda's context. */
interface SweeperContext {
  getRemainingTimeInMillis(): number;
}

/**
 * On a schedule: every open task of every open run, asked once; finished ones handled as
 * webhooks; media links about to expire refreshed in the tool. A sweep that runs out of time
 * saves where it stopped, and the next one begins there.
 */
export const handler = middy().handler(async (_event: unknown, context: SweeperContext) => {
  const result = await sweepRuns(await serviceWorkflowDeps(), {
    remainingMs: () => context.getRemainingTimeInMillis() - SWEEP_SAFETY_MARGIN_MS,
  });
  return {
    complete: result.complete,
    ...(result.startedAt ? { startedAt: result.startedAt } : {}),
    ...(result.stoppedAt ? { stoppedAt: result.stoppedAt } : {}),
    runs: result.runs,
    tasksChecked: result.tasksChecked,
    events: result.events.length,
    failed: result.failed,
    taskFailed: result.taskFailed,
    mediaRefreshed: result.mediaRefreshed,
    refreshFailed: result.refreshFailed,
    refreshStopped: result.refreshStopped,
  };
});
