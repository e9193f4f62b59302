import { sha256Hex } from '../store/blob-store.js';
import { runObjectPrefix } from '../store/keys.js';

/**
 * Where the run steps keep their objects, all under the run's own prefix
 * (`runs/<dataset>/<annoKey>/`), built here and nowhere else.
 */
export function pageKey(dataset: string, annoKey: string, index: number): string {
  return `${runObjectPrefix(dataset, annoKey)}pages/${String(index).padStart(5, '0')}.json`;
}

export function stagedKey(dataset: string, annoKey: string, taskId: string): string {
  return `${runObjectPrefix(dataset, annoKey)}staged/${taskId}.json`;
}

/** The merge of one staged delivery of a task: its page plans and its report. */
export function mergePrefix(dataset: string, annoKey: string, taskId: string, sha: string): string {
  return `${runObjectPrefix(dataset, annoKey)}merges/${taskId}/${sha.slice(0, 16)}/`;
}

export function mergePlanKey(prefix: string, page: number): string {
  return `${prefix}page-${String(page).padStart(5, '0')}.json`;
}

export function taskReportKey(prefix: string): string {
  return `${prefix}report.json`;
}

export function loadReportKey(dataset: string, annoKey: string, loadId: string): string {
  return `${runObjectPrefix(dataset, annoKey)}reports/${loadId}.json`;
}

/** Points at the latest finished load's report: what "the last load report" means. */
export function latestLoadKey(dataset: string, annoKey: string): string {
  return `${runObjectPrefix(dataset, annoKey)}latest-load.json`;
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
