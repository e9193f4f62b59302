import { Arn, ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SERVICE_ENV } from '../lib/config/service-env.js';
import type { WorkflowName } from '../lib/workflows/engine.js';
import { TRANSIENT_ERROR } from '../lib/workflows/steps.js';
import { acknowledgeWildcardResource } from './nag.js';

export interface WorkflowsProps {
  readonly functions: Readonly<Record<WorkflowName, IFunction>>;
  /** Pages uploaded at once (each a Lambda and a tool's API calls). @default 10 */
  readonly uploadConcurrency?: number;
  /** Tasks downloaded and merged at once. @default 10 */
  readonly loadConcurrency?: number;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export const WORKFLOW_DEFAULTS = { uploadConcurrency: 10, loadConcurrency: 10 } as const;

/** A state machine's name in this stack: fixed, so functions can know its ARN without a reference cycle. */
export function workflowStateMachineName(stack: Stack, workflow: WorkflowName): string {
  const title = `${workflow[0]?.toUpperCase() ?? ''}${workflow.slice(1)}`;
  return `${stack.stackName}-${title}Workflow`;
}

/**
 * A state machine's ARN built from its name, not a `Ref`: the annotate function both runs in
 * `AnnotateWorkflow` and wakes it, and a Ref would make the stack's dependencies circular.
 */
export function workflowArn(stack: Stack, workflow: WorkflowName): string {
  return Arn.format(
    {
      service: 'states',
      resource: 'stateMachine',
      resourceName: workflowStateMachineName(stack, workflow),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    },
    stack,
  );
}

/** The env entries that let a function start and wake the workflows. */
export function workflowEnvironment(stack: Stack): Record<string, string> {
  return {
    [SERVICE_ENV.ANNOTATE_WORKFLOW_ARN]: workflowArn(stack, 'annotate'),
    [SERVICE_ENV.LOAD_WORKFLOW_ARN]: workflowArn(stack, 'load'),
    [SERVICE_ENV.CLEANUP_WORKFLOW_ARN]: workflowArn(stack, 'cleanup'),
  };
}

/**
 * ARCHITECTURE's flow as three Standard state machines: JSONPath only, states named
 * "Verb Noun", every payload ids and S3 keys (pages by index), every Lambda task retried on
 * transient errors with backoff (`Annoflow.Transient` is what a step throws for those).
 *
 * - AnnotateWorkflow: Prepare Annotate → Map(Upload Page) → Open Run → [Await Annotations];
 *   a failed upload or open goes to Fail Annotate, which cleans tool-side tasks and marks
 *   the run failed with the reason.
 * - LoadWorkflow: Plan Load → Map(Download Task → Merge Task) → Finalize Load.
 * - CleanupWorkflow: Clean Up Run.
 */
export class AnnotationWorkflows extends Construct {
  readonly stateMachines: Readonly<Record<WorkflowName, StateMachine>>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { functions } = props;

    const step = (
      stateId: string,
      workflow: WorkflowName,
      name: string,
      input: Record<string, unknown> | TaskInput,
      options: { resultPath?: string; waitForToken?: boolean } = {},
    ): LambdaInvoke => {
      const payload =
        input instanceof TaskInput ? input : TaskInput.fromObject({ step: name, input });
      const task = new LambdaInvoke(this, stateId, {
        lambdaFunction: functions[workflow],
        payload,
        ...(options.waitForToken
          ? { integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN }
          : { payloadResponseOnly: true }),
        retryOnServiceExceptions: true,
        resultPath: options.resultPath ?? JsonPath.DISCARD,
      });
      // Lambda throttling passes; so does what a step reports as transient (throttled SDK
      // calls, lost version races, a tool briefly down). The waiting task only registers its
      // token, so it retries Lambda's own faults only.
      task.addRetry({
        errors: options.waitForToken
          ? ['Lambda.TooManyRequestsException']
          : ['Lambda.TooManyRequestsException', TRANSIENT_ERROR],
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 5,
      });
      return task;
    };
    const runRef = { 'dataset.$': '$.dataset', 'annoKey.$': '$.annoKey' };

