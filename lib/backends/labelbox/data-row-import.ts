import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../errors/index.js';
import type { ImportTask, LabelboxApi, MediaType } from './api.js';
import type { LabelboxClient } from './client.js';

/**
 * Data rows made as the Labelbox SDK's `Dataset.create_data_rows` makes them (labelbox-python
 * `schema/dataset.py` `_exec_upsert_data_rows`, `schema/internal/data_row_uploader.py`,
 * `descriptor_file_creator.py`, `schema/task.py` `DataUpsertTask`; shapes and commits in
 * `test/emulators/labelbox/assumptions.ts`):
 *
 * ```
 *  rows ─► chunks of {id: AUTO, payload} ─► uploadFile (json_import.json) ─┐
 *          manifest {source: SDK, item_count, chunk_uris} ─► uploadFile (manifest.json)
 *          upsertDataRows(data: {manifestUri}) ─► task, IN_PROGRESS
 *          user { createdTasks(where: {id}) } every poll interval ─► COMPLETE / FAILED
 *          failedDataRowImports, successesfulDataRowImports ─► refused rows, created rows
 * ```
 */

/** The most bytes the SDK puts in one chunk file (`UPSERT_CHUNK_SIZE_BYTES`). */
export const UPSERT_CHUNK_SIZE_BYTES = 10_000_000;

/** A data row to make: the media URL Labelbox reads, the global key naming it, its kind. */
export interface NewDataRow {
  readonly rowData: string;
  readonly globalKey: string;
  readonly mediaType: MediaType;
}

export interface DataRowImportOptions {
  readonly api: LabelboxApi;
  readonly client: LabelboxClient;
  /** How long to wait between polls of the import task (the SDK: 2 s). */
  readonly pollIntervalMs: number;
  /** How long the task may run before annoflow gives up on it (the SDK: 300 s). */
  readonly timeoutMs: number;
}

/** What an import made of its rows: the rows created, and the rows refused with the reason. */
export interface DataRowImport {
  readonly taskId: string;
  readonly created: ReadonlyArray<{ id: string; globalKey: string }>;
  readonly failed: ReadonlyArray<{ globalKey: string | null; message: string }>;
}

/**
 * One item of a chunk as `DescriptorFileCreator` writes it: a created row has the key
 * `{type: "AUTO", value: ""}` (`DataRowCreateItem.build`, no `key`), its payload the row's
 * fields by their SDK names and the dataset's id.
 */
function specOf(datasetId: string, row: NewDataRow) {
  return {
    id: { type: 'AUTO', value: '' },
    payload: {
      row_data: row.rowData,
      global_key: row.globalKey,
      media_type: row.mediaType,
      dataset_id: datasetId,
    },
  };
}

/**
 * `items` as JSON arrays of at most `maxBytes` bytes each, cut as the SDK's
 * `_chunk_down_by_bytes` cuts them: a list too big is halved until each half fits, and a
 * single item too big goes alone.
 */
export function chunkByBytes(items: readonly unknown[], maxBytes: number): string[] {
  if (items.length === 0) return [];
  const json = JSON.stringify(items);
  if (items.length === 1 || Buffer.byteLength(json) <= maxBytes) return [json];
  const half = Math.floor(items.length / 2);
  return [
    ...chunkByBytes(items.slice(0, half), maxBytes),
    ...chunkByBytes(items.slice(half), maxBytes),
  ];
}

/**
 * Imports `rows` into a dataset and waits for Labelbox to finish, as the SDK's
 * `create_data_rows` followed by `wait_till_done` does, then reads what became of each row.
 * Rows Labelbox refused (a global key another row holds, say) come back in `failed`; the
 * caller decides what they mean.
 * @throws BackendError `BACKEND_UNAVAILABLE` when the task is still running after
 *   `timeoutMs` (it may yet finish: a retry finds its rows), `BACKEND_REQUEST_FAILED` when
 *   Labelbox failed the task or lost it.
 */
export async function importDataRows(
  datasetId: string,
  rows: readonly NewDataRow[],
  options: DataRowImportOptions,
): Promise<DataRowImport> {
  const { api, client } = options;
  const chunks = chunkByBytes(
    rows.map((row) => specOf(datasetId, row)),
    UPSERT_CHUNK_SIZE_BYTES,
  );
  const chunkUris = await Promise.all(
    chunks.map((chunk) => client.uploadFile(chunk, 'json_import.json', 'application/json')),
  );
  const manifest = JSON.stringify({
    source: 'SDK',
    item_count: rows.length,
    chunk_uris: chunkUris,
  });
  const manifestUri = await client.uploadFile(manifest, 'manifest.json', 'application/json');
  const started = await api.upsertDataRows(manifestUri);
  // The SDK asks who the key belongs to right after starting the task: tasks are polled
  // among the user's created tasks.
  const userId = await api.currentUserId();
  const task = await waitForTask(started, userId, datasetId, options);
  const failed = await api.failedDataRowImports(task.id);
  if (task.status !== 'COMPLETE') {
    throw new BackendError(
      'BACKEND_REQUEST_FAILED',
      `Labelbox data row import ${task.id} into dataset ${datasetId} ended ${task.status}${refusals(failed)}`,
      { datasetId, importTaskId: task.id, status: task.status, failed: failed.slice(0, 10) },
    );
  }
  const created = (await api.successfulDataRowImports(task.id)).flatMap((row) =>
    row.globalKey ? [{ id: row.id, globalKey: row.globalKey }] : [],
  );
  return { taskId: task.id, created, failed };
}

/** Polls the task (`Task.wait_till_done`): until it is no longer `IN_PROGRESS`, or time is up. */
async function waitForTask(
  started: ImportTask,
  userId: string,
  datasetId: string,
  { api, pollIntervalMs, timeoutMs }: DataRowImportOptions,
): Promise<ImportTask> {
  const ids = { datasetId, importTaskId: started.id };
  const deadline = Date.now() + timeoutMs;
  let task = started;
  while (task.status === 'IN_PROGRESS') {
    if (Date.now() > deadline) {
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `Labelbox data row import ${started.id} into dataset ${datasetId} did not finish in ${timeoutMs} ms`,
        ids,
      );
    }
    await sleep(pollIntervalMs);
    const polled = await api.createdTask(userId, started.id);
    if (!polled) {
      throw new BackendError(
        'BACKEND_REQUEST_FAILED',
        `Labelbox data row import ${started.id} into dataset ${datasetId} disappeared`,
        ids,
      );
    }
    task = polled;
  }
  return task;
}

/** `: <key> (<reason>), …` for an error message, a few refusals at most. */
export function refusals(failed: DataRowImport['failed'], most = 5): string {
  if (failed.length === 0) return '';
  const named = failed
    .slice(0, most)
    .map((row) => `${row.globalKey ?? '(no global key)'} (${row.message})`);
  const more = failed.length > most ? `, and ${failed.length - most} more` : '';
  return `: ${named.join(', ')}${more}`;
}
