import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  type PreparedDefinition,
  prepareDefinition,
  TASK_TOKEN_PLACEHOLDER,
  UnsupportedDefinitionError,
} from './definition.js';
import { SfnApiError } from './errors.js';
import { TaskTokenRegistry } from './task-tokens.js';
import { type InvokeLambda, MAX_PAYLOAD_BYTES, taskHandlers } from './tasks.js';

export interface LocalStateMachine {
  name: string;
  /** The ASL definition as a JSON object (JSONPath only; see `prepareDefinition`). */
  definition: unknown;
  roleArn?: string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface EngineOptions {
  stateMachines: ReadonlyArray<LocalStateMachine>;
  invokeLambda: InvokeLambda;
  region?: string;
  accountId?: string;
  /**
   * For tests: every Retry interval and Wait state takes this many milliseconds instead of
   * the definition's seconds. Absent: the definition's own delays, as on AWS.
   */
  delayOverrideMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

interface Machine {
  name: string;
  arn: string;
  roleArn: string;
  definitionText: string;
  prepared: PreparedDefinition;
  engine: StateMachine;
  creationDate: number;
}

interface Execution {
  seq: number;
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: number;
  stopDate?: number;
  abort(): void;
  settled: Promise<void>;
}

// Step Functions' rules for state machine and execution names: 1-80 characters, none of
// them whitespace, brackets, wildcards, these specials or control characters.
const validName = (name: string) =>
  name.length >= 1 &&
  name.length <= 80 &&
  !/[\s<>{}[\]?*"#%\\^|~`$&,;:/]/.test(name) &&
  ![...name].some((char) => {
    const code = char.codePointAt(0) as number;
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
const epochSeconds = () => Date.now() / 1000;

/**
 * The Step Functions API over aws-local-stepfunctions: state machines validated and built
 * once at start-up, executions and callback tokens in memory (a restart forgets them; the
 * engine cannot resume an execution anyway). Results are the API's JSON shapes, dates in
 * epoch seconds, errors `SfnApiError`s.
 */
export class StepFunctionsEngine {
  readonly #machines = new Map<string, Machine>();
  readonly #executions = new Map<string, Execution>();
  readonly #tokens = new TaskTokenRegistry();
  readonly #invokeLambda: InvokeLambda;
  readonly #region: string;
  readonly #accountId: string;
  readonly #delayOverrideMs: number | undefined;
  readonly #log: (entry: Record<string, unknown>) => void;
  #seq = 0;

  constructor(options: EngineOptions) {
    this.#invokeLambda = options.invokeLambda;
    this.#region = options.region ?? 'us-east-1';
    this.#accountId = options.accountId ?? '000000000000';
    this.#delayOverrideMs = options.delayOverrideMs;
    this.#log = options.log ?? (() => {});
    const creationDate = epochSeconds();
    for (const { name, definition, roleArn } of options.stateMachines) {
      if (!validName(name)) {
        throw new UnsupportedDefinitionError(name, ['the name is not a valid state machine name']);
      }
      const arn = this.stateMachineArn(name);
      if (this.#machines.has(arn)) {
        throw new UnsupportedDefinitionError(name, ['the name is used by two state machines']);
      }
      const prepared = prepareDefinition(name, definition);
      let engine: StateMachine;
      try {
        // Validating a definition costs ~90 ms: build each once, run it many times.
        engine = new StateMachine(prepared.definition as unknown as StateMachineDefinition);
      } catch (error) {
        throw new UnsupportedDefinitionError(name, [(error as Error).message]);
      }
      this.#machines.set(arn, {
        name,
        arn,
        roleArn: roleArn ?? `arn:aws:iam::${this.#accountId}:role/${name.slice(0, 50)}-local-role`,
        definitionText: JSON.stringify(definition),
        prepared,
        engine,
        creationDate,
      });
    }
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.#region}:${this.#accountId}:stateMachine:${name}`;
  }

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    const machine = this.#machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (!validName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError('ValidationException', 'input exceeds the 262144 byte limit');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
    }
    const executionArn = `arn:aws:states:${this.#region}:${this.#accountId}:execution:${machine.name}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing) {
      // AWS: the same name and input as a *running* execution returns it; anything else
      // (different input, or the execution has closed) is ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new SfnApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const execution = this.#run(machine, executionArn, name, input, parsed);
    return { executionArn, startDate: execution.startDate };
  }

  describeExecution(executionArn: string) {
    const execution = this.#execution(executionArn);
    return {
      executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate }),
      input: execution.input,
      inputDetails: { included: true },
      ...(execution.output === undefined
        ? {}
        : { output: execution.output, outputDetails: { included: true } }),
      ...(execution.error === undefined ? {} : { error: execution.error }),
      ...(execution.cause === undefined ? {} : { cause: execution.cause }),
    };
  }

  /** Newest first, as AWS lists them; `nextToken` pages through a stable order. */
  listExecutions(request: {
    stateMachineArn: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }) {
    const machine = this.#machine(request.stateMachineArn);
    const limit = request.maxResults ? Math.min(request.maxResults, 1000) : 100;
    let before = Number.POSITIVE_INFINITY;
    if (request.nextToken !== undefined) {
      before = Number(Buffer.from(request.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(before)) throw new SfnApiError('InvalidToken', 'Invalid Token');
    }
    const matching = [...this.#executions.values()]
      .filter(
        (execution) =>
          execution.stateMachineArn === machine.arn &&
          execution.seq < before &&
          (request.statusFilter === undefined || execution.status === request.statusFilter),
      )
      .sort((a, b) => b.seq - a.seq);
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      executions: page.map((execution) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        ...(execution.stopDate === undefined ? {} : { stopDate: execution.stopDate }),
      })),
      ...(matching.length > limit && last
        ? { nextToken: Buffer.from(String(last.seq)).toString('base64url') }
        : {}),
    };
  }

  /** Stops a running execution (ABORTED); a closed one is left as it is. */
  stopExecution(request: { executionArn: string; error?: string; cause?: string }) {
    const execution = this.#execution(request.executionArn);
    if (execution.status === 'RUNNING') {
      this.#close(execution, 'ABORTED', {
        ...(request.error === undefined ? {} : { error: request.error }),
        ...(request.cause === undefined ? {} : { cause: request.cause }),
      });
      execution.abort();
    }
    return { stopDate: execution.stopDate as number };
  }

  sendTaskSuccess(request: { taskToken: string; output: string }): Record<string, never> {
    if (Buffer.byteLength(request.output) > MAX_PAYLOAD_BYTES) {
      throw new SfnApiError('ValidationException', 'output exceeds the 262144 byte limit');
    }
    let output: unknown;
    try {
      output = JSON.parse(request.output);
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid Output: the output is not JSON');
    }
    this.#tokens.succeed(request.taskToken, output);
    return {};
  }

  sendTaskFailure(request: {
    taskToken: string;
    error?: string;
    cause?: string;
  }): Record<string, never> {
    this.#tokens.fail(request.taskToken, request.error ?? '', request.cause ?? '');
    return {};
  }

  sendTaskHeartbeat(request: { taskToken: string }): Record<string, never> {
    this.#tokens.heartbeat(request.taskToken);
    return {};
  }

  describeStateMachine(stateMachineArn: string) {
    const machine = this.#machine(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate,
    };
  }

  listStateMachines() {
    return {
      stateMachines: [...this.#machines.values()].map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate,
      })),
    };
  }

  /** Whether every running execution is parked on a task token (and there is nothing else to do). */
  allWaiting(): boolean {
    const waiting = this.#tokens.waitingExecutions();
    return [...this.#executions.values()].every(
      (execution) => execution.status !== 'RUNNING' || waiting.has(execution.executionArn),
    );
  }

  /** Resolves when every execution started so far has closed. */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.#executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.all(running.map((execution) => execution.settled));
    }
  }

  /** Aborts every running execution and settles every waiting task, for shutdown. */
  async close(): Promise<void> {
    for (const execution of this.#executions.values()) {
      if (execution.status !== 'RUNNING') continue;
      this.#close(execution, 'ABORTED', { cause: 'the local Step Functions engine stopped' });
      execution.abort();
    }
    this.#tokens.closeAll();
    await Promise.all([...this.#executions.values()].map((execution) => execution.settled));
  }

  #run(
    machine: Machine,
    executionArn: string,
    name: string,
    input: string,
    parsed: unknown,
  ): Execution {
    const execution: Execution = {
      seq: ++this.#seq,
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      input,
      startDate: epochSeconds(),
      abort: () => {},
      settled: Promise.resolve(),
    };
    this.#executions.set(executionArn, execution);

    const { prepared } = machine;
    const overrides: NonNullable<RunOptions['overrides']> = {
      taskResourceLocalHandlers: taskHandlers(prepared.tasks, {
        invokeLambda: this.#invokeLambda,
        tokens: this.#tokens,
        executionArn,
        isRunning: () => execution.status === 'RUNNING',
        log: this.#log,
      }) as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
    };
    const delay = this.#delayOverrideMs;
    if (delay !== undefined) {
      overrides.retryIntervalOverrides = Object.fromEntries(
        prepared.retryStates.map((state) => [state, delay]),
      );
      overrides.waitTimeOverrides = Object.fromEntries(
        prepared.waitStates.map((state) => [state, delay]),
      );
    }
    const run = machine.engine.run(parsed as never, {
      overrides,
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          RoleArn: machine.roleArn,
          StartTime: new Date(execution.startDate * 1000).toISOString(),
        },
        StateMachine: { Id: machine.arn, Name: machine.name },
        // aws-local-stepfunctions has no task tokens: $$.Task.Token evaluates to this
        // placeholder, which the callback task replaces by the token it mints.
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    execution.abort = run.abort;
    // The event log is never read: reading it without handling `result` would turn a
    // failure into an unhandled rejection (LOCAL-STACK §3).
    execution.settled = run.result.then(
      (output) => this.#close(execution, 'SUCCEEDED', { output: JSON.stringify(output) }),
      (error: unknown) => this.#close(execution, ...outcomeOf(error)),
    );
    return execution;
  }

  #close(
    execution: Execution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    details: { output?: string; error?: string; cause?: string },
  ): void {
    if (execution.status !== 'RUNNING') return;
    execution.status = status;
    execution.stopDate = epochSeconds();
    Object.assign(execution, details);
    this.#tokens.closeExecution(execution.executionArn);
    if (status === 'FAILED') {
      this.#log({
        level: 'warn',
        message: 'execution failed',
        executionArn: execution.executionArn,
        error: details.error,
        cause: details.cause,
      });
    }
  }

  #machine(stateMachineArn: string): Machine {
    if (!stateMachineArn.startsWith('arn:')) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    }
    const machine = this.#machines.get(stateMachineArn);
    if (!machine) {
      throw new SfnApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    return machine;
  }

  #execution(executionArn: string): Execution {
    // As Step Functions: an ARN whose execution name breaks the naming rules is invalid.
    if (
      !executionArn.startsWith('arn:') ||
      !validName(executionArn.slice(executionArn.lastIndexOf(':') + 1))
    ) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    }
    const execution = this.#executions.get(executionArn);
    if (!execution) {
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return execution;
  }
}

const DEFAULT_FAIL_CAUSE = 'Execution failed because of a Fail state';

function outcomeOf(
  error: unknown,
): [Exclude<ExecutionStatus, 'RUNNING'>, { error?: string; cause?: string }] {
  if (error instanceof ExecutionAbortedError) return ['ABORTED', {}];
  if (error instanceof ExecutionTimeoutError) return ['TIMED_OUT', {}];
  const failure = error instanceof ExecutionError ? (error.cause as Error) : (error as Error);
  // A Fail state without Error/Cause reports neither on AWS; the library fills in defaults.
  const name = failure?.name === 'FailStateError' ? '' : (failure?.name ?? 'States.Runtime');
  const cause = failure?.message === DEFAULT_FAIL_CAUSE ? '' : String(failure?.message ?? error);
  return ['FAILED', { ...(name ? { error: name } : {}), ...(cause ? { cause } : {}) }];
}
