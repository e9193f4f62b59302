import { z } from 'zod';
import {
  type AnnotationBackend,
  MEDIA_EXPIRES_AT,
  type MediaRef,
  mediaExpiresAtSchema,
} from '../backends/backend.js';
import type { RunRecord } from '../runs/record.js';
import type { TaskRecord } from '../store/tasks.js';
import { now, type WorkflowDeps } from './deps.js';
import { backendContext, backendTask } from './run-context.js';

/**
 * The `backendData` key recording that the sweeper stopped refreshing a task's media links,
 * and why: a reason code, the samples concerned and when (no links, no secrets). A task
 * carrying it is never refreshed again; its status is still swept, so it still loads.
 */
export const MEDIA_REFRESH_STOPPED = 'mediaRefreshStopped';

/** `SAMPLES_DELETED`: none of the task's samples is in the dataset any more. */
export const mediaRefreshStopSchema = z.object({
  reason: z.enum(['SAMPLES_DELETED']),
  sampleIds: z.array(z.string().min(1)),
  at: z.iso.datetime(),
});
export type MediaRefreshStop = z.infer<typeof mediaRefreshStopSchema>;

/** Whether the task's links expire within `marginMs` and the sweeper has not given up on it. */
export function needsRefresh(deps: WorkflowDeps, task: TaskRecord, marginMs: number): boolean {
  if (mediaRefreshStopSchema.safeParse(task.backendData?.[MEDIA_REFRESH_STOPPED]).success) {
    return false;
  }
  const recorded = mediaExpiresAtSchema.safeParse(task.backendData?.[MEDIA_EXPIRES_AT]);
  if (!recorded.success) return true;
  if (recorded.data === 'never') return false;
  return Date.parse(recorded.data) - now(deps).getTime() <= marginMs;
}

export type RefreshOutcome =
  | { readonly refreshed: true; readonly expiresAt: string }
  | { readonly refreshed: false; readonly stopped: MediaRefreshStop };

/**
 * Renews one task's links and records their new expiry on the task. The backend gets the
 * media of the samples still in the dataset: a task that lost some (a page of Labelbox rows,
 * a files manifest) still gets fresh links for the rest. A task that lost all of them has
 * nothing to link to: without asking the tool, the task is marked stopped with the reason,
 * so the sweeps after this one skip it instead of failing on it every time (a Label Studio
 * task shows one sample, and its refresh cannot succeed without it).
 */
export async function refreshTaskMedia(
  deps: WorkflowDeps,
  backend: AnnotationBackend,
  run: RunRecord,
  task: TaskRecord,
): Promise<RefreshOutcome> {
  const samples = await deps.store.samples.findMany(run.dataset, task.sampleIds);
  const media: MediaRef[] = samples.flatMap((sample) =>
    sample === undefined ? [] : [{ sampleId: sample.sample.id, filepath: sample.sample.filepath }],
  );
  if (media.length === 0 && task.sampleIds.length > 0) {
    const stopped: MediaRefreshStop = {
      reason: 'SAMPLES_DELETED',
      sampleIds: task.sampleIds,
      at: now(deps).toISOString(),
    };
    await updateBackendData(deps, run, task, { [MEDIA_REFRESH_STOPPED]: stopped });
    return { refreshed: false, stopped };
  }
  if (backend.refreshMedia === undefined) throw new Error('the backend has no refreshMedia');
  const { expiresAt } = await backend.refreshMedia(
    { ...backendContext(run), media },
    backendTask(task),
  );
  await updateBackendData(deps, run, task, { [MEDIA_EXPIRES_AT]: expiresAt ?? 'never' });
  return { refreshed: true, expiresAt: expiresAt ?? 'never' };
}

/** Re-read just before the write, so a webhook that completed the task meanwhile is not undone. */
async function updateBackendData(
  deps: WorkflowDeps,
  run: RunRecord,
  task: TaskRecord,
  values: Record<string, unknown>,
): Promise<void> {
  const current = await deps.store.tasks.get(run.dataset, run.annoKey, task.taskId);
  await deps.store.tasks.replace({
    ...current,
    backendData: { ...current.backendData, ...values },
    updatedAt: now(deps).toISOString(),
  });
}
