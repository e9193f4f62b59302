import middy from '@middy/core';
import { receiveFilesResults } from '../../lib/workflows/receive-files-results.js';
import { workflowDepsFromEnv } from '../../lib/workflows/service-deps.js';

/**
 * S3 notifications for `runs/`: a result file of the files backend is its task's
 * "finished" webhook. Anything else written under `runs/` is ignored.
 */
export const handler = middy().handler((event: unknown) =>
  receiveFilesResults(workflowDepsFromEnv(), event),
);
