import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { InvalidInputError, parseInput, StoreError } from '../errors/index.js';
import type { Sample } from '../labels/schemas.js';
import { type Annotations, annotationsSchema, type DuplicateIds } from '../merge/contract.js';
import { duplicateDownloadIds } from '../merge/duplicate-ids.js';
import { mergeAnnotations } from '../merge/merge-annotations.js';
import {
  combineReports,
  emptyReport,
  type MergeReport,
  mergeReportSchema,
} from '../merge/report.js';
import { objectKeyOf } from '../runs/keys.js';
import type { RunRecord } from '../runs/record.js';
import type { LabelSchema } from '../schema/types.js';
import { sha256Hex } from '../store/blob-store.js';
import type { SampleItem } from '../store/samples.js';
import type { TaskRecord } from '../store/tasks.js';
import { withoutDeletedSamples } from './deleted-samples.js';
import { now, type WorkflowDeps } from './deps.js';
import {
  DEFAULT_MERGE_PAGE_SIZE,
  type MergeStagedTaskInput,
  mergeStagedTaskInputSchema,
  parseStepInput,
} from './inputs.js';
import { mergePlanKey, mergePrefix, stagedKey as stagedKeyOf, taskReportKey } from './keys.js';
import { applyPlan, conflictedPlanKey, type MergePlan, readPlan } from './merge-plan.js';
import { putJson, readJson, readText } from './objects.js';
import { assignIdMap, labelSchemaOf, requireStatus, sliceIdMap } from './run-context.js';
import { chunks } from './selection.js';

/** `runs/<dataset>/<objectKey>/merges/<taskId>/<sha>/report.json`: one delivery's merge. */
export const taskReportSchema = z.object({
  taskId: z.string().min(1),
  /** SHA-256 of the staged delivery. */
  revision: z.string().min(1),
  pages: z.number().int().nonnegative(),
  samplesChanged: z.number().int().nonnegative(),
  report: mergeReportSchema,
  /** `unexpected: 'return'`: the labels of unexpected types, or null when there were none. */
  unexpected: annotationsSchema.nullable(),
});
export type TaskReport = z.infer<typeof taskReportSchema>;

export interface MergeCounts {
  readonly added: number;
  readonly edited: number;
  readonly deleted: number;
  readonly refused: number;
  readonly skipped: number;
  readonly unexpected: number;
}

export interface MergedTask extends MergeCounts {
  readonly taskId: string;
  readonly revision: string;
  readonly reportKey: string;
  readonly pages: number;
  readonly samplesChanged: number;
}

/** Totals of a merge report: per-field counts summed over its fields. */
export function countsOf(report: MergeReport): MergeCounts {
  const totals = { added: 0, edited: 0, deleted: 0, refused: 0, skipped: 0, unexpected: 0 };
  for (const field of Object.values(report.fields)) {
    totals.added += field.added;
    totals.edited += field.edited;
    totals.deleted += field.deleted;
    totals.skipped += field.skipped;
    totals.unexpected += field.unexpected;
    for (const count of Object.values(field.refused)) totals.refused += count ?? 0;
  }
  return totals;
}

/**
 * One iteration of the merge Map: merges a staged delivery of one task into the dataset,
 * page by page of the task's samples, with the run's schema (restrictions included),
 * `destField` and `unexpected` policy and the task's id-map slice (SEMANTICS §6). Each
 * changed sample is written with `samples.applyMerge` under a token derived from the run,
 * the task and the delivery's content hash, so no rerun writes a sample twice; each page's
 * decisions and report are saved in S3 before its writes, and the updated id map on the task
 * once, at the end. A sample deleted between planning and writing is not written: its
 * changes are reported skipped (`SAMPLE_NOT_FOUND`) and the rest of the page still lands. The task ends `merged` at that revision with its report beside the pages.
 *
 * Idempotent: a delivery already merged returns its report and writes nothing; a rerun
 * after an abort finishes the same merge.
 *
 * @throws InvalidInputError `INVALID_INPUT` (also a staged key that is not the task's);
 *   StoreError `MEDIA_NOT_FOUND` (nothing staged), `TASK_NOT_FOUND`; VersionConflictError
 *   when a sample changed between planning and writing (retry: the page is planned again);
 *   MergeError
 */
