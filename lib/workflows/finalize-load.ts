import { z } from 'zod';
import {
  combineReports,
  emptyReport,
  type MergeReport,
  mergeReportSchema,
} from '../merge/report.js';
import { objectKeyOf } from '../runs/keys.js';
import { type RunCounters, type RunRecord, ZERO_COUNTERS } from '../runs/record.js';
import type { RunStatus } from '../runs/status.js';
import type { TaskRecord } from '../store/tasks.js';
import { cleanupTasks } from './cleanup-run.js';
import { backendForRun, now, type WorkflowDeps } from './deps.js';
import { type FinalizeLoadInput, finalizeLoadInputSchema, parseStepInput } from './inputs.js';
import { latestLoadKey, loadReportKey, mergePrefix, taskReportKey } from './keys.js';
import { countsOf, type MergeCounts, taskReportSchema } from './merge-staged-task.js';
import { putJson, readJson } from './objects.js';
import { requireStatus, runTasks } from './run-context.js';

const countsSchema = z.object({
  added: z.number().int(),
  edited: z.number().int(),
  deleted: z.number().int(),
  refused: z.number().int(),
  skipped: z.number().int(),
  unexpected: z.number().int(),
});

/**
 * `runs/<dataset>/<objectKey>/reports/<loadId>.json`: what one load did, per field and per
 * task. The label-by-label lists (changes, refusals with reasons, unexpected labels) stay in
 * each task's report, which `tasks[].reportKey` points to, so this report stays small
 * whatever the run's size.
 */
export const loadReportSchema = z.object({
  loadId: z.string().min(1),
  dataset: z.string().min(1),
  annoKey: z.string().min(1),
  finishedAt: z.iso.datetime(),
  totals: countsSchema,
  fields: mergeReportSchema.shape.fields,
  tasks: z.array(
    z.object({
      taskId: z.string().min(1),
      merged: z.boolean(),
      revision: z.string().optional(),
      reportKey: z.string().optional(),
      counts: countsSchema.optional(),
    }),
  ),
});
export type LoadReport = z.infer<typeof loadReportSchema>;

export const latestLoadSchema = z.object({
  loadId: z.string().min(1),
  reportKey: z.string().min(1),
  finishedAt: z.iso.datetime(),
});

export interface FinalizedLoad {
  readonly reportKey: string;
  readonly status: RunStatus;
  readonly counters: RunCounters;
  readonly totals: MergeCounts;
}

function withoutLists(report: MergeReport): MergeReport {
  return { ...emptyReport(), fields: report.fields };
}

/** Merged, or merged and since deleted in the tool (a cleanup): its labels landed. */
function isMerged(task: TaskRecord): boolean {
  return (
    task.mergedRevision !== undefined && (task.status === 'merged' || task.status === 'deleted')
  );
}

async function taskReport(deps: WorkflowDeps, run: RunRecord, task: TaskRecord) {
  if (task.mergedRevision === undefined) return undefined;
  const key =
    task.mergedReportKey ??
    taskReportKey(mergePrefix(task.dataset, objectKeyOf(run), task.taskId, task.mergedRevision));
  const report = await readJson(deps.store, key, taskReportSchema, 'task merge report');
  return { key, report };
}

/**
 * `LoadWorkflow`'s last step: aggregates the merged tasks' reports (`combineReports`, counts
 * only) into the load's report, recomputes the run's counters from its tasks (labels: what
 * the latest merged delivery of each task changed; so a rerun counts nothing twice), and
 * moves the run from `loading` to `loaded`, or back to `annotating` while any task is not
 * merged. With `cleanup`, a fully loaded run's tool-side tasks are deleted and the run ends
 * `cleaned` (its record and labels stay). Idempotent.
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_RUN_TRANSITION`; StoreError
 *   `TASK_NOT_FOUND`
 */
export async function finalizeLoad(
  deps: WorkflowDeps,
  input: FinalizeLoadInput,
): Promise<FinalizedLoad> {
  const parsed = parseStepInput(finalizeLoadInputSchema, input, 'finalize load');
  const { dataset, annoKey, loadId, taskIds } = parsed;
  const { store } = deps;
  let run = await store.runs.get(dataset, annoKey);
  requireStatus(run, ['loading', 'annotating', 'loaded', 'cleaned'], 'finalize a load of');

  let combined = emptyReport();
  const tasks: LoadReport['tasks'] = [];
  for (const taskId of taskIds) {
    const task = await store.tasks.get(dataset, annoKey, taskId);
    const found = await taskReport(deps, run, task);
    if (found === undefined || !isMerged(task)) {
      tasks.push({ taskId, merged: false });
      continue;
    }
    combined = combineReports(combined, withoutLists(found.report.report));
    tasks.push({
      taskId,
      merged: true,
      revision: found.report.revision,
      reportKey: found.key,
      counts: countsOf(found.report.report),
    });
  }
  const totals = countsOf(combined);
  const reportKey = loadReportKey(dataset, objectKeyOf(run), loadId);
  const report: LoadReport = {
    loadId,
    dataset,
    annoKey,
    finishedAt: now(deps).toISOString(),
    totals,
    fields: combined.fields,
    tasks,
  };
  await putJson(store, reportKey, report);
  await putJson(store, latestLoadKey(dataset, objectKeyOf(run)), {
    loadId,
    reportKey,
    finishedAt: report.finishedAt,
  } satisfies z.infer<typeof latestLoadSchema>);
  if (run.status === 'cleaned')
    return { reportKey, status: run.status, counters: run.counters, totals };

  const counters: RunCounters = { ...ZERO_COUNTERS };
  let unmerged = 0;
  for await (const page of runTasks(store, dataset, annoKey)) {
    for (const task of page) {
      counters.tasks += 1;
      if (task.status === 'completed' || isMerged(task)) counters.tasksCompleted += 1;
      if (!isMerged(task)) {
        if (task.status !== 'deleted') unmerged += 1;
        continue;
      }
      const found = await taskReport(deps, run, task);
      if (found === undefined) continue;
      const counts = countsOf(found.report.report);
      counters.labelsAdded += counts.added;
      counters.labelsEdited += counts.edited;
      counters.labelsDeleted += counts.deleted;
      counters.labelsRefused += counts.refused;
      counters.unexpected += counts.unexpected;
    }
  }

  const at = now(deps);
  const target: RunStatus = unmerged > 0 ? 'annotating' : 'loaded';
  run = await store.runs.setCounters(run, counters, at);
  if (run.status !== target && run.status !== 'loading') {
    run = await store.runs.transition(run, 'loading', undefined, at);
  }
  run = await store.runs.transition(run, target, undefined, at);
  if (parsed.cleanup && target === 'loaded') {
    const backend = await backendForRun(deps, run);
    await cleanupTasks(deps, run, backend);
    run = await store.runs.transition(run, 'cleaned', undefined, now(deps));
  }
  return { reportKey, status: run.status, counters: run.counters, totals };
}
