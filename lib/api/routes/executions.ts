import { z } from 'zod';
import { executionRecordSchema } from '../../store/executions.js';
import type { ExecutionView } from '../../workflows/engine.js';
import { settleRunExecutions } from '../../workflows/start-execution.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';
import { explainMissingRun, runParams } from './runs.js';
import { workflowsOf } from './workflows.js';

/** Step Functions' status of an execution, or `UNKNOWN` once it has aged out (90 days). */
const executionStatusSchema = z.enum([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'ABORTED',
  'TIMED_OUT',
  'PENDING_REDRIVE',
  'UNKNOWN',
]);

type ExecutionStatus = z.infer<typeof executionStatusSchema>;

const runExecutionSchema = executionRecordSchema.omit({ dataset: true, annoKey: true }).extend({
  status: executionStatusSchema,
  stopDate: z.string().optional(),
  error: z.string().optional(),
});

async function liveStatus(
  deps: ApiDeps,
  executionArn: string,
): Promise<Pick<ExecutionView, 'stopDate' | 'error'> & { status: ExecutionStatus }> {
  try {
    const { status, stopDate, error } = await workflowsOf(deps).engine.describe(executionArn);
    return { status, ...(stopDate ? { stopDate } : {}), ...(error ? { error } : {}) };
  } catch (error) {
    // Step Functions forgets executions 90 days after they close; the record stays.
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') {
      return { status: 'UNKNOWN' };
    }
    throw error;
  }
}

export const listRunExecutions = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs/{annoKey}/executions',
  operationId: 'listRunExecutions',
  summary:
    "A run's workflow executions, newest first: each start through the API and each load a finished task started (`startedBy: task`, with the tool's task id and revision), with its current status; a start whose caller died before recording it is listed too",
  params: runParams,
  query: z.object({
    limit: z.coerce.number().int().min(1).max(50).optional(),
    cursor: z.string().optional(),
  }),
  body: null,
  response: z.object({ items: z.array(runExecutionSchema), cursor: z.string().optional() }),
  handle: async (deps: ApiDeps, { params, query }) => {
    const { dataset, annoKey } = params;
    try {
      await deps.store.runs.get(dataset, annoKey);
    } catch (error) {
      return explainMissingRun(deps, dataset, error);
    }
    // A start whose process died before recording it left an intent: recorded here, so the
    // listing shows every started execution. Later pages continue the first's listing.
    if (query.cursor === undefined) await settleRunExecutions(workflowsOf(deps), params);
    const page = await deps.store.executions.listByRun(dataset, annoKey, {
      limit: query.limit ?? 20,
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
    const items = await Promise.all(
      page.items.map(async ({ dataset: _d, annoKey: _k, ...execution }) => ({
        ...execution,
        ...(await liveStatus(deps, execution.executionArn)),
      })),
    );
    return { items, ...(page.cursor !== undefined ? { cursor: page.cursor } : {}) };
  },
});
