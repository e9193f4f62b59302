import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { taskStatusSchema } from '../../backends/backend.js';
import {
  AnnotationRunError,
  InvalidInputError,
  isAnnoflowError,
  StoreError,
} from '../../errors/index.js';
import { annotationsSchema } from '../../merge/contract.js';
import { mergeReportSchema } from '../../merge/report.js';
import { objectKeyOf, validateAnnoKey } from '../../runs/keys.js';
import type { RunRecord } from '../../runs/record.js';
import { runStatusSchema } from '../../runs/status.js';
import { datasetNameSchema } from '../../store/keys.js';
import { TASK_STATUSES } from '../../store/tasks.js';
import { backendForRun, type WorkflowDeps } from '../../workflows/deps.js';
import { executionName, WORKFLOWS, type WorkflowName } from '../../workflows/engine.js';
import { latestLoadSchema, loadReportSchema } from '../../workflows/finalize-load.js';
import { annotateRequestBodySchema } from '../../workflows/inputs.js';
import { latestLoadKey } from '../../workflows/keys.js';
import { taskReportSchema } from '../../workflows/merge-staged-task.js';
import { readJson } from '../../workflows/objects.js';
import {
  backendContext,
  backendTask,
  requireStatus,
  runTasks,
} from '../../workflows/run-context.js';
import { startRunExecution } from '../../workflows/start-execution.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from './deps.js';
import { explainMissingRun, runParams } from './runs.js';

const startedSchema = z.object({
  dataset: z.string(),
  annoKey: z.string(),
  workflow: z.enum(WORKFLOWS),
  executionArn: z.string(),
});

/** The workflow side of the service; the API function gets it from its environment. */
export function workflowsOf(
  deps: ApiDeps,
): WorkflowDeps & { engine: NonNullable<WorkflowDeps['engine']> } {
  const workflows = deps.workflows;
  if (workflows?.engine === undefined) {
    throw new Error('the API was started without its workflows (no state machine ARNs)');
  }
  return { ...workflows, engine: workflows.engine };
}

async function start(
  deps: ApiDeps,
  workflow: WorkflowName,
  run: { dataset: string; annoKey: string },
  input: unknown,
) {
  // Each call is a new start: the steps themselves are idempotent, so two loads are harmless.
  const name = executionName(workflow, [run.dataset, run.annoKey, randomUUID()]);
  const { executionArn } = await startRunExecution(workflowsOf(deps), run, workflow, name, input, {
    by: 'api',
  });
  return { ...run, workflow, executionArn };
}

async function existingRun(deps: ApiDeps, dataset: string, annoKey: string): Promise<RunRecord> {
  try {
    return await deps.store.runs.get(dataset, annoKey);
  } catch (error) {
    return explainMissingRun(deps, dataset, error);
  }
}

export const startAnnotation = defineRoute({
  method: 'POST',
  path: '/datasets/{dataset}/runs',
  operationId: 'startAnnotation',
  summary:
    "Start an annotation run (FiftyOne's `annotate`): AnnotateWorkflow registers the run, uploads its pages to the backend and opens it; answers the execution to follow",
  params: z.object({ dataset: datasetNameSchema }),
  query: z.object({}),
  body: annotateRequestBodySchema,
  response: startedSchema,
  status: 202,
  handle: async (deps: ApiDeps, { params, body }) => {
    const { dataset } = params;
    validateAnnoKey(body.annoKey);
    await deps.store.datasets.get(dataset);
    // Answered here for a fast, clear 409; the workflow's conditional registration is what
    // really guards the key against two concurrent starts.
    const taken = await deps.store.runs.get(dataset, body.annoKey).then(
      () => true,
      (error: unknown) => {
        if (isAnnoflowError(error) && error.code === 'RUN_NOT_FOUND') return false;
        throw error;
      },
    );
    if (taken) {
      throw new AnnotationRunError(
        'RUN_KEY_EXISTS',
        `An annotation run with key '${body.annoKey}' already exists on dataset '${dataset}'`,
        { annoKey: body.annoKey },
      );
    }
    return start(deps, 'annotate', { dataset, annoKey: body.annoKey }, { ...body, dataset });
  },
});

export const startLoad = defineRoute({
  method: 'POST',
  path: '/datasets/{dataset}/runs/{annoKey}/load',
  operationId: 'startLoad',
  summary:
    "Load a run's finished tasks (FiftyOne's `load_annotations`): LoadWorkflow downloads and merges each, writes the report; `cleanup` deletes the tool's tasks after",
  params: runParams,
  query: z.object({}),
  body: z.strictObject({ cleanup: z.boolean().default(false) }).default({ cleanup: false }),
  response: startedSchema,
  status: 202,
  handle: async (deps: ApiDeps, { params, body }) => {
    const run = await existingRun(deps, params.dataset, params.annoKey);
    requireStatus(run, ['annotating', 'loading', 'loaded'], 'load');
    return start(deps, 'load', params, { ...params, cleanup: body.cleanup });
  },
});

export const startCleanup = defineRoute({
  method: 'POST',
  path: '/datasets/{dataset}/runs/{annoKey}/cleanup',
  operationId: 'startCleanup',
  summary:
    "Delete a run's tasks in the backend (FiftyOne's `results.cleanup()`): CleanupWorkflow; merged labels and the run record stay",
  params: runParams,
  query: z.object({}),
  body: null,
  response: startedSchema,
  status: 202,
  handle: async (deps: ApiDeps, { params }) => {
    const run = await existingRun(deps, params.dataset, params.annoKey);
    requireStatus(run, ['annotating', 'loaded', 'failed', 'cleaned'], 'clean up');
    return start(deps, 'cleanup', params, params);
  },
});

