import { createHash } from 'node:crypto';

/** The state machines a step or the API may start: one per workflow of ARCHITECTURE's flow. */
export const WORKFLOWS = ['annotate', 'load', 'cleanup'] as const;
export type WorkflowName = (typeof WORKFLOWS)[number];

export interface StartedExecution {
  readonly executionArn: string;
  /** False when an execution of that name already existed: a duplicate start did nothing. */
  readonly started: boolean;
  /** When Step Functions started it (ISO); given when `started`. */
  readonly startDate?: string;
}

export interface ExecutionView {
  readonly executionArn: string;
  readonly status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT' | 'PENDING_REDRIVE';
  readonly startDate?: string;
  readonly stopDate?: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/**
 * What the workflows need of Step Functions, as a port: the webhook starts loads and wakes
 * a waiting annotate, the API starts all three. The deployed and the local service both
 * use the Step Functions implementation; tests may record calls.
 */
export interface WorkflowEngine {
  /**
   * Starts `workflow` under `name`. A name that exists already (a duplicate webhook, a
   * retried start) is not an error: nothing new starts and `started` is false.
   */
  start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution>;
  /**
   * The ARN the execution of `workflow` named `name` has, or would have once started: Step
   * Functions derives it from the state machine and the name, so it is known before the start.
   */
  executionArnOf(workflow: WorkflowName, name: string): Promise<string>;
  /** Wakes a task waiting on `taskToken`; false when that wait is already over (or unknown). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean>;
  /** @throws InvalidInputError `INVALID_INPUT` for an ARN not of one of our workflows. */
  describe(executionArn: string): Promise<ExecutionView>;
}

/**
 * A Step Functions execution name from parts: `<prefix>-<sha256 of the parts, 40 hex>`.
 * Names allow 80 characters of `[A-Za-z0-9_-]`, so user text (keys, ids) is hashed in, not
 * spelled out; equal parts give the equal name that makes a duplicate start a no-op.
 */
export function executionName(prefix: string, parts: readonly unknown[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
  return `${prefix}-${digest}`;
}
