import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  DefinitionBody,
  IntegrationPattern,
  JsonPath,
  Map as MapState,
  StateMachine,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  functionNameFromArn,
  type LocalStepFunctions,
  startLocalStepFunctions,
  stateMachinesFromTemplate,
} from '../../../lib/local/step-functions.js';

// A definition as the CDK app will synthesize it: Fn::Join with Fn::GetAtt function ARNs
// and AWS::Partition, CDK's default Lambda retries, a Map and a callback task.
function synthesize() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Sfn', { env: { account: '000000000000', region: 'us-east-1' } });
  const lambda = (id: string) =>
    new LambdaFunction(stack, id, {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => null;'),
    });
  const page = new LambdaInvoke(stack, 'UploadPage', {
    lambdaFunction: lambda('UploadFn'),
    payload: TaskInput.fromObject({ page: JsonPath.stringAt('$') }),
    outputPath: '$.Payload',
  });
  const pages = new MapState(stack, 'Pages', { itemsPath: '$.pages', maxConcurrency: 2 });
  pages.itemProcessor(page);
  const wait = new LambdaInvoke(stack, 'WaitForAnnotators', {
    lambdaFunction: lambda('OpenFn'),
    integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: TaskInput.fromObject({ token: JsonPath.taskToken, uploaded: JsonPath.listAt('$') }),
    taskTimeout: Timeout.duration(Duration.hours(1)),
  });
  new StateMachine(stack, 'Annotate', {
    definitionBody: DefinitionBody.fromChainable(pages.next(wait)),
    timeout: Duration.hours(1),
  });
  return app.synth().getStackByName('Sfn').template as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
}

const calls: Array<{ fn: string; payload: unknown }> = [];
let sfn: LocalStepFunctions;
let client: SFNClient;
let machineId: string;

beforeAll(async () => {
  const template = synthesize();
  machineId = Object.keys(template.Resources).find(
    (id) => template.Resources[id]?.Type === 'AWS::StepFunctions::StateMachine',
  ) as string;
  const machines = stateMachinesFromTemplate(template.Resources, {
    region: 'us-east-1',
    accountId: '000000000000',
    resolve: (intrinsic) => {
      const getAtt = (intrinsic as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (
        getAtt?.[1] === 'Arn' &&
        template.Resources[getAtt[0]]?.Type === 'AWS::Lambda::Function'
      ) {
        return `arn:aws:lambda:us-east-1:000000000000:function:${getAtt[0]}`;
      }
      throw new Error(`cannot resolve ${JSON.stringify(intrinsic)}`);
    },
  });
  sfn = await startLocalStepFunctions({
    stateMachines: machines,
    invokeLambda: async (arn, payload) => {
      const fn = functionNameFromArn(arn);
      calls.push({ fn, payload });
      return fn.startsWith('UploadFn') ? { uploaded: (payload as { page: string }).page } : null;
    },
  });
  client = new SFNClient({
    endpoint: sfn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await sfn?.stop();
});

describe('Function: stateMachinesFromTemplate', () => {
  it('runs the state machine a CDK template declares, Lambda ARNs resolved from Fn::GetAtt', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: sfn.stateMachineArn(machineId),
        input: JSON.stringify({ pages: ['p1', 'p2', 'p3'] }),
      }),
    );
    const deadline = Date.now() + 5_000;
    let open: { fn: string; payload: unknown } | undefined;
    while (!open && Date.now() < deadline) {
      open = calls.find((call) => call.fn.startsWith('OpenFn'));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!open) throw new Error('the callback task never invoked its function');
    expect(calls.filter((call) => call.fn.startsWith('UploadFn'))).toHaveLength(3);
    expect(open.payload).toMatchObject({
      uploaded: [{ uploaded: 'p1' }, { uploaded: 'p2' }, { uploaded: 'p3' }],
    });
    const { token } = open.payload as { token: string };
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"loaded":3}' }));
    let status = 'RUNNING';
    let output: string | undefined;
    while (status === 'RUNNING' && Date.now() < deadline) {
      ({ status = 'RUNNING', output } = await client.send(
        new DescribeExecutionCommand({ executionArn }),
      ));
    }
    expect(status).toBe('SUCCEEDED');
    expect(JSON.parse(output as string)).toEqual({ loaded: 3 });
  });
});