export async function mergeStagedTask(
  deps: WorkflowDeps,
  input: MergeStagedTaskInput,
): Promise<MergedTask> {
  const parsed = parseStepInput(mergeStagedTaskInputSchema, input, 'merge staged task');
  const { dataset, annoKey, taskId, stagedKey } = parsed;
  const { store } = deps;
  const run = await store.runs.get(dataset, annoKey);
  if (stagedKey !== stagedKeyOf(dataset, objectKeyOf(run), taskId)) {
    throw new InvalidInputError(
      `Invalid merge staged task at 'stagedKey': '${stagedKey}' is not the staged delivery of task '${taskId}'`,
      { stagedKey, taskId },
    );
  }
  requireStatus(run, ['loading', 'annotating', 'loaded'], 'merge a task of');
  const text = await readText(store, stagedKey);
  if (text === undefined) {
    throw new StoreError(
      'MEDIA_NOT_FOUND',
      `Nothing staged for task '${taskId}' at '${stagedKey}'`,
      {
        key: stagedKey,
      },
    );
  }
  const revision = sha256Hex(text);
  const annotations = parseInput(annotationsSchema, JSON.parse(text), 'staged annotations');
  const task = await store.tasks.get(dataset, annoKey, taskId);
  const prefix = mergePrefix(dataset, objectKeyOf(run), taskId, revision);
  const reportKey = taskReportKey(prefix);

  if (task.mergedRevision === revision) {
    // The report is where the merge wrote it: a run renamed before object keys existed
    // now builds another prefix.
    const mergedKey = task.mergedReportKey ?? reportKey;
    const done = await readJson(store, mergedKey, taskReportSchema, 'task merge report');
    return summary(done, mergedKey);
  }

  const token = `merge-${sha256Hex([dataset, run.createdAt, taskId, revision].join('\n')).slice(0, 40)}`;
  const labelSchema = labelSchemaOf(run);
  const pageSize = deps.mergePageSize ?? DEFAULT_MERGE_PAGE_SIZE;
  let report = emptyReport();
  let unexpected: Annotations | null = null;
  let samplesChanged = 0;
  const pages = chunks(task.sampleIds, pageSize);
  // A copy pasted onto a sample of another page counts as a copy there too (SEMANTICS §6.2).
  const duplicateIds = duplicateDownloadIds(annotations);
  let idMap = task.idMap;
  for (const [index, sampleIds] of pages.entries()) {
    const planKey = mergePlanKey(prefix, index);
    const saved = await readPlan(deps, planKey);
    const { plan, read } = saved
      ? { plan: saved, read: undefined }
      : await makePlan(deps, {
          run,
          task,
          labelSchema,
          annotations,
          duplicateIds,
          sampleIds,
          index,
          planKey,
          token,
        });
    const gone = await applyPlan(deps, run, { plan, token, planKey, read });
    // Not kept in the plan: a rerun finds the same samples gone and derives the same page.
    const applied = withoutDeletedSamples(plan, gone);
    // Pages hold disjoint samples, so no page's plan reads another's id-map update; kept in
    // memory and written once with the task below (a task record is up to ~400 KB, and each
    // write of it is billed twice, table and gsi1). A rerun re-reads the plans from S3.
    idMap = assignIdMap(idMap, applied.idMap);
    report = combineReports(report, applied.report);
    unexpected = mergeUnexpected(unexpected, plan.unexpected);
    samplesChanged += plan.writes.length - gone.size;
  }

  const done: TaskReport = {
    taskId,
    revision,
    pages: pages.length,
    samplesChanged,
    report,
    unexpected,
  };
  await putJson(store, reportKey, done);
  await store.tasks.recordMerge(task, {
    idMap,
    mergedRevision: revision,
    mergedReportKey: reportKey,
    updatedAt: now(deps).toISOString(),
  });
  return summary(done, reportKey);
}

function summary(done: TaskReport, reportKey: string): MergedTask {
  return {
    taskId: done.taskId,
    revision: done.revision,
    reportKey,
    pages: done.pages,
    samplesChanged: done.samplesChanged,
    ...countsOf(done.report),
  };
}

/**
 * Reads the page's samples, merges, and writes the decisions down before applying them.
 * Returns the items the samples were read from too, so their writes need no read of their own.
 */
