import type { WebhookEvent, WebhookRequest } from '../backends/backend.js';
import { WebhookError } from '../errors/index.js';
import type { RunRecord } from '../runs/record.js';
import type { TaskRecord } from '../store/tasks.js';
import { wakeIfFinished } from './await-completion.js';
import {
  backendForRun,
  createStepBackend,
  now,
  resolveStepBackend,
  type WorkflowDeps,
} from './deps.js';
import { executionName } from './engine.js';
import { fingerprint } from './keys.js';
import { backendContext, backendTask } from './run-context.js';
import { startRunExecution } from './start-execution.js';

/** What became of one event of a delivery, for the answer and the log. */
export interface WebhookEventOutcome {
  readonly type: WebhookEvent['type'];
  readonly backendTaskId?: string;
  readonly outcome:
    | 'ignored'
    | 'duplicate'
    | 'unknown-task'
    | 'recorded'
    | 'not-finished'
    | 'not-deleted'
    | 'load-started'
    | 'load-already-started';
  readonly dataset?: string;
  readonly annoKey?: string;
  readonly executionArn?: string;
}

/** A delivery is remembered for a week: longer than any tool retries (CVAT, Label Studio, Labelbox). */
const DELIVERY_TTL_SECONDS = 7 * 24 * 3600;

/** Backends whose "finished" signal is not an HTTP call (the files backend's is S3's). */
const NOT_HTTP = new Set(['files']);

/** Statuses in which a finished task may be loaded (`planLoad` accepts these). */
const LOADABLE = new Set<RunRecord['status']>(['annotating', 'loading', 'loaded']);

export interface ReceiveWebhookOptions {
  /** False for the HTTP route; true for a trigger the service wires itself (S3 → Lambda). */
  readonly internal?: boolean;
}

/**
 * A tool's notification, end to end: verify (nothing is read from a delivery that fails),
 * parse, and per event: find the task through the GSI, record a finished task `completed`,
 * start its `LoadWorkflow` when the run loads automatically, and wake a workflow waiting on
 * the run. Exactly once: the load's execution name is derived from (run, task, revision),
 * so a repeated delivery starts nothing new; a delivery seen before is skipped early.
 * Unknown tasks are answered 2xx (and logged): a tool retries errors, and retrying will not
 * make a task ours.
 *
 * @throws WebhookError `WEBHOOK_NOT_ACCEPTED` (backend takes no HTTP webhooks),
 *   `WEBHOOK_SIGNATURE_INVALID`; AnnotationConfigError `UNSUPPORTED_BACKEND`;
 *   InvalidInputError `INVALID_INPUT` for a verified but malformed body.
 */