    // AnnotateWorkflow
    const failAnnotate = step(
      'Fail Annotate',
      'annotate',
      'failAnnotate',
      { ...runRef, 'error.$': '$.error' },
      {},
    ).next(
      new Fail(this, 'Annotate Failed', { error: 'AnnotateFailed', causePath: '$.error.Cause' }),
    );
    const prepare = step(
      'Prepare Annotate',
      'annotate',
      'prepareAnnotate',
      TaskInput.fromObject({ step: 'prepareAnnotate', input: JsonPath.entirePayload }),
      {
        resultPath: '$.prepared',
      },
    );
    // Before the run is registered the key may be another run's: nothing to compensate.
    prepare.addCatch(
      new Fail(this, 'Reject Request', { error: 'AnnotateRejected', causePath: '$.error.Cause' }),
      { resultPath: '$.error' },
    );
    const uploadPages = new MapState(this, 'Upload Pages', {
      itemsPath: '$.prepared.pages',
      itemSelector: { ...runRef, 'page.$': '$$.Map.Item.Value' },
      maxConcurrency: props.uploadConcurrency ?? WORKFLOW_DEFAULTS.uploadConcurrency,
      resultPath: JsonPath.DISCARD,
    });
    uploadPages.itemProcessor(
      step(
        'Upload Page',
        'annotate',
        'uploadPage',
        TaskInput.fromObject({ step: 'uploadPage', input: JsonPath.entirePayload }),
      ),
    );
    uploadPages.addCatch(failAnnotate, { resultPath: '$.error' });
    const openRun = step('Open Run', 'annotate', 'openRun', runRef, { resultPath: '$.opened' });
    openRun.addCatch(failAnnotate, { resultPath: '$.error' });
    const annotated = new Succeed(this, 'Annotate Done');
    const awaitAnnotations = step(
      'Await Annotations',
      'annotate',
      'awaitCompletion',
      { ...runRef, taskToken: JsonPath.taskToken },
      { resultPath: '$.completion', waitForToken: true },
    );
    const annotate = prepare
      .next(uploadPages)
      .next(openRun)
      .next(
        new Choice(this, 'Check Wait')
          .when(
            Condition.and(
              Condition.isPresent('$.waitForCompletion'),
              Condition.booleanEquals('$.waitForCompletion', true),
            ),
            awaitAnnotations.next(new Succeed(this, 'Annotations Finished')),
          )
          .otherwise(annotated),
      );

    // LoadWorkflow
    const plan = step(
      'Plan Load',
      'load',
      'planLoad',
      TaskInput.fromObject({ step: 'planLoad', input: JsonPath.entirePayload }),
      {
        resultPath: '$.plan',
      },
    );
    const loadTasks = new MapState(this, 'Load Tasks', {
      itemsPath: '$.plan.taskIds',
      itemSelector: { ...runRef, 'taskId.$': '$$.Map.Item.Value' },
      maxConcurrency: props.loadConcurrency ?? WORKFLOW_DEFAULTS.loadConcurrency,
      resultPath: JsonPath.DISCARD,
    });
    loadTasks.itemProcessor(
      step(
        'Download Task',
        'load',
        'downloadTask',
        { ...runRef, 'taskId.$': '$.taskId' },
        { resultPath: '$.staged' },
      ).next(
        step('Merge Task', 'load', 'mergeStagedTask', {
          ...runRef,
          'taskId.$': '$.taskId',
          'stagedKey.$': '$.staged.stagedKey',
        }),
      ),
    );
    const finalize = step(
      'Finalize Load',
      'load',
      'finalizeLoad',
      {
        ...runRef,
        'loadId.$': '$.plan.loadId',
        'taskIds.$': '$.plan.taskIds',
        'cleanup.$': '$.plan.cleanup',
      },
      { resultPath: '$.load' },
    );
    const load = plan.next(loadTasks).next(finalize);

    // CleanupWorkflow
    const cleanup = step('Clean Up Run', 'cleanup', 'cleanupRun', runRef, {
      resultPath: '$.cleanup',
    });

    const machine = (
      workflow: WorkflowName,
      definition: Parameters<typeof DefinitionBody.fromChainable>[0],
    ) => {
      const logs = new LogGroup(this, `${workflow}Logs`, {
        retention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      const title = `${workflow[0]?.toUpperCase() ?? ''}${workflow.slice(1)}`;
      const stateMachine = new StateMachine(this, `${title}Workflow`, {
        stateMachineName: workflowStateMachineName(stack, workflow),
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromChainable(definition),
        tracingEnabled: true,
        // Payloads are ids and keys, but execution data stays out of logs all the same.
        logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      });
      acknowledgeWildcardResource(
        stateMachine.role,
        '*',
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (CreateLogDelivery, …) accept no narrower resource; CDK adds them for tracing and logging.',
      );
      acknowledgeWildcardResource(
        stateMachine.role,
        `${functions[workflow].functionArn}:*`,
        "Versions and aliases of this workflow's own function (lambda:InvokeFunction); CDK's LambdaInvoke grants both forms of its ARN.",
      );
      return stateMachine;
    };
    this.stateMachines = {
      annotate: machine('annotate', annotate),
      load: machine('load', load),
      cleanup: machine('cleanup', cleanup),
    };
  }
}
