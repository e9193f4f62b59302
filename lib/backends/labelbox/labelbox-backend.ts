import { z } from 'zod';
import {
  BackendError,
  InvalidInputError,
  LabelSchemaError,
  parseInput,
} from '../../errors/index.js';
import type { Annotations } from '../../merge/contract.js';
import { LABELBOX_CAPABILITIES } from '../../schema/capabilities.js';
import type { BackendCapabilities, LabelSchema } from '../../schema/types.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import {
  type AnnotationBackend,
  type BackendContext,
  type BackendTask,
  backendContextSchema,
  MEDIA_EXPIRES_AT,
  mediaExpiry,
  type TaskStatus,
  type UploadContext,
  type UploadResult,
  uploadContextSchema,
} from '../backend.js';
import type { BackendFactory } from '../custom-module.js';
import { isPresigned, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import type { BackendSecretStore } from '../secrets.js';
import { labelboxApi, type MediaType } from './api.js';
import { LabelboxClient } from './client.js';
import { type ExportLine, exportToAnnotations, maskUrls } from './export-labels.js';
import { exportBatchLines } from './export-task.js';
import { ontologyOf } from './ontology.js';
import { labelboxEndpoints, labelboxParamsSchema } from './params.js';
import { decodeMaskPng } from './png.js';
import { refreshDataRows } from './refresh-media.js';
import {
  ensureDataRows,
  ensureWebhook,
  findOrCreate,
  LABELBOX_CANNOT_FETCH,
  missingProject,
  namesOf,
  tolerant,
} from './resources.js';
import { parseLabelboxWebhook, projectOf, signatureMatches, webhookSecretName } from './webhook.js';

/** Labelbox's capabilities (SEMANTICS §4.2): images and videos, no existing labels. */
export const LABELBOX_BACKEND_CAPABILITIES: BackendCapabilities = LABELBOX_CAPABILITIES;

/** What a task keeps for later calls: the page's Labelbox resources and image sizes. */
const taskDataSchema = z.object({
  datasetId: z.string(),
  ontologyId: z.string(),
  batchId: z.string(),
  sizes: z.record(z.string(), z.tuple([z.number(), z.number()])),
});
type TaskData = z.infer<typeof taskDataSchema>;

export interface LabelboxBackendOptions {
  readonly objects: BackendObjectStore;
  readonly params: unknown;
  /** Needed when `webhook_url` is set: webhook secrets live there and nowhere else. */
  readonly secrets?: BackendSecretStore;
  /** When links are signed, for the expiry recorded on the task. */
  readonly clock?: () => Date;
}

/** Built-in factory, for the registry: `labelbox: createLabelboxBackend`. */
export const createLabelboxBackend: BackendFactory = ({ objects, params, secrets, clock }) =>
  labelboxBackend({
    objects,
    params,
    ...(secrets ? { secrets } : {}),
    ...(clock ? { clock } : {}),
  });

/**
 * Labelbox behind annoflow: each task (one page of the run) is a Labelbox dataset of the
 * page's images (data rows whose global keys are the sample ids and whose row data are
 * presigned S3 links), an ontology made from the label schema, and a project with one batch
 * of those rows. A project per task keeps calls independent: pages upload in parallel
 * without racing for a shared project, and a webhook's project id names its task.
 * Everything is found again by name, so a retried upload adopts what a failed one created.
 */
export function labelboxBackend(options: LabelboxBackendOptions): AnnotationBackend {
  const params = parseInput(labelboxParamsSchema, options.params ?? {}, 'labelbox backend params');
  const { objects, secrets } = options;
  const clock = options.clock ?? (() => new Date());
  if (params.webhook_url && !secrets) {
    throw new InvalidInputError(
      'The labelbox backend needs a secret store to register webhooks (webhook_url is set)',
      { param: 'webhook_url' },
    );
  }
  const client = new LabelboxClient({
    endpoints: labelboxEndpoints(params.url),
    apiKey: params.api_key,
  });
  const api = labelboxApi(client);

  return {
    capabilities: LABELBOX_BACKEND_CAPABILITIES,

    async upload(input: UploadContext): Promise<UploadResult> {
      const { run, page } = parseInput(uploadContextSchema, input, 'upload context');
      if (page.samples.length === 0) return { tasks: [] };
      refuseExistingFields(run.labelSchema);
      const names = namesOf(params, run.dataset, run.annoKey, page.index);
      // A dataset holds one media type, so a page is all images or all videos.
      const mediaType: MediaType = page.samples.some((s) => s.media_type === 'video')
        ? 'VIDEO'
        : 'IMAGE';

      // Read before signing, so the recorded expiry is never later than the links'.
      const signedAt = clock();
      const dataset = await findOrCreate(
        () => api.datasetsNamed(names.title),
        names.marker,
        () => api.createDataset(names.title, names.marker),
      );
      const rowIds = await ensureDataRows(
        api,
        dataset.id,
        page.samples,
        mediaType,
        async (sample) =>
          mediaLinkOf(sample, objects, params.media_url_expires_in, LABELBOX_CANNOT_FETCH),
        {
          api,
          client,
          pollIntervalMs: params.data_row_poll_interval_ms,
          timeoutMs: params.data_row_timeout_ms,
        },
      );
      const found = await findOrCreate(
        () => api.projectsNamed(names.title),
        names.marker,
        () => api.createProject(names.title, names.marker, mediaType),
      );
      let project = (await api.project(found.id)) ?? missingProject(found.id);
      let ontologyId = project.ontology?.id;
      if (!ontologyId) {
        // An attempt that made the ontology but failed to connect it left one of this title:
        // connect that one, or a retry would make a second that cleanup never deletes.
        const made = (await api.ontologiesNamed(names.title)).find((o) => o.name === names.title);
        ontologyId =
          made?.id ??
          (await api.createOntology(names.title, ontologyOf(run.labelSchema), mediaType)).id;
        await api.connectOntology(project.id, ontologyId);
      }
      const batches = (await api.projectBatches(project.id)) ?? missingProject(project.id);
      let batchId = batches.find((batch) => batch.name === names.batch)?.id;
      if (!batchId) {
        const batch = await api.createBatch(project.id, names.batch, rowIds);
        if (batch.failedDataRowIds.length > 0) {
          throw new BackendError(
            'BACKEND_REQUEST_FAILED',
            `Labelbox refused ${batch.failedDataRowIds.length} data row(s) of page ${page.index} in batch ${names.batch}`,
            { projectId: project.id, failedDataRowIds: batch.failedDataRowIds.slice(0, 10) },
          );
        }
        batchId = batch.batch.id;
      }
      if (params.webhook_url && secrets) {
        project = (await api.project(project.id)) ?? missingProject(project.id);
        await ensureWebhook(api, secrets, project, params.webhook_url);
      }
      const expires = page.samples.some((sample) => isPresigned(sample, objects));
      const data: TaskData & { [MEDIA_EXPIRES_AT]: string } = {
        [MEDIA_EXPIRES_AT]: expires ? mediaExpiry(signedAt, params.media_url_expires_in) : 'never',
        datasetId: dataset.id,
        ontologyId,
        batchId,
        sizes: Object.fromEntries(
          page.samples.flatMap((sample) => {
            const { width, height } = frameSize(sample.metadata);
            return width !== undefined && height !== undefined
              ? [[sample.id, [width, height] as [number, number]]]
              : [];
          }),
        ),
      };
      return {
        tasks: [
          {
            taskId: names.taskId,
            backendTaskId: project.id,
            sampleIds: page.samples.map((sample) => sample.id),
            backendData: data,
          },
        ],
      };
    },

    async download(ctx: BackendContext, task: BackendTask): Promise<Annotations> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const data = taskData(task);
      const lines = await exportLines(task, data);
      const masks = new Map<string, number[][]>();
      for (const url of maskUrls(lines, task.backendTaskId)) {
        if (!masks.has(url))
          masks.set(url, decodeMaskPng(await client.download(url, 'a mask'), url));
      }
      return exportToAnnotations(lines, {
        labelSchema: run.labelSchema,
        projectId: task.backendTaskId,
        sampleIds: task.sampleIds,
        sizes: data.sizes,
        masks,
      });
    },

    /**
     * `completed` once every data row of the task's batch is `DONE` (reviewed and accepted)
     * in Labelbox's workflow; `missing` when the project or its batch is gone.
     */
    async status(_ctx: BackendContext, task: BackendTask): Promise<TaskStatus> {
      const data = taskData(task);
      const batches = await api.projectBatches(task.backendTaskId);
      if (!batches?.some((batch) => batch.id === data.batchId)) return { state: 'missing' };
      const lines = await exportLines(task, data);
      let updatedAt = '';
      let done = lines.length > 0;
      for (const line of lines) {
        const entry = line.projects[task.backendTaskId];
        if (entry?.project_details?.workflow_status !== 'DONE') done = false;
        for (const label of entry?.labels ?? []) {
          const at = label.label_details?.updated_at ?? '';
          if (at > updatedAt) updatedAt = at;
        }
      }
      const parsedAt = z.iso.datetime().safeParse(updatedAt);
      return {
        state: done ? 'completed' : 'open',
        ...(parsedAt.success ? { updatedAt: parsedAt.data } : {}),
      };
    },

    /**
     * Deletes each task's project (its webhooks first, and their secrets), its ontology and
     * its dataset (with the data rows). Anything already gone is skipped, so a second
     * cleanup, or one after a half-finished upload, succeeds.
     */
    async cleanup(_ctx: BackendContext, tasks: readonly BackendTask[]): Promise<void> {
      for (const task of tasks) {
        const data = taskDataSchema.partial().safeParse(task.backendData ?? {});
        const known = data.success ? data.data : {};
        const project = await api.project(task.backendTaskId);
        if (project) {
          for (const hook of project.webhooks) await tolerant(() => api.deactivateWebhook(hook.id));
          await tolerant(() => api.deleteProject(project.id));
        }
        await secrets?.delete(webhookSecretName(task.backendTaskId));
        // The dataset goes before the ontology: Labelbox deletes only an unused ontology,
        // and should it refuse, the rows and their labels are gone all the same.
        if (known.datasetId) {
          const datasetId = known.datasetId;
          await tolerant(() => api.deleteDataset(datasetId));
        }
        const ontologyId = known.ontologyId ?? project?.ontology?.id;
        if (ontologyId) await tolerant(() => api.deleteOntology(ontologyId));
      }
    },

    /**
     * Nothing left to do: a Labelbox webhook belongs to a project, and each task's project
     * gets its webhook when `upload` makes it (this call is told the run, not its tasks).
     */
    async registerWebhooks(): Promise<void> {},

    async verifyWebhook(request): Promise<boolean> {
      const projectId = projectOf(request.rawBody);
      if (projectId === undefined || !secrets) return false;
      const secret = await secrets.get(webhookSecretName(projectId));
      if (secret === undefined) return false;
      return signatureMatches(secret, request);
    },

    parseWebhook: parseLabelboxWebhook,

    /** Fresh presigned `rowData` for the task's data rows (see `refresh-media.ts`). */
    refreshMedia: async (ctx, task) =>
      refreshDataRows(ctx, task, taskData(task).datasetId, {
        api,
        objects,
        expiresInSeconds: params.media_url_expires_in,
        now: clock(),
      }),
  };

  function exportLines(task: BackendTask, data: TaskData): Promise<ExportLine[]> {
    return exportBatchLines(task, data.batchId, {
      api,
      client,
      pollIntervalMs: params.export_poll_interval_ms,
      timeoutMs: params.export_timeout_ms,
    });
  }
}

/** An image's width and height, or a video's frame size (FiftyOne's `VideoMetadata`). */
function frameSize(metadata: UploadSample['metadata']): { width?: number; height?: number } {
  const number = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined);
  const width = number(metadata?.width) ?? number(metadata?.frame_width);
  const height = number(metadata?.height) ?? number(metadata?.frame_height);
  return { ...(width ? { width } : {}), ...(height ? { height } : {}) };
}

function taskData(task: BackendTask): TaskData {
  const parsed = taskDataSchema.safeParse(task.backendData);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(
    `Labelbox task '${task.taskId}' lacks the ids its upload recorded (backendData)`,
    { taskId: task.taskId },
  );
}

function refuseExistingFields(labelSchema: LabelSchema): void {
  for (const [field, schema] of Object.entries(labelSchema)) {
    if (!schema.existingField) continue;
    throw new LabelSchemaError(
      'EXISTING_FIELD_UNSUPPORTED',
      `Cannot use existing field '${field}'; the Labelbox backend does not yet support uploading existing labels`,
      { field, backend: 'labelbox' },
    );
  }
}
