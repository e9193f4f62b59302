import { z } from 'zod';
import { BackendError, parseInput } from '../../errors/index.js';
import type { Annotations } from '../../merge/contract.js';
import { LABEL_STUDIO_CAPABILITIES } from '../../schema/capabilities.js';
import {
  type AnnotationBackend,
  type BackendContext,
  type BackendTask,
  backendContextSchema,
  MEDIA_EXPIRES_AT,
  mediaExpiry,
  type RunRef,
  type TaskStatus,
  type UploadContext,
  type UploadResult,
  uploadContextSchema,
} from '../backend.js';
import type { BackendFactory } from '../custom-module.js';
import { isPresigned, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import type { BackendSecretStore } from '../secrets.js';
import {
  type LabelStudioAnnotation,
  type LabelStudioTask,
  taskDataSchema,
  taskPageSchema,
  taskSchema,
} from './api-schemas.js';
import { LabelStudioClient } from './client.js';
import { annotationsOfResults } from './download-results.js';
import { IMAGE_NAME } from './label-config.js';
import { type LabelStudioParams, labelStudioParamsSchema } from './params.js';
import { ensureProject, findProject, getProject } from './project.js';
import { refreshTaskImage } from './refresh-media.js';
import { LABEL_STUDIO_CANNOT_LOAD, listPageTasks } from './tasks.js';
import { resultsOfSample } from './upload-results.js';
import {
  forgetProjectWebhook,
  parseDelivery,
  registerProjectWebhook,
  requireSecrets,
  verifyDelivery,
} from './webhooks.js';

/** What a task record keeps of its Label Studio task: the project, to find it without a search. */
const backendDataSchema = z.object({ projectId: z.number().int() });

/** The task's `meta` as upload wrote it; anything else (a hand-made task) means none. */
const geometryMetaSchema = z.looseObject({
  annoflow_geometry: z.record(z.string(), z.array(z.number())),
});

export interface LabelStudioBackendOptions {
  readonly params: unknown;
  readonly objects: BackendObjectStore;
  readonly secrets?: BackendSecretStore | undefined;
  readonly clock?: (() => Date) | undefined;
}

/** Registered as `labelstudio` (see README beside this file). */
export const createLabelStudioBackend: BackendFactory = ({ params, objects, secrets, clock }) =>
  labelStudioBackend({ params, objects, secrets, clock });

/**
 * Label Studio behind annoflow (SEMANTICS §4, §10; reference §2). One annoflow task per Label
 * Studio task, i.e. per image: a webhook names one Label Studio task, and the task id is the
 * `backendTaskId` the service looks the run up by. Nothing is kept between calls: the project
 * is found from the run (its description), tasks from their data (`sample_id`, run, page).
 */
export function labelStudioBackend(options: LabelStudioBackendOptions): AnnotationBackend {
  const params: LabelStudioParams = parseInput(
    labelStudioParamsSchema,
    options.params,
    'labelstudio backend params',
  );
  const { objects, secrets } = options;
  const clock = options.clock ?? (() => new Date());
  const client = new LabelStudioClient({ url: params.url, apiKey: params.api_key });
  const maximumByProject = new Map<number, Promise<number>>();

  return {
    capabilities: LABEL_STUDIO_CAPABILITIES,

    async upload(input: UploadContext): Promise<UploadResult> {
      const { run, page } = parseInput(uploadContextSchema, input, 'upload context');
      if (page.samples.length === 0) return { tasks: [] };
      // Read before signing, so the recorded expiry is never later than the link's.
      const signedAt = clock();
      // Everything that can refuse the input runs before anything is written.
      const prepared = await Promise.all(
        page.samples.map(async (sample) => ({
          sample,
          results: resultsOfSample(run.labelSchema, sample),
          image: await mediaLinkOf(
            sample,
            objects,
            params.media_url_expires_in,
            LABEL_STUDIO_CANNOT_LOAD,
          ),
        })),
      );
      const project = await ensureProject(client, run, {
        projectName: params.project_name,
        now: clock(),
      });
      const runRef = runRefOf(run);
      const listing = {
        projectId: project.id,
        runRef,
        page: page.index,
        pageSize: params.page_size,
      };
      // A retried upload finds the tasks its first attempt made and imports only the rest.
      let bySample = tasksBySample(await listPageTasks(client, listing));
      const missing = prepared.filter(({ sample }) => !bySample.has(sample.id));
      if (missing.length > 0) {
        const data = missing.map(({ sample, image, results }) => ({
          // Not shown to annotators; read back by `download` (see ExactGeometry).
          meta: { annoflow_geometry: results.geometry },
          data: {
            [IMAGE_NAME]: image,
            sample_id: sample.id,
            annoflow_run: runRef,
            annoflow_page: page.index,
          },
        }));
        await client.request('POST', `/api/projects/${project.id}/import`, { body: data });
        bySample = tasksBySample(await listPageTasks(client, listing));
      }
      const paired = prepared.map((entry) => {
        const task = bySample.get(entry.sample.id);
        if (task) return { ...entry, task };
        throw new BackendError(
          'BACKEND_RESPONSE_INVALID',
          `Label Studio project ${project.id} has no task for sample '${entry.sample.id}' after importing it`,
          { projectId: project.id, sampleId: entry.sample.id },
        );
      });
      const predictions = paired
        .filter(({ task, results }) => results.items.length > 0 && task.predictions.length === 0)
        .map(({ task, results }) => ({
          task: task.id,
          result: results.items,
          model_version: 'annoflow',
        }));
      if (predictions.length > 0) {
        await client.request('POST', `/api/projects/${project.id}/import/predictions`, {
          body: predictions,
        });
      }
      return {
        tasks: paired.map(({ sample, task }, position) => ({
          taskId: `${run.annoKey}-${pad(page.index, 5)}-${pad(position, 4)}`,
          backendTaskId: String(task.id),
          sampleIds: [sample.id],
          backendData: {
            projectId: project.id,
            [MEDIA_EXPIRES_AT]: isPresigned(sample, objects)
              ? mediaExpiry(signedAt, params.media_url_expires_in)
              : 'never',
          },
        })),
      };
    },

    async download(ctx: BackendContext, task: BackendTask): Promise<Annotations> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const lsTask = await getTask(task);
      if (lsTask === undefined) {
        throw new BackendError(
          'BACKEND_RESULT_MISSING',
          `Label Studio task ${task.backendTaskId} (task '${task.taskId}') no longer exists`,
          { taskId: task.taskId, backendTaskId: task.backendTaskId },
        );
      }
      const sampleId = sampleOf(task, lsTask);
      const latest = latestAnnotation(lsTask.annotations);
      const items = latest ? (latest.result ?? []) : (lsTask.predictions.at(-1)?.result ?? []);
      const geometry = geometryMetaSchema.safeParse(lsTask.meta);
      return annotationsOfResults(
        run.labelSchema,
        sampleId,
        items,
        task.backendTaskId,
        geometry.success ? geometry.data.annoflow_geometry : {},
      );
    },

    async status(_ctx: BackendContext, task: BackendTask): Promise<TaskStatus> {
      const lsTask = await getTask(task);
      if (lsTask === undefined) return { state: 'missing' };
      const projectId = projectIdOf(task) ?? numberOrUndefined(lsTask.project);
      const needed = projectId === undefined ? 1 : await maximumAnnotations(projectId);
      const done = lsTask.annotations.filter((annotation) => !annotation.was_cancelled);
      const latest = latestAnnotation(lsTask.annotations);
      const updatedAt = isoOrUndefined(latest?.updated_at ?? lsTask.updated_at);
      return {
        state: done.length >= needed ? 'completed' : 'open',
        ...(updatedAt ? { updatedAt } : {}),
      };
    },

    /**
     * Deletes the tasks, then the run's project once it holds no task (a failed page's
     * cleanup must not take the other pages' tasks with it). Anything already gone is fine.
     */
    async cleanup(ctx: BackendContext, tasks: readonly BackendTask[]): Promise<void> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const projectIds = new Set<number>();
      for (const task of tasks) {
        await client.request('DELETE', `/api/tasks/${task.backendTaskId}/`, { allow404: true });
        const projectId = projectIdOf(task);
        if (projectId !== undefined) projectIds.add(projectId);
      }
      const found = await findProject(client, run);
      if (found) projectIds.add(found.id);
      for (const projectId of projectIds) {
        const left = await client.request('GET', '/api/tasks/', {
          query: { project: projectId, page: 1, page_size: 1 },
          schema: taskPageSchema,
          allow404: true,
        });
        if (left !== undefined && left.tasks.length > 0) continue;
        await client.request('DELETE', `/api/projects/${projectId}/`, { allow404: true });
        await forgetProjectWebhook(secrets, projectId);
      }
    },

    async registerWebhooks(ctx: BackendContext): Promise<void> {
      if (!params.webhook_url) return;
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const project = await findProject(client, run);
      // A run with no samples made no project: there is nothing to hear about.
      if (project === undefined) return;
      await registerProjectWebhook(client, requireSecrets(secrets), project.id, params.webhook_url);
    },

    /** A fresh presigned `image` in the task's data (see `refresh-media.ts`). */
    refreshMedia: (ctx, task) =>
      refreshTaskImage(ctx, task, {
        client,
        objects,
        expiresInSeconds: params.media_url_expires_in,
        now: clock(),
        getTask,
      }),

    verifyWebhook: (request) => verifyDelivery(secrets, request),
    parseWebhook: (request) => parseDelivery(request),
  };

  /**
   * A project's `maximum_annotations`, read once per backend instance: a load plan asks the
   * status of every task of a run, and one project setting should not cost a request each.
   */
  function maximumAnnotations(projectId: number): Promise<number> {
    let known = maximumByProject.get(projectId);
    if (known === undefined) {
      known = getProject(client, projectId).then((project) => project?.maximum_annotations ?? 1);
      known.catch(() => maximumByProject.delete(projectId));
      maximumByProject.set(projectId, known);
    }
    return known;
  }

  async function getTask(task: BackendTask): Promise<LabelStudioTask | undefined> {
    if (!/^\d+$/.test(task.backendTaskId)) {
      throw new BackendError(
        'BACKEND_RESULT_INVALID',
        `Task '${task.taskId}' has backend task id '${task.backendTaskId}', which is not a Label Studio task id`,
        { taskId: task.taskId, backendTaskId: task.backendTaskId },
      );
    }
    return client.request('GET', `/api/tasks/${task.backendTaskId}/`, {
      schema: taskSchema,
      allow404: true,
    });
  }
}