export async function receiveWebhook(
  deps: WorkflowDeps,
  backendName: string,
  request: WebhookRequest,
  options: ReceiveWebhookOptions = {},
): Promise<WebhookEventOutcome[]> {
  if (NOT_HTTP.has(backendName) && options.internal !== true) {
    throw new WebhookError(
      'WEBHOOK_NOT_ACCEPTED',
      `Backend '${backendName}' takes no webhooks: its results arrive as files in S3`,
      { backend: backendName },
    );
  }
  const backend = await createStepBackend(deps, resolveStepBackend(deps, backendName, {}));
  if (!(await backend.verifyWebhook(request))) {
    throw new WebhookError(
      'WEBHOOK_SIGNATURE_INVALID',
      `Webhook for backend '${backendName}' refused: missing or invalid signature`,
      { backend: backendName },
    );
  }
  const events = backend.parseWebhook(request);
  const outcomes: WebhookEventOutcome[] = [];
  for (const event of events) {
    // Without a revision, the delivery's own bytes name the state it reports.
    const outcome = await handleBackendEvent(deps, backendName, {
      ...event,
      revision: event.revision ?? fingerprint(request.rawBody).slice(0, 32),
    });
    deps.log?.({ level: 'info', message: 'webhook event', backend: backendName, ...outcome });
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * One normalized event of a backend, however it arrived (a webhook, the S3 trigger, the
 * sweeper): deduplicated by (type, task, revision), then applied to every task it names.
 */
export async function handleBackendEvent(
  deps: WorkflowDeps,
  backendName: string,
  event: WebhookEvent & { revision: string },
  options: { readonly statusChecked?: boolean } = {},
): Promise<WebhookEventOutcome> {
  const { type, backendTaskId, revision } = event;
  if (backendTaskId === undefined || type === 'ping') {
    return { type, ...(backendTaskId ? { backendTaskId } : {}), outcome: 'ignored' };
  }
  const deliveryId = fingerprint([type, backendTaskId, revision]);
  if (await deps.store.deliveries.hasDelivery(backendName, deliveryId)) {
    return { type, backendTaskId, outcome: 'duplicate' };
  }
  const tasks = await deps.store.tasks.findByBackendTaskId(backendName, backendTaskId);
  if (tasks.length === 0) return { type, backendTaskId, outcome: 'unknown-task' };

  let last: WebhookEventOutcome = { type, backendTaskId, outcome: 'unknown-task' };
  for (const task of tasks) {
    // An update (Labelbox only notifies) may be the one that finished the task: the tool
    // is asked, as for any "finished", and decides.
    const asked = type === 'task.deleted' ? 'task.deleted' : 'task.completed';
    last = {
      ...(await handleTaskEvent(deps, task, asked, revision, options.statusChecked === true)),
      type,
    };
  }
  // Recorded only once handled: a delivery that failed halfway is processed again when the
  // tool retries it (every step above is idempotent).
  await deps.store.deliveries.recordDelivery(backendName, deliveryId, DELIVERY_TTL_SECONDS);
  return last;
}

async function handleTaskEvent(
  deps: WorkflowDeps,
  task: TaskRecord,
  type: 'task.completed' | 'task.deleted',
  revision: string,
  statusChecked: boolean,
): Promise<WebhookEventOutcome> {
  const { dataset, annoKey, backendTaskId } = task;
  const base = { type, backendTaskId, dataset, annoKey };
  let run: RunRecord;
  try {
    run = await deps.store.runs.get(dataset, annoKey);
  } catch {
    // The run was deleted (its tasks go with it, but the GSI lags): not ours any more.
    return { ...base, outcome: 'unknown-task' };
  }
  const at = now(deps).toISOString();
  // The tool is asked before either is recorded. A "finished" may be partial (CVAT fires
  // per job: other jobs of the task may be open). A "deleted" is verified only as coming
  // from the project that signed it, and the body names the task: a token of one project
  // must not delete another run's task.
  if (!statusChecked) {
    const backend = await backendForRun(deps, run);
    const status = await backend.status(backendContext(run), backendTask(task));
    if (type === 'task.deleted' && status.state !== 'missing') {
      return { ...base, outcome: 'not-deleted' };
    }
    if (type === 'task.completed' && status.state !== 'completed') {
      return { ...base, outcome: 'not-finished' };
    }
  }
  if (type === 'task.deleted') {
    if (task.status !== 'deleted') await deps.store.tasks.markDeleted(task, at);
    await wakeIfFinished(deps, run);
    return { ...base, outcome: 'recorded' };
  }
  if (task.status === 'open') {
    await deps.store.tasks.markCompleted(task, at);
  }
  let outcome: WebhookEventOutcome = { ...base, outcome: 'recorded' };
  if (run.config.autoLoad === true && LOADABLE.has(run.status) && deps.engine) {
    const name = executionName('load', [dataset, annoKey, run.createdAt, backendTaskId, revision]);
    const started = await startRunExecution(
      { ...deps, engine: deps.engine },
      run,
      'load',
      name,
      { dataset, annoKey, backendTaskId },
      { by: 'task', backendTaskId, revision },
    );
    outcome = {
      ...base,
      outcome: started.started ? 'load-started' : 'load-already-started',
      executionArn: started.executionArn,
    };
  }
  await wakeIfFinished(deps, run);
  return outcome;
}
