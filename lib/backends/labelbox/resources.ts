import { randomBytes } from 'node:crypto';
import { BackendError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendSecretStore } from '../secrets.js';
import type { LabelboxApi, MediaType, Named, Project } from './api.js';
import { isNotFound } from './client.js';
import { type DataRowImportOptions, importDataRows, refusals } from './data-row-import.js';
import type { LabelboxParams } from './params.js';
import { WEBHOOK_TOPICS, webhookSecretName } from './webhook.js';

/**
 * Finding and making the Labelbox resources of a task, idempotently: whatever an earlier
 * attempt made is found again and adopted, never made twice.
 */

/** Names every resource of a page; the marker (in descriptions) tells ours from namesakes. */
export function namesOf(params: LabelboxParams, dataset: string, annoKey: string, index: number) {
  const page = String(index).padStart(5, '0');
  const prefix = params.project_name ?? `FiftyOne_${dataset}`;
  return {
    taskId: `${annoKey}-${page}`,
    title: `${prefix} ${annoKey} #${page}`,
    batch: `${annoKey}-${page}`,
    marker: `annoflow:${JSON.stringify([dataset, annoKey, index])}`,
  };
}

export async function findOrCreate<T extends Named>(
  find: () => Promise<T[]>,
  marker: string,
  create: () => Promise<T>,
): Promise<T> {
  const mine = (await find()).filter((item) => item.description === marker);
  return mine.sort((a, b) => a.id.localeCompare(b.id))[0] ?? create();
}

/**
 * The data rows of `samples` in a dataset, made where missing (global key = sample id): rows
 * already there, from an earlier attempt, are adopted, and the rest imported as the SDK
 * imports them (`data-row-import.ts`). A row the import refuses because its global key is
 * taken is adopted too when the row holding the key is in this dataset: an earlier attempt's
 * import, still running when it gave up, finished in the meantime.
 * @throws BackendError `BACKEND_REQUEST_FAILED` naming the global keys Labelbox refused (a
 *   sample in another open run holds its key organization-wide), or as `importDataRows`.
 */
export async function ensureDataRows(
  api: LabelboxApi,
  datasetId: string,
  samples: readonly UploadSample[],
  mediaType: MediaType,
  urlOf: (sample: UploadSample) => Promise<string>,
  importOptions: DataRowImportOptions,
): Promise<string[]> {
  const byKey = await rowsByKey(api, datasetId);
  const missing = samples.filter((sample) => !byKey.has(sample.id));
  if (missing.length > 0) {
    const rows = await Promise.all(
      missing.map(async (sample) => ({
        rowData: await urlOf(sample),
        globalKey: sample.id,
        mediaType,
      })),
    );
    const result = await importDataRows(datasetId, rows, importOptions);
    for (const row of result.created) byKey.set(row.globalKey, row.id);
    const unmade = () =>
      result.failed.filter((row) => row.globalKey === null || !byKey.has(row.globalKey));
    if (unmade().length > 0) {
      for (const [key, id] of await rowsByKey(api, datasetId))
        if (!byKey.has(key)) byKey.set(key, id);
    }
    const refused = unmade();
    if (refused.length > 0) {
      throw new BackendError(
        'BACKEND_REQUEST_FAILED',
        `Labelbox refused ${refused.length} data row(s) of dataset ${datasetId}${refusals(refused)}`,
        {
          datasetId,
          importTaskId: result.taskId,
          globalKeys: refused.slice(0, 10).map((row) => row.globalKey),
        },
      );
    }
  }
  return samples.map((sample) => {
    const id = byKey.get(sample.id);
    if (id) return id;
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `Labelbox did not return a data row for sample '${sample.id}'`,
      { sampleId: sample.id, datasetId },
    );
  });
}

/** A dataset's data rows by global key (none when the dataset is gone). */
async function rowsByKey(api: LabelboxApi, datasetId: string): Promise<Map<string, string>> {
  const byKey = new Map<string, string>();
  for (const row of (await api.dataRowsOf(datasetId)) ?? []) {
    if (row.globalKey !== null) byKey.set(row.globalKey, row.id);
  }
  return byKey;
}

/**
 * One active webhook per project, to `url`, signed with a secret only the secret store
 * holds. The secret is stored before the webhook exists, so no signed delivery can arrive
 * that annoflow cannot verify; a webhook whose secret was lost is replaced.
 */
export async function ensureWebhook(
  api: LabelboxApi,
  secrets: BackendSecretStore,
  project: Project,
  url: string,
): Promise<void> {
  const name = webhookSecretName(project.id);
  const active = project.webhooks.filter((hook) => hook.url === url && hook.status === 'ACTIVE');
  if (active.length > 0 && (await secrets.get(name)) !== undefined) return;
  for (const hook of active) await api.deactivateWebhook(hook.id);
  const secret = randomBytes(32).toString('hex');
  await secrets.put(name, secret);
  await api.createWebhook(project.id, url, secret, WEBHOOK_TOPICS);
}

export function missingProject(id: string): never {
  throw new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Labelbox project ${id} vanished right after it was made`,
    { projectId: id },
  );
}

export async function tolerant(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** How a media link error says Labelbox could not reach a sample. */
export const LABELBOX_CANNOT_FETCH = 'Labelbox cannot fetch';