function runRefOf(run: RunRef): string {
  return `${run.dataset}/${run.annoKey}`;
}

function tasksBySample(tasks: readonly LabelStudioTask[]): Map<string, LabelStudioTask> {
  const bySample = new Map<string, LabelStudioTask>();
  for (const task of tasks) {
    const data = taskDataSchema.safeParse(task.data);
    // The oldest task of a sample wins, should a race have imported one twice.
    if (data.success && !bySample.has(data.data.sample_id)) bySample.set(data.data.sample_id, task);
  }
  return bySample;
}

function sampleOf(task: BackendTask, lsTask: LabelStudioTask): string {
  const data = taskDataSchema.safeParse(lsTask.data);
  const sampleId = task.sampleIds[0];
  if (data.success && sampleId !== undefined && data.data.sample_id === sampleId) return sampleId;
  throw new BackendError(
    'BACKEND_RESULT_INVALID',
    `Label Studio task ${task.backendTaskId} does not show sample '${sampleId ?? '?'}' of task '${task.taskId}'`,
    { taskId: task.taskId, backendTaskId: task.backendTaskId },
  );
}

/** The annotation that counts (FiftyOne's rule): the latest updated, skipped ones aside. */
function latestAnnotation(
  annotations: readonly LabelStudioAnnotation[],
): LabelStudioAnnotation | undefined {
  return annotations
    .filter((annotation) => !annotation.was_cancelled)
    .reduce<LabelStudioAnnotation | undefined>((latest, annotation) => {
      if (latest === undefined) return annotation;
      const a = Date.parse(annotation.updated_at ?? '') || 0;
      const b = Date.parse(latest.updated_at ?? '') || 0;
      return a > b || (a === b && annotation.id > latest.id) ? annotation : latest;
    }, undefined);
}

function projectIdOf(task: BackendTask): number | undefined {
  const parsed = backendDataSchema.safeParse(task.backendData);
  return parsed.success ? parsed.data.projectId : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function isoOrUndefined(text: string | undefined): string | undefined {
  const time = Date.parse(text ?? '');
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
