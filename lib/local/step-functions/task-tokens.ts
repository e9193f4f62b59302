import { randomBytes } from 'node:crypto';
import { SfnApiError, stateError } from './errors.js';

interface PendingTask {
  executionArn: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
  timeout?: NodeJS.Timeout;
  heartbeatSeconds?: number;
  heartbeat?: NodeJS.Timeout;
}

/** How many timed-out tokens are remembered, to answer TaskTimedOut rather than TaskDoesNotExist. */
const TIMED_OUT_MEMORY = 10_000;

/**
 * The tokens of the callback tasks (`.waitForTaskToken`) waiting for SendTaskSuccess or
 * SendTaskFailure. A token is used once: settling it removes it, so a second send for it is
 * `TaskDoesNotExist`, as on AWS; one whose task timed out is `TaskTimedOut`.
 */
export class TaskTokenRegistry {
  readonly #pending = new Map<string, PendingTask>();
  readonly #timedOut = new Set<string>();

  /**
   * Opens a token for a task of `executionArn`. `result` settles with SendTaskSuccess's
   * output or SendTaskFailure's error; the token is forgotten (TaskTimedOut) after
   * `timeoutSeconds`, and the task fails with States.HeartbeatTimeout when no heartbeat arrives within
   * `heartbeatSeconds`.
   */
  open(
    executionArn: string,
    limits: { timeoutSeconds?: number; heartbeatSeconds?: number },
  ): { token: string; result: Promise<unknown> } {
    const token = randomBytes(96).toString('base64url');
    const result = new Promise<unknown>((resolve, reject) => {
      const task: PendingTask = { executionArn, resolve, reject };
      if (limits.timeoutSeconds !== undefined) {
        // The engine fails the task with its own States.Timeout at this moment (every task
        // has a TimeoutSeconds); the token only has to become TaskTimedOut.
        task.timeout = setTimeout(() => this.#expire(token), limits.timeoutSeconds * 1000);
      }
      if (limits.heartbeatSeconds !== undefined) task.heartbeatSeconds = limits.heartbeatSeconds;
      this.#pending.set(token, task);
      this.#armHeartbeat(token, task);
    });
    return { token, result };
  }

  succeed(token: string, output: unknown): void {
    this.#take(token).resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    this.#take(token).reject(stateError(error, cause));
  }

  heartbeat(token: string): void {
    const task = this.#find(token);
    this.#armHeartbeat(token, task);
  }

  /** Fails a pending task from inside (its Lambda failed); a settled token is left alone. */
  abandon(token: string, error: Error): void {
    const task = this.#pending.get(token);
    if (!task) return;
    this.#forget(token, task);
    task.reject(error);
  }

  /** Settles every task of an execution that ended or was stopped; their tokens are gone. */
  closeExecution(executionArn: string): void {
    for (const [token, task] of this.#pending) {
      if (task.executionArn !== executionArn) continue;
      this.#forget(token, task);
      task.reject(stateError('States.Runtime', 'The execution is no longer running'));
    }
  }

  /** Settles every pending task, for shutdown. */
  closeAll(): void {
    for (const task of [...this.#pending.values()]) this.closeExecution(task.executionArn);
  }

  get size(): number {
    return this.#pending.size;
  }

  /** The executions with a task waiting for its token. */
  waitingExecutions(): Set<string> {
    return new Set([...this.#pending.values()].map((task) => task.executionArn));
  }

  #armHeartbeat(token: string, task: PendingTask): void {
    if (task.heartbeatSeconds === undefined) return;
    clearTimeout(task.heartbeat);
    task.heartbeat = setTimeout(
      () =>
        this.#expire(
          token,
          stateError('States.HeartbeatTimeout', 'The task did not send a heartbeat in time'),
        ),
      task.heartbeatSeconds * 1000,
    );
  }

  #expire(token: string, error?: Error): void {
    const task = this.#pending.get(token);
    if (!task) return;
    this.#forget(token, task);
    this.#timedOut.add(token);
    if (this.#timedOut.size > TIMED_OUT_MEMORY) {
      this.#timedOut.delete(this.#timedOut.values().next().value as string);
    }
    if (error) task.reject(error);
  }

  #find(token: string): PendingTask {
    const task = this.#pending.get(token);
    if (task) return task;
    if (this.#timedOut.has(token)) {
      throw new SfnApiError('TaskTimedOut', 'Task Timed Out: the task of this token timed out');
    }
    throw new SfnApiError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  #take(token: string): PendingTask {
    const task = this.#find(token);
    this.#forget(token, task);
    return task;
  }

  #forget(token: string, task: PendingTask): void {
    clearTimeout(task.timeout);
    clearTimeout(task.heartbeat);
    this.#pending.delete(token);
  }
}
