import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  functionNameFromArn,
  type LocalStepFunctions,
  startLocalStepFunctions,
} from '../../../lib/local/step-functions.js';

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

class TransientError extends Error {
  override name = 'TransientError';
}

// The fake Lambdas: what the runtime will import from functions/.
const attempts = new Map<string, number>();
const tokens = new Map<string, string>();
let running = 0;
let mostRunning = 0;
const lambdas: Record<string, (event: never) => Promise<unknown>> = {
  double: async (event: { value: number }) => ({ value: event.value * 2 }),
  flaky: async (event: { key: string; failures: number }) => {
    const attempt = (attempts.get(event.key) ?? 0) + 1;
    attempts.set(event.key, attempt);
    if (attempt <= event.failures) throw new TransientError(`attempt ${attempt} failed`);
    return { attempt };
  },
  broken: async () => {
    throw new Error('broken on purpose');
  },
  square: async (event: { value: number; index: number }) => {
    running += 1;
    mostRunning = Math.max(mostRunning, running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running -= 1;
    return { index: event.index, square: event.value * event.value };
  },
  // Stores the token where "the outside" (a webhook, the test) will find it.
  submit: async (event: { job: string; token: string }) => {
    tokens.set(event.job, event.token);
    return { submitted: true };
  },
};

const machines = [
  {
    name: 'Flow',
    definition: {
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Parameters: { 'value.$': '$.start' }, Next: 'Double' },
        Double: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('double'), 'Payload.$': '$' },
          ResultPath: '$.invoke',
          Next: 'Size',
        },
        Size: {
          Type: 'Choice',
          Choices: [{ Variable: '$.invoke.Payload.value', NumericGreaterThan: 10, Next: 'Big' }],
          Default: 'Small',
        },
        Big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', End: true },
        Small: { Type: 'Pass', Result: 'small', ResultPath: '$.size', End: true },
      },
    },
  },
  {
    name: 'Retrying',
    definition: {
      StartAt: 'Flaky',
      States: {
        Flaky: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('flaky'), 'Payload.$': '$' },
          OutputPath: '$.Payload',
          Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recovered' }],
          End: true,
        },
        Recovered: { Type: 'Pass', End: true },
      },
    },
  },
  {
    name: 'Broken',
    definition: {
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: fn('broken'), End: true } },
    },
  },
  {
    name: 'Fanout',
    definition: {
      StartAt: 'Pages',
      States: {
        Pages: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 2,
          ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index' },
          ItemProcessor: {
            StartAt: 'Square',
            States: { Square: { Type: 'Task', Resource: fn('square'), End: true } },
          },
          End: true,
        },
      },
    },
  },
  {
    name: 'Callback',
    definition: {
      StartAt: 'Submit',
      States: {
        Submit: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: fn('submit'),
            Payload: { 'job.$': '$.job', 'token.$': '$$.Task.Token' },
          },
          ResultPath: '$.result',
          Next: 'Done',
        },
        Done: { Type: 'Pass', End: true },
      },
    },
  },
  {
    name: 'Deadlines',
    definition: {
      StartAt: 'Submit',
      States: {
        Submit: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: fn('submit'),
            Payload: { 'job.$': '$.job', 'token.$': '$$.Task.Token' },
          },
          TimeoutSeconds: 2,
          HeartbeatSeconds: 1,
          End: true,
        },
      },
    },
  },
];

let sfn: LocalStepFunctions;
let client: SFNClient;

beforeAll(async () => {
  sfn = await startLocalStepFunctions({
    stateMachines: machines,
    invokeLambda: async (arn, payload) => {
      const lambda = lambdas[functionNameFromArn(arn)];
      if (!lambda)
        throw Object.assign(new Error(arn), { name: 'Lambda.ResourceNotFoundException' });
      return lambda(payload as never);
    },
    delayOverrideMs: 1,
  });
  // The SDK finds the endpoint the way a deployed handler's client would locally.
  process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  client = new SFNClient({});
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
});

async function start(machine: string, input: unknown, name?: string): Promise<string> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn: sfn.stateMachineArn(machine),
      input: JSON.stringify(input),
      ...(name === undefined ? {} : { name }),
    }),
  );
  return executionArn as string;
}

async function closed(executionArn: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} is still running`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function tokenFor(job: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  while (!tokens.has(job)) {
    if (Date.now() > deadline) throw new Error(`no token for ${job}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return tokens.get(job) as string;
}

