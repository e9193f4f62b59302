import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll } from 'vitest';
import {
  functionNameFromArn,
  type LocalStepFunctions,
  startLocalStepFunctions,
} from '../../lib/local/step-functions.js';
import type { WorkflowEngine, WorkflowName } from '../../lib/workflows/engine.js';
import { stepFunctionsEngine } from '../../lib/workflows/step-functions-engine.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const AWAIT_FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:Await`;

/**
 * Stand-ins for the three workflows on the local Step Functions engine, reached through the
 * real SDK client: `load` and `cleanup` only record their executions (a Pass state), and
 * `annotate` parks on a task token as `Await Annotations` does, handing the token to the test.
 */
export interface LocalWorkflows {
  readonly engine: WorkflowEngine;
  /** The tokens the annotate stand-in has handed out, in order. */
  readonly tokens: string[];
  executions(workflow: WorkflowName): Promise<Array<{ name: string; status: string }>>;
  settled(): Promise<void>;
}

export function useLocalWorkflows(): LocalWorkflows {
  let sfn: LocalStepFunctions | undefined;
  let client: SFNClient | undefined;
  let engine: WorkflowEngine | undefined;
  const tokens: string[] = [];
  const arns = {} as Record<WorkflowName, string>;

  beforeAll(async () => {
    const pass = {
      StartAt: 'Record Start',
      States: { 'Record Start': { Type: 'Pass', End: true } },
    };
    sfn = await startLocalStepFunctions({
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: [
        { name: 'load', definition: pass },
        { name: 'cleanup', definition: pass },
        {
          name: 'annotate',
          definition: {
            StartAt: 'Await Annotations',
            States: {
              'Await Annotations': {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
                Parameters: {
                  FunctionName: AWAIT_FUNCTION,
                  Payload: { 'taskToken.$': '$$.Task.Token' },
                },
                End: true,
              },
            },
          },
        },
      ],
      invokeLambda: async (arn, payload) => {
        if (functionNameFromArn(arn) !== 'Await') throw new Error(`unexpected function ${arn}`);
        tokens.push((payload as { taskToken: string }).taskToken);
        return null;
      },
    });
    client = new SFNClient({
      region: REGION,
      endpoint: sfn.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    for (const workflow of ['annotate', 'load', 'cleanup'] as const) {
      arns[workflow] = sfn.stateMachineArn(workflow);
    }
    engine = stepFunctionsEngine(client, arns);
  });
  afterAll(async () => {
    client?.destroy();
    await sfn?.stop();
  });

  return {
    get engine() {
      if (!engine) throw new Error('useLocalWorkflows: use inside tests');
      return engine;
    },
    tokens,
    async executions(workflow) {
      const output = await (client as SFNClient).send(
        new ListExecutionsCommand({ stateMachineArn: arns[workflow] }),
      );
      return (output.executions ?? []).map((execution) => ({
        name: execution.name ?? '',
        status: execution.status ?? '',
      }));
    },
    settled: () => (sfn as LocalStepFunctions).settled(),
  };
}
