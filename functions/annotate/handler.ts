import middy from '@middy/core';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';
import { runStep } from '../../lib/workflows/steps.js';

/** The Annotate workflow's Lambda tasks: `{ step, input }` in, the step's result out. */
export const handler = middy().handler(async (event: unknown) =>
  runStep('annotate', await serviceWorkflowDeps(), event),
);
