import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../../errors/index.js';
import type { BackendTask } from '../backend.js';
import type { LabelboxApi } from './api.js';
import type { LabelboxClient } from './client.js';
import { type ExportLine, exportLineSchema } from './export-labels.js';

export interface ExportOptions {
  readonly api: LabelboxApi;
  readonly client: LabelboxClient;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
}

/**
 * The export v2 lines of one batch of a task's project: starts the export, waits for its
 * task, then reads the result as Labelbox says to: through the files of a streamable export
 * (`exportFileFromOffset`), else from the URL in the task's `result`. Either is a signed link,
 * read without the API key, as the SDK reads it.
 */
export async function exportBatchLines(
  task: BackendTask,
  batchId: string,
  options: ExportOptions,
): Promise<ExportLine[]> {
  const { api } = options;
  const { taskId, isStreamable } = await api.exportBatch(task.backendTaskId, batchId);
  const ids = { taskId: task.taskId, exportTaskId: taskId };
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const state = await api.task(taskId);
    if (!state || state.status === 'FAILED') {
      throw new BackendError(
        'BACKEND_REQUEST_FAILED',
        `Labelbox export ${taskId} of task '${task.taskId}' ${state ? 'failed' : 'disappeared'}`,
        ids,
      );
    }
    if (state.status === 'COMPLETE') {
      const body = isStreamable
        ? await readStream(taskId, options)
        : await readResult(taskId, state.result, task, options);
      return new TextDecoder()
        .decode(body)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line, i) => parseExportLine(line, i, task));
    }
    if (Date.now() > deadline) {
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `Labelbox export ${taskId} of task '${task.taskId}' did not finish in ${options.timeoutMs} ms`,
        ids,
      );
    }
    await sleep(options.pollIntervalMs);
  }
}

async function readResult(
  taskId: string,
  result: string | null | undefined,
  task: BackendTask,
  { client }: ExportOptions,
): Promise<Uint8Array> {
  if (result) return client.downloadSigned(result, 'an export');
  throw new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Labelbox export ${taskId} of task '${task.taskId}' is complete but names no result`,
    { taskId: task.taskId, exportTaskId: taskId },
  );
}

/**
 * A streamable export's result, file by file from byte 0 to its size, as the SDK's buffered
 * stream reads it. Each file must hold exactly its byte range (the SDK asserts the same) and
 * move the offset forward, so a wrong answer is an error, not a short or endless read.
 */
async function readStream(taskId: string, { api, client }: ExportOptions): Promise<Uint8Array> {
  const size = (await api.exportSize(taskId)) ?? 0;
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < size; ) {
    const file = await api.exportFileAt(taskId, offset);
    const { start, end } = file.offsets;
    const bytes =
      start <= offset && offset <= end
        ? await client.downloadSigned(file.file, 'an export file')
        : undefined;
    if (bytes?.length !== end - start + 1) {
      throw new BackendError(
        'BACKEND_RESPONSE_INVALID',
        `Labelbox export ${taskId} answered byte ${offset} with a file of bytes ${start}-${end}${bytes ? ` holding ${bytes.length}` : ''}`,
        { exportTaskId: taskId, offset, start, end },
      );
    }
    parts.push(bytes.subarray(offset - start));
    offset = end + 1;
  }
  return Buffer.concat(parts);
}

function parseExportLine(line: string, index: number, task: BackendTask): ExportLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    json = undefined;
  }
  const parsed = exportLineSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Line ${index + 1} of the Labelbox export of task '${task.taskId}' is not an export v2 data row`,
    { taskId: task.taskId, line: index + 1 },
  );
}
