import { randomBytes } from 'node:crypto';
import { BackendError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendSecretStore } from '../secrets.js';
import type { LabelboxApi, MediaType, Named, Project } from './api.js';
import { isNotFound } from './client.js';
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

export async function ensureDataRows(
  api: LabelboxApi,
  datasetId: string,
  samples: readonly UploadSample[],
  mediaType: MediaType,
  urlOf: (sample: UploadSample) => Promise<string>,
): Promise<string[]> {
  const byKey = new Map<string | null, string>();
  for (const row of (await api.dataRowsOf(datasetId)) ?? []) byKey.set(row.globalKey, row.id);
  const missing = samples.filter((sample) => !byKey.has(sample.id));
  if (missing.length > 0) {
    const rows = await Promise.all(
      missing.map(async (sample) => ({
        rowData: await urlOf(sample),
        globalKey: sample.id,
        mediaType,
      })),
    );
    const { ids } = await api.createDataRows(datasetId, rows);
    missing.forEach((sample, i) => {
      const id = ids[i];
      if (id) byKey.set(sample.id, id);
    });
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
