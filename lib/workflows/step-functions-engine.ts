import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { SERVICE_ENV } from '../config/service-env.js';
import { InvalidInputError, parseInput } from '../errors/index.js';
import type { ExecutionView, WorkflowEngine, WorkflowName } from './engine.js';

export type WorkflowArns = Readonly<Record<WorkflowName, string>>;

const arn = z.string().regex(/^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]+$/, {
  error: 'must be a state machine ARN',
});
const workflowEnvSchema = z.object({
  [SERVICE_ENV.ANNOTATE_WORKFLOW_ARN]: arn,
  [SERVICE_ENV.LOAD_WORKFLOW_ARN]: arn,
  [SERVICE_ENV.CLEANUP_WORKFLOW_ARN]: arn,
});

/**
 * The state machines' ARNs from the environment the CDK sets.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming a missing or malformed variable.
 */
export function workflowArnsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkflowArns {
  const parsed = parseInput(workflowEnvSchema, env, 'workflow environment');
  return {
    annotate: parsed[SERVICE_ENV.ANNOTATE_WORKFLOW_ARN],
    load: parsed[SERVICE_ENV.LOAD_WORKFLOW_ARN],
    cleanup: parsed[SERVICE_ENV.CLEANUP_WORKFLOW_ARN],
  };
}

let shared: { key: string; client: SFNClient } | undefined;

/** One client per process and endpoint (`AWS_ENDPOINT_URL_SFN` points it at the local engine). */
export function sharedStepFunctionsClient(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SFNClient {
  const region = env.AWS_REGION || 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL_SFN || undefined;
  const key = `${region}|${endpoint ?? ''}`;
  if (shared?.key !== key) {
    shared?.client.destroy();
    shared = { key, client: new SFNClient({ region, ...(endpoint ? { endpoint } : {}) }) };
  }
  return shared.client;
}

function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The workflow engine on Step Functions (AWS, or the local engine behind the same API). */
export function stepFunctionsEngine(client: SFNClient, arns: WorkflowArns): WorkflowEngine {
  const ours = (executionArn: string) =>
    Object.values(arns).some((machine) => executionArn.startsWith(executionArnOf(machine, '')));
  return {
    async start(workflow, name, input) {
      const stateMachineArn = arns[workflow];
      try {
        const output = await client.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return {
          executionArn: output.executionArn ?? executionArnOf(stateMachineArn, name),
          started: true,
          ...(output.startDate ? { startDate: output.startDate.toISOString() } : {}),
        };
      } catch (error) {
        // A closed execution of that name (or a running one with other input) exists: the
        // work this name stands for was started already.
        if (error instanceof ExecutionAlreadyExists) {
          return { executionArn: executionArnOf(stateMachineArn, name), started: false };
        }
        throw error;
      }
    },
    executionArnOf: async (workflow, name) => executionArnOf(arns[workflow], name),
    async sendTaskSuccess(taskToken, output) {
      try {
        await client.send(
          new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }),
        );
        return true;
      } catch (error) {
        if (
          error instanceof TaskDoesNotExist ||
          error instanceof TaskTimedOut ||
          error instanceof InvalidToken
        ) {
          return false;
        }
        throw error;
      }
    },
    async describe(executionArn) {
      if (!ours(executionArn)) {
        throw new InvalidInputError(
          `Invalid execution at 'executionArn': '${executionArn}' is not an execution of annoflow's workflows`,
          { executionArn },
        );
      }
      const output = await client.send(new DescribeExecutionCommand({ executionArn }));
      const view: ExecutionView = {
        executionArn,
        status: output.status ?? 'RUNNING',
        ...(output.startDate ? { startDate: output.startDate.toISOString() } : {}),
        ...(output.stopDate ? { stopDate: output.stopDate.toISOString() } : {}),
        ...(output.output !== undefined ? { output: JSON.parse(output.output) as unknown } : {}),
        ...(output.error !== undefined ? { error: output.error } : {}),
        ...(output.cause !== undefined ? { cause: output.cause } : {}),
      };
      return view;
    },
  };
}
