import { InvalidInputError } from '../../errors/index.js';
import { RUN_OBJECT_PREFIX, runObjectPrefix } from '../../store/keys.js';

/**
 * Where one task of the files backend lives: under its run's object key, which no other run
 * shares and a rename keeps. The backend task id is the path `<dataset>/<objectKey>/<taskId>`:
 * unique across every run (webhook lookups go through it, so a result key names exactly one
 * task), and enough to find the task's files whatever the run is called now.
 */
export interface TaskLocation {
  readonly dataset: string;
  readonly objectKey: string;
  readonly taskId: string;
}

/**
 * A page's task id: the run key and the page number, so a retried upload of a page rewrites
 * the same task, and a vendor sees which run a file belongs to. Contains no `.` or `/`.
 */
export function filesTaskId(annoKey: string, pageIndex: number): string {
  return `${annoKey}-${String(pageIndex).padStart(5, '0')}`;
}

export function backendTaskIdOf(location: TaskLocation): string {
  return `${location.dataset}/${location.objectKey}/${location.taskId}`;
}

const TASK_ID = /^[^/.\s]+$/;

/** @throws InvalidInputError `INVALID_INPUT` when the id is not one this backend made. */
export function parseBackendTaskId(backendTaskId: string): TaskLocation {
  const parts = backendTaskId.split('/');
  const [dataset, objectKey, taskId] = parts;
  if (parts.length !== 3 || !dataset || !objectKey || !taskId || !TASK_ID.test(taskId)) {
    throw new InvalidInputError(
      `Invalid files backend task id '${backendTaskId}': expected '<dataset>/<objectKey>/<taskId>'`,
      { backendTaskId },
    );
  }
  runObjectPrefix(dataset, objectKey);
  return { dataset, objectKey, taskId };
}

export function manifestKey(location: TaskLocation): string {
  return `${runObjectPrefix(location.dataset, location.objectKey)}tasks/${location.taskId}.json`;
}

export function resultKey(location: TaskLocation): string {
  return `${runObjectPrefix(location.dataset, location.objectKey)}results/${location.taskId}.json`;
}

export function reportKey(location: TaskLocation): string {
  return `${runObjectPrefix(location.dataset, location.objectKey)}results/${location.taskId}.report.json`;
}

const RESULT_KEY = new RegExp(`^${RUN_OBJECT_PREFIX}([^/]+)/([^/]+)/results/([^/.\\s]+)\\.json$`);

/**
 * The task a result key belongs to, or undefined for any other key (manifests, reports,
 * stray files), so only `runs/<dataset>/<objectKey>/results/<taskId>.json` counts as
 * finished. The key names the run's object key, not its (current) run key.
 */
export function parseResultKey(key: string): TaskLocation | undefined {
  const match = RESULT_KEY.exec(key);
  if (!match) return undefined;
  const [, dataset = '', objectKey = '', taskId = ''] = match;
  try {
    runObjectPrefix(dataset, objectKey);
  } catch {
    return undefined;
  }
  return { dataset, objectKey, taskId };
}
