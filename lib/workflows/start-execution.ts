import type { ExecutionIntent, ExecutionRecord } from '../store/executions.js';
import { now, type WorkflowDeps } from './deps.js';
import type { StartedExecution, WorkflowEngine, WorkflowName } from './engine.js';

/** Why an execution was started: a user through the API, or a task the tool finished. */
export type StartedBy =
  | { readonly by: 'api' }
  | { readonly by: 'task'; readonly backendTaskId: string; readonly revision: string };

type EngineDeps = WorkflowDeps & { readonly engine: WorkflowEngine };

/**
 * How long an intent may wait for its execution before it counts as a start that never
 * came: longer than any caller lives (a Lambda at most 15 minutes), so an intent whose
 * start is still in flight is never dropped.
 */
export const INTENT_GRACE_MS = 15 * 60 * 1000;

/**
 * Starts `workflow` for a run and records the execution on the run, so the run's executions
 * can be listed (`GET …/runs/{annoKey}/executions`) — Step Functions cannot list them by
 * run. The record is durable: an intent naming the execution is written before the start,
 * so a process that dies after StartExecution and before the record leaves the intent, and
 * `settleRunExecutions` records the execution from it. A duplicate start (same name: a
 * redelivered webhook, a retry after such a crash) records the existing execution under the
 * start date Step Functions gave it, the same item as the first record, so each execution
 * has one record however often it is started.
 */
export async function startRunExecution(
  deps: EngineDeps,
  run: { readonly dataset: string; readonly annoKey: string },
  workflow: WorkflowName,
  name: string,
  input: unknown,
  startedBy: StartedBy,
): Promise<StartedExecution> {
  const intent = await deps.store.executions.intend({
    dataset: run.dataset,
    annoKey: run.annoKey,
    workflow,
    executionArn: await deps.engine.executionArnOf(workflow, name),
    executionName: name,
    startedBy: startedBy.by,
    ...(startedBy.by === 'task'
      ? { backendTaskId: startedBy.backendTaskId, revision: startedBy.revision }
      : {}),
    requestedAt: now(deps).toISOString(),
  });
  const started = await deps.engine.start(workflow, name, input);
  const startDate = started.started
    ? (started.startDate ?? now(deps).toISOString())
    : ((await deps.engine.describe(started.executionArn)).startDate ?? intent.requestedAt);
  await deps.store.executions.complete(recordOf(intent, started.executionArn, startDate));
  return started;
}

export interface SettledExecutions {
  /** Intents whose execution exists: now recorded. */
  readonly recorded: number;
  /** Intents older than {@link INTENT_GRACE_MS} with no execution: dropped. */
  readonly dropped: number;
}

/**
 * Resolves a run's leftover intents against Step Functions: an intent whose execution exists
 * becomes its record (the process died before recording it); one whose execution does not
 * exist is dropped once older than {@link INTENT_GRACE_MS} (the process died before the
 * start), and left alone before that, since its start may be in flight. Idempotent: settling
 * again, or alongside a start of the same name, writes the same record.
 */
export async function settleRunExecutions(
  deps: EngineDeps,
  run: { readonly dataset: string; readonly annoKey: string },
): Promise<SettledExecutions> {
  let recorded = 0;
  let dropped = 0;
  for (const intent of await deps.store.executions.listIntents(run.dataset, run.annoKey)) {
    const startDate = await startDateOf(deps.engine, intent);
    if (startDate !== undefined) {
      await deps.store.executions.complete(recordOf(intent, intent.executionArn, startDate));
      recorded += 1;
    } else if (now(deps).getTime() - Date.parse(intent.requestedAt) > INTENT_GRACE_MS) {
      await deps.store.executions.dropIntent(run.dataset, run.annoKey, intent.executionName);
      dropped += 1;
    }
  }
  if (recorded + dropped > 0) {
    deps.log?.({ level: 'info', message: 'settled execution intents', ...run, recorded, dropped });
  }
  return { recorded, dropped };
}

/** When the intent's execution started; undefined when Step Functions has no such execution. */
async function startDateOf(
  engine: WorkflowEngine,
  intent: ExecutionIntent,
): Promise<string | undefined> {
  try {
    const { startDate } = await engine.describe(intent.executionArn);
    return startDate ?? intent.requestedAt;
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

function recordOf(
  intent: ExecutionIntent,
  executionArn: string,
  startDate: string,
): ExecutionRecord {
  const { requestedAt: _requestedAt, ...rest } = intent;
  return { ...rest, executionArn, startDate };
}