export const getRunStatus = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs/{annoKey}/status',
  operationId: 'getRunStatus',
  summary:
    "Where each task of a run stands, in annoflow and in the backend (asked now, FiftyOne's `results.print_status()`)",
  params: runParams,
  query: z.object({}),
  body: null,
  response: z.object({
    annoKey: z.string(),
    status: runStatusSchema,
    tasks: z.array(
      z.object({
        taskId: z.string(),
        backendTaskId: z.string(),
        status: z.enum(TASK_STATUSES),
        samples: z.number().int(),
        backend: taskStatusSchema.nullable(),
      }),
    ),
  }),
  handle: async (deps: ApiDeps, { params }) => {
    const run = await existingRun(deps, params.dataset, params.annoKey);
    const workflows = workflowsOf(deps);
    const tasks = [];
    const backend = run.status === 'cleaned' ? undefined : await backendForRun(workflows, run);
    for await (const page of runTasks(deps.store, run.dataset, run.annoKey)) {
      for (const task of page) {
        const tool =
          backend && task.status !== 'deleted'
            ? await backend.status(backendContext(run), backendTask(task))
            : null;
        tasks.push({
          taskId: task.taskId,
          backendTaskId: task.backendTaskId,
          status: task.status,
          samples: task.sampleIds.length,
          backend: tool,
        });
      }
    }
    return { annoKey: run.annoKey, status: run.status, tasks };
  },
});

async function latestReport(deps: ApiDeps, dataset: string, annoKey: string) {
  const run = await existingRun(deps, dataset, annoKey);
  const neverLoaded = () =>
    new StoreError(
      'REPORT_NOT_FOUND',
      `Annotation run '${annoKey}' has no load report: it was never loaded`,
      {
        annoKey,
      },
    );
  const key = latestLoadKey(dataset, objectKeyOf(run));
  if ((await deps.store.media.stat(key)) === undefined) throw neverLoaded();
  const latest = await readJson(deps.store, key, latestLoadSchema, 'latest load pointer');
  // Deleting a run leaves its objects (as FiftyOne's leaves the tool's data): a load that
  // finished before this run was created belongs to a deleted run that had its key.
  if (Date.parse(latest.finishedAt) < Date.parse(run.createdAt)) throw neverLoaded();
  return readJson(deps.store, latest.reportKey, loadReportSchema, 'load report');
}

export const getLoadReport = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs/{annoKey}/report',
  operationId: 'getLoadReport',
  summary:
    "The run's last load report: per-field counts of labels added, edited, deleted, refused (by reason) and unexpected, and each task's merge",
  params: runParams,
  query: z.object({}),
  body: null,
  response: loadReportSchema,
  handle: async (deps: ApiDeps, { params }) => latestReport(deps, params.dataset, params.annoKey),
});

export const getUnexpectedLabels = defineRoute({
  method: 'GET',
  path: '/datasets/{dataset}/runs/{annoKey}/unexpected',
  operationId: 'getUnexpectedLabels',
  summary:
    "The labels of unexpected types the last load returned instead of merging (`unexpected: 'return'`), per task, with each task's refusals",
  params: runParams,
  query: z.object({}),
  body: null,
  response: z.object({
    loadId: z.string(),
    tasks: z.array(
      z.object({
        taskId: z.string(),
        unexpected: annotationsSchema.nullable(),
        refused: mergeReportSchema.shape.refused,
      }),
    ),
  }),
  handle: async (deps: ApiDeps, { params }) => {
    const report = await latestReport(deps, params.dataset, params.annoKey);
    const tasks = [];
    for (const task of report.tasks) {
      if (task.reportKey === undefined) continue;
      const merged = await readJson(
        deps.store,
        task.reportKey,
        taskReportSchema,
        'task merge report',
      );
      tasks.push({
        taskId: task.taskId,
        unexpected: merged.unexpected,
        refused: merged.report.refused,
      });
    }
    return { loadId: report.loadId, tasks };
  },
});

export const getExecution = defineRoute({
  method: 'GET',
  path: '/executions',
  operationId: 'getExecution',
  summary:
    'A workflow execution started through this API (status, output or error), for clients that wait: `arn` is the executionArn a start answered',
  params: z.object({}),
  query: z.object({ arn: z.string().min(1) }),
  body: null,
  response: z.object({
    executionArn: z.string(),
    status: z.string(),
    startDate: z.string().optional(),
    stopDate: z.string().optional(),
    output: z.unknown().optional(),
    error: z.string().optional(),
    cause: z.string().optional(),
  }),
  handle: async (deps: ApiDeps, { query }) => {
    try {
      return await workflowsOf(deps).engine.describe(query.arn);
    } catch (error) {
      // Step Functions' own answers about the arn, as ours: not a fault of the service.
      const name = error instanceof Error ? error.name : '';
      if (name === 'ExecutionDoesNotExist') {
        throw new AnnotationRunError(
          'EXECUTION_NOT_FOUND',
          `Execution '${query.arn}' does not exist (Step Functions forgets executions 90 days after they close)`,
          { executionArn: query.arn },
        );
      }
      if (name === 'InvalidArn') {
        throw new InvalidInputError(
          `Invalid query string at 'arn': '${query.arn}' is not an execution ARN`,
          {
            executionArn: query.arn,
          },
        );
      }
      throw error;
    }
  },
});
