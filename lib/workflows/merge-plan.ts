import { z } from 'zod';
import { isAnnoflowError, parseInput, VersionConflictError } from '../errors/index.js';
import { annotationsSchema, idMapSchema } from '../merge/contract.js';
import { mergeReportSchema } from '../merge/report.js';
import type { RunRecord } from '../runs/record.js';
import { datasetSchemaSchema } from '../schema/types.js';
import type { SampleItem } from '../store/samples.js';
import type { WorkflowDeps } from './deps.js';
import { readText } from './objects.js';
import { chunks } from './selection.js';

/**
 * What one page of a task's merge decided, written before any sample is: a rerun after an
 * abort applies the same decisions (samples already written skip by their merge token)
 * instead of re-merging into half-merged samples, so it ends exactly as one clean merge.
 */
export const mergePlanSchema = z.object({
  page: z.number().int().nonnegative(),
  writes: z.array(
    z.object({
      sampleId: z.string().min(1),
      version: z.number().int().nonnegative(),
      /** The sample item's generation when planned; absent in plans made before it existed. */
      generation: z.string().optional(),
      fields: z.record(z.string(), z.unknown()),
      /** The changed fields' values before the merge (a field absent here was absent). */
      before: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
  idMap: idMapSchema,
  dataset: datasetSchemaSchema,
  report: mergeReportSchema,
  unexpected: annotationsSchema.nullable(),
});
export type MergePlan = z.infer<typeof mergePlanSchema>;

export async function readPlan(deps: WorkflowDeps, key: string): Promise<MergePlan | undefined> {
  const text = await readText(deps.store, key);
  if (text === undefined) return undefined;
  return parseInput(mergePlanSchema, JSON.parse(text), 'merge plan');
}

/** Where a page's plan is kept when a VERSION_CONFLICT drops it. */
export function conflictedPlanKey(planKey: string): string {
  return planKey.replace(/\.json$/, '.conflicted.json');
}

/** Sample writes in flight at once while a plan is applied. */
const WRITE_CONCURRENCY = 16;

/**
 * Applies a page's decisions: fields the merge created join the dataset schema, then each
 * changed sample is written at most once per token. A sample changed by someone else since
 * the plan was made, or replaced by a whole write (even back at the planned version: each
 * whole write has its own generation), invalidates the plan: it is deleted, so the retry
 * plans afresh. A sample deleted since does not: nothing planned can land on it, whenever
 * the retry comes, so it is left out and returned; the plan stays valid for the others.
 *
 * `read` holds the items a plan made in this invocation read its samples from; a plan from
 * S3 (a rerun) has none, and each write reads its sample first.
 */
export async function applyPlan(
  deps: WorkflowDeps,
  run: RunRecord,
  page: {
    plan: MergePlan;
    token: string;
    planKey: string;
    read: ReadonlyMap<string, SampleItem> | undefined;
  },
): Promise<Set<string>> {
  const { store } = deps;
  const { plan, token, read } = page;
  await addFields(deps, run.dataset, plan.dataset);
  const gone = new Set<string>();
  try {
    // Writes touch distinct samples, so a few go at once; each is conditional and tokened.
    for (const group of chunks(plan.writes, WRITE_CONCURRENCY)) {
      await Promise.all(
        group.map(async (write) => {
          try {
            await store.samples.applyMerge(
              run.dataset,
              write.sampleId,
              write.fields,
              token,
              write.version,
              read?.get(write.sampleId),
              write.generation,
            );
          } catch (error) {
            if (!isAnnoflowError(error) || error.code !== 'SAMPLE_NOT_FOUND') throw error;
            gone.add(write.sampleId);
          }
        }),
      );
    }
  } catch (error) {
    if (error instanceof VersionConflictError) {
      // Writes of this page may have landed: the re-plan derives their decisions again from
      // the samples as they were before (see conflictedPlanKey), not from their merged state.
      await store.media.put(
        conflictedPlanKey(page.planKey),
        JSON.stringify(plan),
        'application/json',
      );
      await store.media.delete(page.planKey);
    }
    throw error;
  }
  if (gone.size > 0) {
    deps.log?.({
      level: 'warn',
      message: 'samples deleted during merge',
      dataset: run.dataset,
      annoKey: run.annoKey,
      page: plan.page,
      sampleIds: [...gone],
    });
  }
  return gone;
}

/** Records fields the merge created in the dataset schema (a no-op when none is new). */
async function addFields(
  deps: WorkflowDeps,
  name: string,
  schema: MergePlan['dataset'],
): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const current = await deps.store.datasets.get(name);
    try {
      await deps.store.datasets.updateSchema(name, schema, current.version);
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 2) throw error;
    }
  }
}
