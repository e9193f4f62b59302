import { BackendError, parseInput } from '../../errors/index.js';
import {
  type BackendTask,
  mediaExpiry,
  type RefreshMediaContext,
  type RefreshMediaResult,
  refreshMediaContextSchema,
} from '../backend.js';
import { isPresigned, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import { DATA_ROW_PAGE, type LabelboxApi } from './api.js';
import { LABELBOX_CANNOT_FETCH } from './resources.js';

/** Updates in flight at once: a task is a page of rows, and Labelbox rate-limits per key. */
const CONCURRENCY = 8;

export interface RefreshOptions {
  readonly api: LabelboxApi;
  readonly objects: BackendObjectStore;
  readonly expiresInSeconds: number;
  readonly now: Date;
}

/**
 * Points each data row of the task's dataset at a freshly signed link (`updateDataRow`, its
 * `rowData`): the row keeps its id, global key, batch and labels, so the project and its
 * annotations are untouched. Requests: one dataset lookup and one listing per
 * {@link DATA_ROW_PAGE} rows, then one update per row
 * whose link expires (Labelbox has no bulk update short of the SDK's file-based upsert);
 * never one per label. Rows at plain http(s) URLs, and rows of samples the context does not
 * name, are left as they are.
 *
 * @throws BackendError `BACKEND_RESULT_MISSING` when the task's dataset is gone.
 */
export async function refreshDataRows(
  input: RefreshMediaContext,
  task: BackendTask,
  datasetId: string,
  options: RefreshOptions,
): Promise<RefreshMediaResult> {
  const { media } = parseInput(refreshMediaContextSchema, input, 'refresh media context');
  const { api, objects } = options;
  const filepaths = new Map(media.map((each) => [each.sampleId, each.filepath]));
  const updates: Array<{ rowId: string; sample: { id: string; filepath: string } }> = [];
  const rows = await api.dataRowsOf(datasetId);
  if (rows === null) {
    throw new BackendError(
      'BACKEND_RESULT_MISSING',
      `Labelbox dataset ${datasetId} of task '${task.taskId}' no longer exists`,
      { taskId: task.taskId, datasetId },
    );
  }
  for (const row of rows) {
    const filepath = row.globalKey === null ? undefined : filepaths.get(row.globalKey);
    if (row.globalKey === null || filepath === undefined) continue;
    const sample = { id: row.globalKey, filepath };
    if (isPresigned(sample, objects)) updates.push({ rowId: row.id, sample });
  }
  for (let start = 0; start < updates.length; start += CONCURRENCY) {
    await Promise.all(
      updates.slice(start, start + CONCURRENCY).map(async ({ rowId, sample }) => {
        const url = await mediaLinkOf(
          sample,
          objects,
          options.expiresInSeconds,
          LABELBOX_CANNOT_FETCH,
        );
        await api.updateDataRow(rowId, url);
      }),
    );
  }
  return updates.length > 0
    ? { expiresAt: mediaExpiry(options.now, options.expiresInSeconds) }
    : {};
}
