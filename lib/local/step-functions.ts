/**
 * A local Step Functions endpoint (LOCAL-STACK §7 item 2): aws-local-stepfunctions 3.0.0
 * behind the AWS JSON 1.0 protocol, so the real `@aws-sdk/client-sfn` talks to it through
 * `AWS_ENDPOINT_URL_SFN`.
 *
 * What runs like AWS: Pass, Task, Choice, Wait, Succeed, Fail, inline Map (ItemsPath,
 * ItemSelector, MaxConcurrency), Parallel, Retry, Catch, intrinsics, timeouts; Task states
 * on `lambda:invoke` (result `{ ExecutedVersion, Payload, StatusCode: 200 }`),
 * `lambda:invoke.waitForTaskToken` (a minted token replaces `$$.Task.Token`; the task waits
 * for SendTaskSuccess / SendTaskFailure, its TimeoutSeconds and HeartbeatSeconds) and bare
 * Lambda ARNs; idempotent StartExecution by name; task results over 256 KiB fail with
 * States.DataLimitExceeded.
 *
 * What is refused at start-up, naming the state: JSONata, variables (Assign), Distributed
 * Map reading or batching (ItemReader, ItemBatcher, ResultWriter, ToleratedFailure*), `.sync`,
 * non-Lambda resources, Credentials, TimeoutSecondsPath and HeartbeatSecondsPath (the library
 * reads them after Parameters), duplicate state names.
 *
 * Known differences: executions and tokens live in memory, so a process restart forgets
 * them (the engine cannot resume an execution anyway); timeouts and waits are clamped to
 * Node's timer limit of 24.8 days, and a Task without TimeoutSeconds gets that instead of
 * the library's 60 s; `$$.Execution.Input` inside a Map iteration is the item; `$$.State`
 * is absent; `Mode: DISTRIBUTED` runs as an inline Map; a Lambda `Qualifier` is ignored.
 */
import { type LocalStateMachine, StepFunctionsEngine } from './step-functions/engine.js';
import { serveStepFunctions } from './step-functions/server.js';
import type { InvokeLambda } from './step-functions/tasks.js';

export {
  DEFAULT_TASK_TIMEOUT_SECONDS,
  MAX_TIMER_SECONDS,
  UnsupportedDefinitionError,
} from './step-functions/definition.js';
export type { ExecutionStatus, LocalStateMachine } from './step-functions/engine.js';
export type { InvokeLambda } from './step-functions/tasks.js';
export { functionNameFromArn, stateMachinesFromTemplate } from './step-functions/template.js';

export interface LocalStepFunctionsOptions {
  stateMachines: ReadonlyArray<LocalStateMachine>;
  /**
   * Runs a Lambda function: `functionArn` is what the state names (`Parameters.FunctionName`
   * or the Resource ARN; `functionNameFromArn` extracts the name). Reject with an error whose
   * `name` is the Task's error: the thrown error's name, or `Lambda.*` for a service failure.
   */
  invokeLambda: InvokeLambda;
  /** 127.0.0.1 port; 0 (default) picks a free one. */
  port?: number;
  region?: string;
  accountId?: string;
  /** For tests: Retry intervals and Wait states take this many ms instead of their seconds. */
  delayOverrideMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface LocalStepFunctions {
  /** The value for `AWS_ENDPOINT_URL_SFN`. */
  endpoint: string;
  stateMachineArn(name: string): string;
  /** Resolves when every execution started so far has closed. */
  settled(): Promise<void>;
  /** Whether every running execution waits on a task token (`.waitForTaskToken`). */
  allWaiting(): boolean;
  /** Aborts running executions, settles waiting tasks and closes the server. */
  stop(): Promise<void>;
}

/**
 * Starts the endpoint. Every definition is checked and built first: one that would run
 * differently from AWS throws `UnsupportedDefinitionError` naming the state.
 *
 * How the runtime (lib/local/runtime.ts) will use it: read the synthesized template's
 * `AWS::StepFunctions::StateMachine` resources with `stateMachinesFromTemplate`, resolving
 * `{ "Fn::GetAtt": [fnId, "Arn"] }` in the `Fn::Join` of each `DefinitionString` to
 * `arn:aws:lambda:us-east-1:000000000000:function:<fnId>` as `deriveServiceModel` does for
 * environment variables; pass an `invokeLambda` that maps `functionNameFromArn(arn)` (the
 * logical id) to the imported handler; resolve a function's env `{ Ref: <machineId> }` to
 * `stateMachineArn(<machine name>)`; and set `AWS_ENDPOINT_URL_SFN` to `endpoint`.
 *
 * @example
 * const sfn = await startLocalStepFunctions({
 *   stateMachines: [{ name: 'Annotate', definition }],
 *   invokeLambda: async (arn, payload) => handlers[functionNameFromArn(arn)](payload),
 * });
 * process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
 * await new SFNClient({}).send(
 *   new StartExecutionCommand({ stateMachineArn: sfn.stateMachineArn('Annotate'), input: '{}' }),
 * );
 */
export async function startLocalStepFunctions(
  options: LocalStepFunctionsOptions,
): Promise<LocalStepFunctions> {
  const engine = new StepFunctionsEngine({
    stateMachines: options.stateMachines,
    invokeLambda: options.invokeLambda,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    ...(options.delayOverrideMs === undefined ? {} : { delayOverrideMs: options.delayOverrideMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const server = await serveStepFunctions(engine, options.port ?? 0);
  return {
    endpoint: server.endpoint,
    stateMachineArn: (name) => engine.stateMachineArn(name),
    settled: () => engine.settled(),
    allWaiting: () => engine.allWaiting(),
    async stop() {
      await engine.close();
      await server.stop();
    },
  };
}
