import {
  AnnoflowApiError,
  type AnnotationRun,
  type Execution,
  type StartedWorkflow,
} from '../client/index.js';
import { statusLine } from './progress.js';
import type { RunCommandContext } from './run-commands.js';

/** A workflow that ended other than SUCCEEDED, or left its run failed. */
export class WorkflowFailedError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'WorkflowFailedError';
    this.code = code;
  }
}

export interface FollowOptions {
  /**
   * Stop once the run has left `registered` and `uploading` (its tasks are open in the
   * tool) even though the execution goes on: an annotate that waits for completion.
   */
  readonly untilOpen: boolean;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

const OPENING = new Set(['registered', 'uploading']);

/**
 * Follows a started workflow: each look reads the execution and the run, shown as one
 * status line on stderr, until the execution ends (or, `untilOpen`, the run is open).
 * @throws WorkflowFailedError naming the execution's error and cause, or the run's failure
 */
export async function followRun(
  context: RunCommandContext,
  started: StartedWorkflow,
  options: FollowOptions,
): Promise<{ execution: Execution; run: AnnotationRun | undefined }> {
  const { client } = context;
  const { intervalMs = 500, timeoutMs = Number.POSITIVE_INFINITY } = options;
  const line = statusLine(context.stderr, `${started.workflow} ${started.annoKey}`);
  const begun = Date.now();
  let execution: Execution;
  let run: AnnotationRun | undefined;
  try {
    for (;;) {
      execution = await client.executions.get(started.executionArn);
      // Before the annotate workflow registers it, the run does not exist yet.
      run = await client.runs.get(started.dataset, started.annoKey).catch((error: unknown) => {
        if (error instanceof AnnoflowApiError && error.code === 'RUN_NOT_FOUND') return undefined;
        throw error;
      });
      const seconds = Math.round((Date.now() - begun) / 1000);
      line.update(
        `${execution.status.toLowerCase()}, run ${run?.status ?? 'not registered yet'}` +
          (run ? `, tasks ${run.counters.tasksCompleted}/${run.counters.tasks} completed` : '') +
          (context.stderr.isTTY ? ` (${seconds}s)` : ''),
      );
      if (execution.status !== 'RUNNING') break;
      if (options.untilOpen && run !== undefined && !OPENING.has(run.status)) break;
      if (Date.now() - begun + intervalMs > timeoutMs) {
        throw new AnnoflowApiError(
          'WAIT_TIMEOUT',
          `${started.workflow} of ${started.annoKey} still running after ${timeoutMs / 1000} s ` +
            `(execution ${started.executionArn} goes on)`,
          { status: 0, details: { executionArn: started.executionArn } },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  } finally {
    line.done();
  }
  if (execution.status !== 'RUNNING' && execution.status !== 'SUCCEEDED') {
    throw new WorkflowFailedError(
      execution.error ?? `EXECUTION_${execution.status}`,
      `${started.workflow} of ${started.annoKey} ${execution.status}: ${causeText(execution)}`,
    );
  }
  if (run?.status === 'failed' && started.workflow !== 'cleanup') {
    throw new WorkflowFailedError(
      run.failure?.code ?? 'RUN_FAILED',
      `annotation run ${run.annoKey} failed: ${run.failure?.message ?? 'no reason recorded'}`,
    );
  }
  return { execution, run };
}

/** A Lambda failure's cause is the JSON of the error: its message is what a person needs. */
function causeText(execution: Execution): string {
  const { cause } = execution;
  if (cause === undefined) return execution.error ?? 'no cause given';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed !== null && typeof parsed === 'object' && 'errorMessage' in parsed) {
      const type = 'errorType' in parsed ? `${String(parsed.errorType)}: ` : '';
      return `${type}${String(parsed.errorMessage)}`;
    }
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}
