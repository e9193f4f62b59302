import middy from '@middy/core';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';
import { sweepRuns } from '../../lib/workflows/sweep-runs.js';

/**
 * On a schedule: every open task of every open run, asked once; finished ones handled as
 * webhooks; media links about to expire refreshed in the tool.
 */
export const handler = middy().handler(async () => {
  const result = await sweepRuns(await serviceWorkflowDeps());
  return {
    runs: result.runs,
    tasksChecked: result.tasksChecked,
    events: result.events.length,
    failed: result.failed,
    mediaRefreshed: result.mediaRefreshed,
    refreshFailed: result.refreshFailed,
    refreshStopped: result.refreshStopped,
  };
});