describe('Function: startLocalStepFunctions', () => {
  it('listens on loopback only and describes its state machines', async () => {
    expect(sfn.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { stateMachines } = await client.send(new ListStateMachinesCommand({}));
    expect(stateMachines?.map((machine) => machine.name)).toEqual(machines.map((m) => m.name));
    const flow = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: sfn.stateMachineArn('Flow') }),
    );
    expect(flow).toMatchObject({ name: 'Flow', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(flow.definition as string)).toEqual(machines[0]?.definition);
    expect(flow.creationDate).toBeInstanceOf(Date);
  });

  it('runs Pass → Task (lambda:invoke) → Choice to SUCCEEDED with the output AWS would give', async () => {
    const [big, small] = await Promise.all([
      start('Flow', { start: 6 }).then(closed),
      start('Flow', { start: 2 }).then(closed),
    ]);
    expect(big.status).toBe('SUCCEEDED');
    expect(JSON.parse(big.output as string)).toEqual({
      value: 6,
      invoke: { ExecutedVersion: '$LATEST', Payload: { value: 12 }, StatusCode: 200 },
      size: 'big',
    });
    expect(JSON.parse(small.input as string)).toEqual({ start: 2 });
    expect(JSON.parse(small.output as string)).toMatchObject({ size: 'small' });
    expect(big.startDate).toBeInstanceOf(Date);
    expect(big.stopDate?.getTime()).toBeGreaterThanOrEqual(big.startDate?.getTime() as number);
  });

  it('retries a Lambda error by its name, then catches it when the retries run out', async () => {
    const recovered = await closed(await start('Retrying', { key: 'twice', failures: 2 }));
    expect(recovered.status).toBe('SUCCEEDED');
    expect(JSON.parse(recovered.output as string)).toEqual({ attempt: 3 });

    const caught = await closed(await start('Retrying', { key: 'always', failures: 9 }));
    expect(attempts.get('always')).toBe(3);
    const output = JSON.parse(caught.output as string);
    expect(caught.status).toBe('SUCCEEDED');
    expect(output.error.Error).toBe('TransientError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'attempt 3 failed',
    });
  });

  it('fails the execution with the Lambda error of a bare function ARN task', async () => {
    const failed = await closed(await start('Broken', {}));
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toBe('Error');
    expect(JSON.parse(failed.cause as string)).toMatchObject({ errorMessage: 'broken on purpose' });
  });

  it('maps over items with at most MaxConcurrency at once, results in order', async () => {
    const items = [1, 2, 3, 4, 5, 6];
    const done = await closed(await start('Fanout', { items }));
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual(
      items.map((value, index) => ({ index, square: value * value })),
    );
    expect(mostRunning).toBe(2);
  });

  it('waits for the task token until SendTaskSuccess from outside, then a used token is TaskDoesNotExist', async () => {
    const executionArn = await start('Callback', { job: 'ok' });
    const token = await tokenFor('ok');
    expect(token).not.toContain('__annoflow');
    expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe(
      'RUNNING',
    );
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ labels: 3 }) }),
    );
    const done = await closed(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ job: 'ok', result: { labels: 3 } });

    const again = client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await expect(again).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(again).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    await expect(
      client.send(new SendTaskFailureCommand({ taskToken: 'never-issued' })),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);
  });

  it('fails the execution with the error and cause of SendTaskFailure', async () => {
    const executionArn = await start('Callback', { job: 'rejected' });
    await client.send(
      new SendTaskFailureCommand({
        taskToken: await tokenFor('rejected'),
        error: 'Annotation.Rejected',
        cause: 'the reviewer said no',
      }),
    );
    const failed = await closed(executionArn);
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: 'Annotation.Rejected',
      cause: 'the reviewer said no',
    });
  });

  it('times a waiting task out by TimeoutSeconds and HeartbeatSeconds, as AWS does', async () => {
    const [timedOut, silent] = await Promise.all([
      start('Deadlines', { job: 'late' }),
      start('Deadlines', { job: 'silent' }),
    ]);
    // A heartbeat every 0.5 s keeps 'late' alive past its 1 s heartbeat, not past its timeout.
    const late = await tokenFor('late');
    const beats = setInterval(
      () => void client.send(new SendTaskHeartbeatCommand({ taskToken: late })).catch(() => {}),
      500,
    );
    const [timeout, heartbeat] = await Promise.all([closed(timedOut), closed(silent)]);
    clearInterval(beats);
    expect(timeout).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(heartbeat).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: late, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('returns the running execution for a duplicate StartExecution by name; other input or a closed one is ExecutionAlreadyExists', async () => {
    const first = await start('Callback', { job: 'dup' }, 'run-1_task-2_rev-3');
    const second = await start('Callback', { job: 'dup' }, 'run-1_task-2_rev-3');
    expect(second).toBe(first);
    expect(first).toBe(
      'arn:aws:states:us-east-1:000000000000:execution:Callback:run-1_task-2_rev-3',
    );
    await expect(start('Callback', { job: 'other' }, 'run-1_task-2_rev-3')).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await client.send(
      new SendTaskSuccessCommand({ taskToken: await tokenFor('dup'), output: '{}' }),
    );
    expect((await closed(first)).status).toBe('SUCCEEDED');
    await expect(start('Callback', { job: 'dup' }, 'run-1_task-2_rev-3')).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
  });

  it('stops a waiting execution as ABORTED and forgets its token', async () => {
    const executionArn = await start('Callback', { job: 'stopped' });
    const token = await tokenFor('stopped');
    const { stopDate } = await client.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'run deleted' }),
    );
    expect(stopDate).toBeInstanceOf(Date);
    const aborted = await closed(executionArn);
    expect(aborted).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'run deleted' });
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);

    const { executions } = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: sfn.stateMachineArn('Callback'),
        statusFilter: 'ABORTED',
      }),
    );
    expect(executions?.map((execution) => execution.executionArn)).toEqual([executionArn]);
  });

  it('lists executions newest first, page by page', async () => {
    const arns = [];
    for (const start_ of [1, 2, 3]) arns.push(await start('Flow', { start: start_ }));
    await Promise.all(arns.map(closed));
    const stateMachineArn = sfn.stateMachineArn('Flow');
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
    expect(first.executions?.map((e) => e.executionArn)).toEqual([arns[2], arns[1]]);
    const rest = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken: first.nextToken }),
    );
    expect(rest.executions?.[0]?.executionArn).toBe(arns[0]);
    expect(rest.executions?.every((e) => e.status === 'SUCCEEDED')).toBe(true);
  });

  it('refuses an execution name AWS refuses and an unknown state machine', async () => {
    await expect(start('Flow', {}, 'run#1')).rejects.toBeInstanceOf(InvalidName);
    await expect(start('Nope', {})).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });
});

