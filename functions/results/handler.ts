import middy from '@middy/core';
import { receiveFilesResults } from '../../lib/workflows/receive-files-results.js';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';

/**
 * S3 notifications for `runs/`: a result file of the files backend is its task's
 * "finished" webhook. Anything else written under `runs/` is ignored.
 */
export const handler = middy().handler(async (event: unknown) =>
  receiveFilesResults(await serviceWorkflowDeps(), event),
);
