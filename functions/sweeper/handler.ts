import middy from '@middy/core';
import { workflowDepsFromEnv } from '../../lib/workflows/service-deps.js';
import { sweepRuns } from '../../lib/workflows/sweep-runs.js';

/** On a schedule: every open task of every open run, asked once; finished ones handled as webhooks. */
export const handler = middy().handler(async () => {
  const result = await sweepRuns(workflowDepsFromEnv());
  return {
    runs: result.runs,
    tasksChecked: result.tasksChecked,
    events: result.events.length,
    failed: result.failed,
  };
});
