import { sha256Hex } from '../store/blob-store.js';
import { runObjectPrefix } from '../store/keys.js';

/**
 * Where the run steps keep their objects, all under the run's own prefix
 * (`runs/<dataset>/<objectKey>/`), built here and nowhere else. Every builder takes the run's
 * object key (`objectKeyOf(run)`), never its run key: a rename keeps the objects where they
 * are, and a later run under the same key gets a prefix of its own.
 */
export function pageKey(dataset: string, objectKey: string, index: number): string {
  return `${runObjectPrefix(dataset, objectKey)}pages/${String(index).padStart(5, '0')}.json`;
}

/** Run keys are at most this long, and an object key is a run key. */
const MAX_OBJECT_KEY_LENGTH = 128;

/**
 * An object key for a run whose own key's prefix is taken (by a deleted or renamed run's
 * objects): the key, cut to fit, then `__<createdAt in base 36>` and, from the second
 * `attempt` on, `_<attempt>`. Still a run key (an identifier of at most 128 characters), so
 * `runObjectPrefix` accepts it; cut by code points, so no surrogate pair is split.
 */
export function suffixedObjectKey(annoKey: string, createdAt: Date, attempt: number): string {
  const suffix = `__${createdAt.getTime().toString(36)}${attempt > 0 ? `_${attempt}` : ''}`;
  let head = '';
  for (const char of annoKey) {
    if (head.length + char.length + suffix.length > MAX_OBJECT_KEY_LENGTH) break;
    head += char;
  }
  return `${head}${suffix}`;
}

export function stagedKey(dataset: string, objectKey: string, taskId: string): string {
  return `${runObjectPrefix(dataset, objectKey)}staged/${taskId}.json`;
}

/** The merge of one staged delivery of a task: its page plans and its report. */
export function mergePrefix(
  dataset: string,
  objectKey: string,
  taskId: string,
  sha: string,
): string {
  return `${runObjectPrefix(dataset, objectKey)}merges/${taskId}/${sha.slice(0, 16)}/`;
}

export function mergePlanKey(prefix: string, page: number): string {
  return `${prefix}page-${String(page).padStart(5, '0')}.json`;
}

export function taskReportKey(prefix: string): string {
  return `${prefix}report.json`;
}

export function loadReportKey(dataset: string, objectKey: string, loadId: string): string {
  return `${runObjectPrefix(dataset, objectKey)}reports/${loadId}.json`;
}

/** Points at the latest finished load's report: what "the last load report" means. */
export function latestLoadKey(dataset: string, objectKey: string): string {
  return `${runObjectPrefix(dataset, objectKey)}latest-load.json`;
}

/** Canonical JSON (sorted keys), so equal values hash equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : inner,
  );
}

export function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
