import { BackendError, InvalidInputError, parseInput } from '../../errors/index.js';
import {
  type BackendTask,
  mediaExpiry,
  type RefreshMediaContext,
  type RefreshMediaResult,
  refreshMediaContextSchema,
} from '../backend.js';
import { isPresigned, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import { type LabelStudioTask, taskDataSchema } from './api-schemas.js';
import type { LabelStudioClient } from './client.js';
import { IMAGE_NAME } from './label-config.js';
import { LABEL_STUDIO_CANNOT_LOAD } from './tasks.js';

export interface RefreshOptions {
  readonly client: LabelStudioClient;
  readonly objects: BackendObjectStore;
  readonly expiresInSeconds: number;
  readonly now: Date;
  readonly getTask: (task: BackendTask) => Promise<LabelStudioTask | undefined>;
}

/**
 * Gives a Label Studio task a freshly signed image link: `GET` the task, `PATCH` its `data`
 * with every key kept but `image` (Label Studio replaces `data` whole). Two requests per task
 * (one image), whatever its annotations; they, its predictions and its `meta` are untouched,
 * since they are not part of `data`.
 *
 * @throws BackendError `BACKEND_RESULT_MISSING` when Label Studio no longer has the task;
 *   InvalidInputError when the context has no media for the task's sample.
 */
export async function refreshTaskImage(
  input: RefreshMediaContext,
  task: BackendTask,
  options: RefreshOptions,
): Promise<RefreshMediaResult> {
  const { media } = parseInput(refreshMediaContextSchema, input, 'refresh media context');
  const lsTask = await options.getTask(task);
  if (lsTask === undefined) {
    throw new BackendError(
      'BACKEND_RESULT_MISSING',
      `Label Studio task ${task.backendTaskId} (task '${task.taskId}') no longer exists`,
      { taskId: task.taskId, backendTaskId: task.backendTaskId },
    );
  }
  const data = taskDataSchema.safeParse(lsTask.data);
  if (!data.success) {
    throw new BackendError(
      'BACKEND_RESULT_INVALID',
      `Label Studio task ${task.backendTaskId} (task '${task.taskId}') was not made by annoflow: its data names no sample`,
      { taskId: task.taskId, backendTaskId: task.backendTaskId },
    );
  }
  const sampleId = data.data.sample_id;
  const ref = media.find((each) => each.sampleId === sampleId);
  if (ref === undefined) {
    throw new InvalidInputError(
      `No media given for sample '${sampleId}' of task '${task.taskId}': its link cannot be refreshed`,
      { taskId: task.taskId, sampleId },
    );
  }
  const sample = { id: sampleId, filepath: ref.filepath };
  const image = await mediaLinkOf(
    sample,
    options.objects,
    options.expiresInSeconds,
    LABEL_STUDIO_CANNOT_LOAD,
  );
  await options.client.request('PATCH', `/api/tasks/${lsTask.id}/`, {
    body: { data: { ...lsTask.data, [IMAGE_NAME]: image } },
  });
  return isPresigned(sample, options.objects)
    ? { expiresAt: mediaExpiry(options.now, options.expiresInSeconds) }
    : {};
}