async function makePlan(
  deps: WorkflowDeps,
  part: {
    run: RunRecord;
    task: TaskRecord;
    labelSchema: LabelSchema;
    annotations: Annotations;
    duplicateIds: DuplicateIds;
    sampleIds: string[];
    index: number;
    planKey: string;
    token: string;
  },
): Promise<{ plan: MergePlan; read: ReadonlyMap<string, SampleItem> }> {
  const { store } = deps;
  const { run, task } = part;
  const dataset = await store.datasets.get(run.dataset);
  // A sample deleted since the run was annotated is absent: the merge reports its labels
  // as skipped.
  const stored = await store.samples.findManyForMerge(run.dataset, part.sampleIds);
  const present = stored.filter((each) => each !== undefined);
  // A sample an earlier, conflicted attempt of this page already wrote is merged again from
  // its state before that write, so it yields the same decisions (its write then skips).
  // Only then is there a conflicted plan to read: no extra request on the common path.
  const rewritten = present.some((each) => each.item.appliedMerges?.has(part.token) === true);
  const conflicted = rewritten ? await readPlan(deps, conflictedPlanKey(part.planKey)) : undefined;
  const samples = present.map((each) => {
    const earlier = conflicted?.writes.find((write) => write.sampleId === each.sample.id);
    if (!earlier?.before || !each.item.appliedMerges?.has(part.token)) return each.sample;
    const restored: Record<string, unknown> = { ...each.sample };
    for (const name of Object.keys(earlier.fields)) {
      if (Object.hasOwn(earlier.before, name)) restored[name] = earlier.before[name];
      else delete restored[name];
    }
    return restored as Sample;
  });
  const result = mergeAnnotations({
    dataset: dataset.schema,
    samples,
    labelSchema: part.labelSchema,
    idMap: sliceIdMap(task.idMap, part.sampleIds),
    annotations: sliceAnnotations(part.annotations, part.sampleIds),
    ...(run.config.destField ? { destField: run.config.destField } : {}),
    unexpected: run.config.unexpected ?? 'return',
    ...(run.config.schemaless === true ? { schemaless: true } : {}),
    ...(Object.keys(part.duplicateIds).length > 0 ? { duplicateIds: part.duplicateIds } : {}),
  });
  const writes: MergePlan['writes'] = [];
  const read = new Map<string, SampleItem>();
  for (const [position, merged] of result.samples.entries()) {
    const before = present[position];
    const original = samples[position];
    if (before === undefined || original === undefined || merged === original) continue;
    const fields = changedFields(original, merged);
    if (Object.keys(fields).length > 0) {
      const { generation } = before.item;
      writes.push({
        sampleId: merged.id,
        version: before.version,
        ...(generation === undefined ? {} : { generation }),
        fields,
        before: Object.fromEntries(
          Object.keys(fields)
            .filter((name) => Object.hasOwn(original, name))
            .map((name) => [name, original[name]]),
        ),
      });
      read.set(merged.id, before.item);
    }
  }
  const plan: MergePlan = {
    page: part.index,
    writes,
    idMap: result.idMap,
    dataset: result.dataset,
    report: result.report,
    unexpected: result.unexpected,
  };
  await putJson(store, part.planKey, plan);
  return { plan, read };
}

function changedFields(before: Sample, after: Sample): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(after)) {
    if (name === 'id') continue;
    if (!isDeepStrictEqual(before[name], value)) fields[name] = value;
  }
  return fields;
}

/** The annotations of these samples only (every return type is keyed by sample id). */
function sliceAnnotations(annotations: Annotations, sampleIds: readonly string[]): Annotations {
  const out: Annotations = {};
  for (const [field, byType] of Object.entries(annotations)) {
    const slice: Annotations[string] = {};
    for (const [returnType, bySample] of Object.entries(byType)) {
      if (bySample === undefined) continue;
      const kept: Record<string, unknown> = {};
      for (const id of sampleIds) if (Object.hasOwn(bySample, id)) kept[id] = bySample[id];
      slice[returnType as keyof typeof slice] = kept;
    }
    out[field] = slice;
  }
  return out;
}

function mergeUnexpected(into: Annotations | null, page: Annotations | null): Annotations | null {
  if (page === null) return into;
  const out: Annotations = { ...(into ?? {}) };
  for (const [field, byType] of Object.entries(page)) {
    const target = { ...(out[field] ?? {}) };
    for (const [returnType, bySample] of Object.entries(byType)) {
      const key = returnType as keyof typeof target;
      target[key] = { ...(target[key] ?? {}), ...(bySample ?? {}) };
    }
    out[field] = target;
  }
  return out;
}