describe('Function: startLocalStepFunctions, unsupported definitions', () => {
  const task = (extra: Record<string, unknown>) => ({
    StartAt: 'Work',
    States: { Work: { Type: 'Task', End: true, ...extra } },
  });
  const invoke = { Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f' } };
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'JSONata',
      {
        StartAt: 'Shape',
        States: { Shape: { Type: 'Pass', QueryLanguage: 'JSONata', Output: { a: 1 }, End: true } },
      },
      /state "Shape" uses JSONata \(QueryLanguage: "JSONata"\)/,
    ],
    [
      'top-level JSONata',
      { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
      /uses JSONata/,
    ],
    ['Assign', task({ ...invoke, Assign: { x: 1 } }), /state "Work" uses variables \(Assign\)/],
    [
      'ItemReader',
      {
        StartAt: 'Pages',
        States: {
          Pages: {
            Type: 'Map',
            ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: {} },
            ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      /state "Pages" uses Distributed Map ItemReader/,
    ],
    [
      'ItemBatcher',
      {
        StartAt: 'Pages',
        States: {
          Pages: {
            Type: 'Map',
            ItemBatcher: { MaxItemsPerBatch: 10 },
            ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      /state "Pages" uses Distributed Map ItemBatcher/,
    ],
    [
      '.sync',
      task({ Resource: 'arn:aws:states:::states:startExecution.sync:2', Parameters: {} }),
      /state "Work" uses the \.sync integration pattern/,
    ],
    [
      'a non-Lambda service',
      task({ Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: {} }),
      /state "Work" uses the resource arn:aws:states:::dynamodb:putItem/,
    ],
    [
      'a callback without the token',
      task({
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'f', Payload: {} },
      }),
      /state "Work" waits for a task token but never passes \$\$\.Task\.Token/,
    ],
    [
      'a nested JSONata state',
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Inner',
                States: { Inner: { Type: 'Pass', QueryLanguage: 'JSONata', End: true } },
              },
            ],
            End: true,
          },
        },
      },
      /state "Inner" uses JSONata/,
    ],
  ];

  it.each(cases)('refuses %s at start-up, naming the state', async (_, definition, message) => {
    await expect(
      startLocalStepFunctions({
        stateMachines: [{ name: 'Refused', definition }],
        invokeLambda: async () => null,
      }),
    ).rejects.toThrow(message);
  });

  it('names the state machine and lists every problem at once', async () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 1 }, Next: 'B' },
        B: { Type: 'Pass', QueryLanguage: 'JSONata', End: true },
      },
    };
    const started = startLocalStepFunctions({
      stateMachines: [{ name: 'Annotate', definition }],
      invokeLambda: async () => null,
    });
    await expect(started).rejects.toThrow(/state machine "Annotate"/);
    await expect(started).rejects.toThrow(/state "A" uses variables[\s\S]*state "B" uses JSONata/);
  });
});
