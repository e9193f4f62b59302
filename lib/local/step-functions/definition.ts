/**
 * What the local Step Functions engine accepts of an Amazon States Language definition, and
 * the few rewrites that make aws-local-stepfunctions 3.0.0 behave like AWS (LOCAL-STACK §3).
 * Anything the engine would run differently from AWS is refused here, at start-up, naming
 * the state, so a definition never silently diverges.
 */

/** An ASL definition as JSON; only the fields this module reads are typed. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [field: string]: unknown;
}

export interface AslState {
  Type: string;
  [field: string]: unknown;
}

/** How a Task state runs locally: the three Lambda forms are the only resources supported. */
export type TaskKind =
  /** `arn:aws:states:::lambda:invoke`: result `{ ExecutedVersion, Payload, StatusCode }`. */
  | 'invoke'
  /** `arn:aws:states:::lambda:invoke.waitForTaskToken`: result is what SendTaskSuccess sends. */
  | 'callback'
  /** A Lambda function ARN as the resource: the state input is the event, the result is raw. */
  | 'function';

export interface TaskSpec {
  /** The state name: aws-local-stepfunctions keys its task overrides by it. */
  name: string;
  kind: TaskKind;
  resource: string;
  /** The state's timeout after injection and clamping. */
  timeoutSeconds: number;
  heartbeatSeconds?: number;
}

export interface PreparedDefinition {
  /** A copy of the definition with task timeouts injected and timer values clamped. */
  definition: AslDefinition;
  tasks: TaskSpec[];
  /** States that have a Retry field (for retry-interval overrides in tests). */
  retryStates: string[];
  waitStates: string[];
}

/** Replaces `$$.Task.Token` while a callback task's parameters are evaluated; see tasks.ts. */
export const TASK_TOKEN_PLACEHOLDER = '__annoflow_local_sfn_task_token__';

/**
 * The largest delay a Node.js timer can hold (2^31-1 ms, 24.8 days). A longer one fires
 * after 1 ms, so every timeout and wait in a definition is clamped to it.
 */
export const MAX_TIMER_SECONDS = 2_147_483;

/**
 * Injected into Task states without `TimeoutSeconds`: the library's default is 60 s, AWS's
 * is 99,999,999 s; a callback that waits for a person must not fail after a minute.
 */
export const DEFAULT_TASK_TIMEOUT_SECONDS = MAX_TIMER_SECONDS;

const RESOURCE_KINDS: Array<[RegExp, TaskKind]> = [
  [/^arn:[\w-]+:states:::lambda:invoke$/, 'invoke'],
  [/^arn:[\w-]+:states:::lambda:invoke\.waitForTaskToken$/, 'callback'],
  [/^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/, 'function'],
];

export function taskKindOf(resource: string): TaskKind | undefined {
  return RESOURCE_KINDS.find(([pattern]) => pattern.test(resource))?.[1];
}

/** Fields of JSONata states, variables and Distributed Map that the local engine ignores or fails on. */
const UNSUPPORTED_FIELDS: Record<string, string> = {
  Assign: 'variables (Assign)',
  Arguments: 'JSONata (Arguments)',
  Output: 'JSONata (Output)',
  Items: 'JSONata (Items)',
  ItemReader: 'Distributed Map ItemReader',
  ItemBatcher: 'Distributed Map ItemBatcher',
  ResultWriter: 'Distributed Map ResultWriter',
  ToleratedFailureCount: 'Distributed Map ToleratedFailureCount',
  ToleratedFailureCountPath: 'Distributed Map ToleratedFailureCountPath',
  ToleratedFailurePercentage: 'Distributed Map ToleratedFailurePercentage',
  ToleratedFailurePercentagePath: 'Distributed Map ToleratedFailurePercentagePath',
  Credentials: 'cross-account Credentials',
  HeartbeatSecondsPath: 'HeartbeatSecondsPath',
  // aws-local-stepfunctions reads it from the input after Parameters, not the state input.
  TimeoutSecondsPath: 'TimeoutSecondsPath',
};

