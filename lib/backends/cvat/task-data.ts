import { z } from 'zod';
import { objectKeyOf } from '../../runs/keys.js';
import { runObjectPrefix } from '../../store/keys.js';
import type { RunRef } from '../backend.js';
import type { BackendObjectStore } from '../object-store.js';
import { type CvatLabeledData, labeledDataSchema } from './api.js';
import { maskOriginalSchema } from './masks.js';

/**
 * What a task needs beyond its record, kept in the media bucket because it grows with the
 * labels: the server ids CVAT gave the uploaded items (`shape:<id>` / `tag:<id>` → our label
 * id), and per job the last annotations fetched with the job's `updated_date`, so a re-load
 * fetches only the jobs that changed.
 */
export const taskDataSchema = z.object({
  version: z.literal(1),
  cvatTaskId: z.number().int(),
  /** The creating run's `createdAt`: only that run's retries may delete the task by name. */
  runCreatedAt: z.string().optional(),
  serverIds: z.record(z.string(), z.string()),
  /** What was uploaded (tags and shapes), for the last-resort geometry match. */
  uploaded: z
    .array(
      z.object({
        labelId: z.string(),
        frame: z.number().int(),
        cvatLabelId: z.number().int(),
        type: z.string(),
        points: z.array(z.number()),
      }),
    )
    .default([]),
  /**
   * Uploaded tracks by the server id of each piece CVAT saved them as (`<track id>` → the
   * track's position in the upload): CVAT keeps a piece of a track per job, each with its own
   * id, and download joins the pieces of one uploaded track again.
   */
  trackPieces: z.record(z.string(), z.number().int()).default({}),
  /** Labels whose masks CVAT cannot hold exactly, by label id (see `MaskOriginal`). */
  maskOriginals: z.record(z.string(), maskOriginalSchema).default({}),
});
export type TaskData = z.input<typeof taskDataSchema>;

const jobCacheSchema = z.object({ updatedDate: z.string(), data: labeledDataSchema });

const base = (run: RunRef, cvatTaskId: number) =>
  `${runObjectPrefix(run.dataset, objectKeyOf(run))}cvat/tasks/${cvatTaskId}`;
export const taskDataKey = (run: RunRef, cvatTaskId: number) => `${base(run, cvatTaskId)}.json`;
export const jobCacheKey = (run: RunRef, cvatTaskId: number, jobId: number) =>
  `${base(run, cvatTaskId)}/jobs/${jobId}.json`;

async function readJson<S extends z.ZodType>(
  objects: BackendObjectStore,
  key: string,
  schema: S,
): Promise<z.output<S> | undefined> {
  const object = await objects.read(key);
  if (!object) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(object.body)));
    // A cache that does not parse is ignored (fetched again), never trusted.
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export const readTaskData = (objects: BackendObjectStore, run: RunRef, cvatTaskId: number) =>
  readJson(objects, taskDataKey(run, cvatTaskId), taskDataSchema);

export async function writeTaskData(objects: BackendObjectStore, run: RunRef, data: TaskData) {
  await objects.put(taskDataKey(run, data.cvatTaskId), JSON.stringify(data), 'application/json');
}

export async function readJobCache(
  objects: BackendObjectStore,
  run: RunRef,
  cvatTaskId: number,
  jobId: number,
  updatedDate: string,
): Promise<CvatLabeledData | undefined> {
  const cached = await readJson(objects, jobCacheKey(run, cvatTaskId, jobId), jobCacheSchema);
  return cached?.updatedDate === updatedDate ? cached.data : undefined;
}

export async function writeJobCache(
  objects: BackendObjectStore,
  run: RunRef,
  cvatTaskId: number,
  jobId: number,
  cache: { updatedDate: string; data: CvatLabeledData },
) {
  await objects.put(jobCacheKey(run, cvatTaskId, jobId), JSON.stringify(cache), 'application/json');
}
