import { TASK_TOKEN_PLACEHOLDER, type TaskSpec } from './definition.js';
import { stateError } from './errors.js';
import type { TaskTokenRegistry } from './task-tokens.js';

/**
 * Invokes a Lambda function locally: resolves with its result, rejects with the error it
 * threw. The error's `name` becomes the Task's error, as Lambda's `errorType` does on AWS;
 * name an infrastructure failure `Lambda.<Exception>` (e.g. `Lambda.ResourceNotFoundException`).
 */
export type InvokeLambda = (functionArn: string, payload: unknown) => Promise<unknown>;

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type TaskHandler = (input: JsonValue) => Promise<JsonValue>;

/** Step Functions' payload limit: a larger task result fails with States.DataLimitExceeded. */
export const MAX_PAYLOAD_BYTES = 262_144;

export interface TaskDependencies {
  invokeLambda: InvokeLambda;
  tokens: TaskTokenRegistry;
  executionArn: string;
  /** False once the execution was stopped: the engine may still retry a task after abort. */
  isRunning(): boolean;
  log(entry: Record<string, unknown>): void;
}

/**
 * The task overrides for one execution, keyed by state name as aws-local-stepfunctions
 * wants them: every Task state of the definition (nested ones included) runs here.
 */
export function taskHandlers(
  tasks: ReadonlyArray<TaskSpec>,
  deps: TaskDependencies,
): Record<string, TaskHandler> {
  return Object.fromEntries(tasks.map((task) => [task.name, handlerFor(task, deps)]));
}

function handlerFor(task: TaskSpec, deps: TaskDependencies): TaskHandler {
  const guarded =
    (run: (input: JsonValue) => Promise<unknown>): TaskHandler =>
    (input) => {
      const outcome = (async () => {
        if (!deps.isRunning()) {
          throw stateError('States.Runtime', 'The execution is no longer running');
        }
        return limitSize(task.name, toJson(await run(input)));
      })();
      // The engine may stop listening (a task timeout won the race, the execution was
      // stopped); a late failure must not become an unhandled rejection.
      outcome.catch(() => {});
      return outcome;
    };

  switch (task.kind) {
    case 'function':
      return guarded((input) => invoke(deps, task.resource, input));

    case 'invoke':
      return guarded(async (input) => {
        const parameters = input as {
          FunctionName: string;
          Payload?: unknown;
          InvocationType?: string;
        };
        const payload = parameters.Payload === undefined ? {} : parameters.Payload;
        if (parameters.InvocationType === 'Event') {
          invoke(deps, parameters.FunctionName, payload).catch((error: unknown) =>
            deps.log({
              level: 'error',
              message: 'asynchronous Lambda invocation failed',
              state: task.name,
              error: String(error),
            }),
          );
          return { Payload: '', StatusCode: 202 };
        }
        const result = await invoke(deps, parameters.FunctionName, payload);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      });

    case 'callback':
      return guarded(async (input) => {
        const { token, result } = deps.tokens.open(deps.executionArn, {
          timeoutSeconds: task.timeoutSeconds,
          ...(task.heartbeatSeconds === undefined
            ? {}
            : { heartbeatSeconds: task.heartbeatSeconds }),
        });
        const parameters = withToken(input, token) as {
          FunctionName: string;
          Payload?: unknown;
          InvocationType?: string;
        };
        const invocation = invoke(
          deps,
          parameters.FunctionName,
          parameters.Payload === undefined ? {} : parameters.Payload,
        );
        // The function's result is ignored: the task waits for the token. A failing
        // function fails the task, unless it was invoked asynchronously.
        invocation.catch((error: unknown) => {
          if (parameters.InvocationType === 'Event') {
            deps.log({
              level: 'error',
              message: 'callback invocation failed',
              error: String(error),
            });
          } else {
            deps.tokens.abandon(token, error as Error);
          }
        });
        return result;
      });
  }
}

async function invoke(deps: TaskDependencies, functionArn: string, payload: unknown) {
  let result: unknown;
  try {
    result = await deps.invokeLambda(functionArn, toJson(payload));
  } catch (error) {
    throw lambdaError(error);
  }
  return toJson(result);
}

/**
 * A Lambda failure as Step Functions reports it: the error is Lambda's `errorType` (the
 * thrown error's name) and the cause the function's error payload as a JSON string, or the
 * message for a `Lambda.*` service error.
 */
export function lambdaError(error: unknown): Error {
  const thrown = error instanceof Error ? error : new Error(String(error));
  const name = thrown.name || 'Error';
  if (name.startsWith('Lambda.') || name.startsWith('States.')) {
    return stateError(name, thrown.message);
  }
  return stateError(
    name,
    JSON.stringify({
      errorType: name,
      errorMessage: thrown.message,
      trace: thrown.stack?.split('\n') ?? [],
    }),
  );
}

/** Parameters evaluated `$$.Task.Token` to the placeholder; put the minted token in its place. */
function withToken(value: unknown, token: string): unknown {
  if (typeof value === 'string') return value.split(TASK_TOKEN_PLACEHOLDER).join(token);
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, withToken(item, token)]),
    );
  }
  return value;
}

/** Values cross a JSON boundary, as between Step Functions and Lambda; undefined is null. */
function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function limitSize(state: string, value: JsonValue): JsonValue {
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_PAYLOAD_BYTES) {
    throw stateError(
      'States.DataLimitExceeded',
      `The state/task '${state}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
  }
  return value;
}