/** Thrown by `prepareDefinition` with every problem of a definition at once. */
export class UnsupportedDefinitionError extends Error {
  override name = 'UnsupportedDefinitionError';
  constructor(
    readonly stateMachine: string,
    readonly problems: string[],
  ) {
    super(
      `state machine "${stateMachine}" cannot run on the local Step Functions engine:\n  - ${problems.join('\n  - ')}`,
    );
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clamp = (seconds: number) => Math.min(seconds, MAX_TIMER_SECONDS);

/**
 * Checks a definition against what the local engine runs like AWS and returns a prepared
 * copy. Throws `UnsupportedDefinitionError` listing every problem, each naming its state.
 */
export function prepareDefinition(stateMachine: string, input: unknown): PreparedDefinition {
  const problems: string[] = [];
  if (!isObject(input) || !isObject(input.States) || typeof input.StartAt !== 'string') {
    throw new UnsupportedDefinitionError(stateMachine, [
      'the definition is not an ASL object with StartAt and States',
    ]);
  }
  const definition = structuredClone(input) as AslDefinition;
  const tasks: TaskSpec[] = [];
  const retryStates: string[] = [];
  const waitStates: string[] = [];
  const seen = new Set<string>();

  if (definition.QueryLanguage === 'JSONata') {
    problems.push('the definition uses JSONata (QueryLanguage: "JSONata" at the top level)');
  }
  if (typeof definition.TimeoutSeconds === 'number') {
    definition.TimeoutSeconds = clamp(definition.TimeoutSeconds);
  }

  const visit = (scope: AslDefinition, where: string) => {
    if (scope.QueryLanguage === 'JSONata' && where !== '') {
      problems.push(`${where} uses JSONata (QueryLanguage: "JSONata")`);
    }
    for (const [name, state] of Object.entries(scope.States ?? {})) {
      const at = `state "${name}"`;
      if (!isObject(state)) {
        problems.push(`${at} is not an object`);
        continue;
      }
      // aws-local-stepfunctions keys task overrides by state name across nested machines;
      // AWS also requires names to be unique in the whole definition.
      if (seen.has(name)) problems.push(`${at} is defined more than once`);
      seen.add(name);
      if (state.QueryLanguage === 'JSONata') {
        problems.push(`${at} uses JSONata (QueryLanguage: "JSONata")`);
      }
      for (const [field, what] of Object.entries(UNSUPPORTED_FIELDS)) {
        if (field in state) problems.push(`${at} uses ${what}`);
      }
      for (const [index, catcher] of ((state.Catch as unknown[]) ?? []).entries()) {
        if (isObject(catcher) && 'Assign' in catcher) {
          problems.push(`${at} uses variables (Assign in Catch[${index}])`);
        }
      }
      for (const [index, choice] of ((state.Choices as unknown[]) ?? []).entries()) {
        if (isObject(choice) && 'Assign' in choice) {
          problems.push(`${at} uses variables (Assign in Choices[${index}])`);
        }
        if (isObject(choice) && 'Condition' in choice) {
          problems.push(`${at} uses JSONata (Condition in Choices[${index}])`);
        }
      }
      if (Array.isArray(state.Retry)) retryStates.push(name);

      switch (state.Type) {
        case 'Task':
          visitTask(name, state, problems, tasks);
          break;
        case 'Wait':
          waitStates.push(name);
          if (typeof state.Seconds === 'number') state.Seconds = clamp(state.Seconds);
          break;
        case 'Map': {
          const processor = state.ItemProcessor ?? state.Iterator;
          if (isObject(processor)) visit(processor as AslDefinition, `the Map "${name}"`);
          break;
        }
        case 'Parallel':
          for (const [index, branch] of ((state.Branches as unknown[]) ?? []).entries()) {
            if (isObject(branch)) {
              visit(branch as AslDefinition, `branch ${index} of the Parallel "${name}"`);
            }
          }
          break;
      }
    }
  };
  visit(definition, '');

  if (problems.length > 0) throw new UnsupportedDefinitionError(stateMachine, problems);
  return { definition, tasks, retryStates, waitStates };
}

function visitTask(name: string, state: AslState, problems: string[], tasks: TaskSpec[]): void {
  const at = `state "${name}"`;
  const resource = state.Resource;
  if (typeof resource !== 'string') {
    problems.push(`${at} has no Resource`);
    return;
  }
  if (/\.sync(:\d+)?$/.test(resource)) {
    problems.push(`${at} uses the .sync integration pattern (${resource})`);
    return;
  }
  const kind = taskKindOf(resource);
  if (!kind) {
    problems.push(
      `${at} uses the resource ${resource}; only arn:aws:states:::lambda:invoke, ` +
        'arn:aws:states:::lambda:invoke.waitForTaskToken and Lambda function ARNs run locally',
    );
    return;
  }
  if (kind === 'invoke' || kind === 'callback') {
    const parameters = state.Parameters;
    if (
      !isObject(parameters) ||
      !('FunctionName' in parameters || 'FunctionName.$' in parameters)
    ) {
      problems.push(`${at} invokes Lambda without Parameters.FunctionName`);
    }
    if (kind === 'callback' && !JSON.stringify(parameters ?? null).includes('$$.Task.Token')) {
      problems.push(`${at} waits for a task token but never passes $$.Task.Token in Parameters`);
    }
  }
  if (kind !== 'callback' && 'HeartbeatSeconds' in state) {
    problems.push(`${at} sets HeartbeatSeconds, which runs locally on .waitForTaskToken only`);
  }
  if (typeof state.HeartbeatSeconds === 'number') {
    state.HeartbeatSeconds = clamp(state.HeartbeatSeconds);
  }
  const timeoutSeconds =
    typeof state.TimeoutSeconds === 'number'
      ? clamp(state.TimeoutSeconds)
      : DEFAULT_TASK_TIMEOUT_SECONDS;
  state.TimeoutSeconds = timeoutSeconds;
  tasks.push({
    name,
    kind,
    resource,
    timeoutSeconds,
    ...(typeof state.HeartbeatSeconds === 'number'
      ? { heartbeatSeconds: state.HeartbeatSeconds }
      : {}),
  });
}
