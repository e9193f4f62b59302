import type { BackendContext, BackendTask } from '../backends/backend.js';
import { AnnotationRunError, parseInput } from '../errors/index.js';
import type { IdMap } from '../merge/contract.js';
import { objectKeyOf } from '../runs/keys.js';
import type { RunRecord } from '../runs/record.js';
import type { RunStatus } from '../runs/status.js';
import { type LabelSchema, labelSchemaSchema } from '../schema/types.js';
import type { Store } from '../store/store.js';
import type { TaskRecord } from '../store/tasks.js';

/** The run's built label schema, as stored on its record. */
export function labelSchemaOf(run: RunRecord): LabelSchema {
  return parseInput(labelSchemaSchema, run.config.labelSchema, 'run label schema');
}

/** What a backend is told about the run on every call. */
export function backendContext(run: RunRecord): BackendContext {
  return {
    run: {
      dataset: run.dataset,
      annoKey: run.annoKey,
      objectKey: objectKeyOf(run),
      labelSchema: labelSchemaOf(run),
      createdAt: run.createdAt,
      ...(run.config.schemaless === true ? { schemaless: true } : {}),
    },
  };
}

export function backendTask(task: TaskRecord): BackendTask {
  return {
    taskId: task.taskId,
    backendTaskId: task.backendTaskId,
    sampleIds: task.sampleIds,
    ...(task.backendData ? { backendData: task.backendData } : {}),
  };
}

/**
 * @throws AnnotationRunError `INVALID_RUN_TRANSITION` when the run is not in a status where
 *   `action` may happen (e.g. uploading a page of a run that already failed).
 */
export function requireStatus(run: RunRecord, allowed: readonly RunStatus[], action: string): void {
  if (allowed.includes(run.status)) return;
  throw new AnnotationRunError(
    'INVALID_RUN_TRANSITION',
    `Cannot ${action} annotation run '${run.annoKey}' in status '${run.status}'; it must be ` +
      `${allowed.map((status) => `'${status}'`).join(' or ')}`,
    { key: run.annoKey, status: run.status, allowed },
  );
}

/** The entries of `idMap` for `sampleIds` only, field by field. */
export function sliceIdMap(idMap: IdMap, sampleIds: Iterable<string>): IdMap {
  const ids = [...sampleIds];
  const out: IdMap = {};
  for (const [field, entries] of Object.entries(idMap)) {
    const slice: IdMap[string] = {};
    for (const id of ids) {
      const entry = entries[id];
      if (entry !== undefined) slice[id] = entry;
    }
    out[field] = slice;
  }
  return out;
}

/**
 * `idMap` with the frame entries of each sample in `shownFrames` restricted to the frames
 * listed there: frames the tool never showed have nothing recorded, so nothing is deleted.
 */
export function restrictFrames(
  idMap: IdMap,
  shownFrames: Readonly<Record<string, readonly string[]>> | undefined,
): IdMap {
  if (!shownFrames) return idMap;
  const out: IdMap = {};
  for (const [field, entries] of Object.entries(idMap)) {
    const restricted: IdMap[string] = { ...entries };
    for (const [sampleId, frameIds] of Object.entries(shownFrames)) {
      const entry = entries[sampleId];
      if (entry === undefined || typeof entry !== 'object' || Array.isArray(entry)) continue;
      const shown = new Set(frameIds);
      restricted[sampleId] = Object.fromEntries(
        Object.entries(entry).filter(([frameId]) => shown.has(frameId)),
      );
    }
    out[field] = restricted;
  }
  return out;
}

/** `base` with `update`'s entries written over it, field by field (slices are disjoint). */
export function assignIdMap(base: IdMap, update: IdMap): IdMap {
  const out: IdMap = { ...base };
  for (const [field, entries] of Object.entries(update)) {
    out[field] = { ...(base[field] ?? {}), ...entries };
  }
  return out;
}

/** Every task of the run, a store page at a time. */
export async function* runTasks(
  store: Store,
  dataset: string,
  annoKey: string,
): AsyncGenerator<TaskRecord[]> {
  let cursor: string | undefined;
  do {
    const page = await store.tasks.listByRun(dataset, annoKey, {
      limit: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.items.length > 0) yield page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}
