import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { BackendError, InvalidInputError, parseInput } from '../../errors/index.js';
import type { Annotations } from '../../merge/contract.js';
import { CVAT_CAPABILITIES } from '../../schema/capabilities.js';
import {
  type AnnotationBackend,
  type BackendContext,
  type BackendTask,
  backendContextSchema,
  type RunRef,
  type TaskStatus,
  type UploadContext,
  type UploadResult,
  uploadContextSchema,
} from '../backend.js';
import type { BackendFactory } from '../custom-module.js';
import type { BackendObjectStore } from '../object-store.js';
import type { BackendSecretStore } from '../secrets.js';
import {
  type CvatJob,
  type CvatLabeledData,
  dataMetaSchema,
  jobSchema,
  labeledDataSchema,
  labelSchema,
  taskSchema,
  webhookSchema,
} from './api.js';
import { CvatClient } from './client.js';
import { FULL_RANGE, frameRangeSchema } from './frame-range.js';
import { fromCvatAnnotations } from './from-cvat.js';
import { type IdentityReport, identityReportKey, writeIdentityReport } from './identity.js';
import { planCvatLabels } from './label-specs.js';
import { pageMedia } from './media.js';
import { type CvatParams, cvatParamsSchema, isJobFinished } from './params.js';
import { findProject, projectLabels } from './projects.js';
import { schemalessPlan, schemalessProject } from './schemaless.js';
import {
  jobCacheKey,
  readJobCache,
  readTaskData,
  taskDataKey,
  writeJobCache,
} from './task-data.js';
import { type CvatUploadEnv, taskSamples, uploadTask } from './upload.js';
import {
  CVAT_WEBHOOK_EVENTS,
  parseCvatWebhook,
  verifyCvatWebhook,
  webhookSecretName,
} from './webhook.js';

/** What a task record keeps of its CVAT task (small: the rest is in `cvat/tasks/<id>.json`). */
export const cvatTaskDataSchema = z.object({
  projectId: z.number().int(),
  projectOwned: z.boolean(),
  jobIds: z.array(z.number().int()),
  /** A video task: one sample whose frames are the task's frames. */
  video: z.boolean().optional(),
  /** A video task showing only some frames: which (absent: all). */
  frameRange: frameRangeSchema.optional(),
});

export interface CvatBackendOptions {
  readonly params?: unknown;
  readonly objects: BackendObjectStore;
  readonly secrets?: BackendSecretStore;
  /** Structured log lines (the workflow's `deps.log`); silent when absent. Never given label contents. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** `createCvatBackend` as the registry calls it. */
export const createCvatBackend: BackendFactory = ({ params, objects, secrets, log }) =>
  cvatBackend({ params, objects, ...(secrets ? { secrets } : {}), ...(log ? { log } : {}) });

/**
 * The CVAT backend (issue #5): a run's pages become CVAT tasks in a project, split into
 * jobs; a task is finished when all its annotation jobs are (`finished_when`); downloads
 * read job by job and only the jobs that changed since the last download. See `README.md`.
 */
export function cvatBackend(options: CvatBackendOptions): AnnotationBackend {
  const params: CvatParams = parseInput(
    cvatParamsSchema,
    options.params ?? {},
    'CVAT backend params',
  );
  const { objects, secrets } = options;
  const log = options.log ?? (() => undefined);
  const client = new CvatClient(params);
  const env: CvatUploadEnv = { client, params, objects, users: new Map() };

  return {
    capabilities: CVAT_CAPABILITIES,

    async checkRun(ctx: BackendContext): Promise<void> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      if (run.schemaless === true) await schemalessProject(client, params);
    },

    async upload(input: UploadContext): Promise<UploadResult> {
      const { run, page } = parseInput(uploadContextSchema, input, 'upload context');
      if (page.samples.length === 0) return { tasks: [] };
      // Every sample's media is resolved first: a sample CVAT cannot read creates nothing.
      const media = await pageMedia(env, page.samples);
      const plan = planCvatLabels(run.labelSchema, params);
      const project = await runProject(run, { create: true });
      if (!project) throw new BackendError('BACKEND_RESPONSE_INVALID', 'CVAT project not found');
      const labels = await projectLabels(client, project.id);
      const groups = taskSamples(page.samples, params.task_size);
      const tasks = [];
      for (const [part, samples] of groups.entries()) {
        tasks.push(
          await uploadTask(env, run, {
            pageIndex: page.index,
            part,
            parts: groups.length,
            samples,
            media,
            project,
            plan,
            labels,
          }),
        );
      }
      return { tasks };
    },

    async download(ctx: BackendContext, task: BackendTask): Promise<Annotations> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const cvatTaskId = cvatTaskIdOf(task);
      const jobs = await annotationJobs(cvatTaskId);
      if (jobs.length === 0) {
        throw new BackendError(
          'BACKEND_RESULT_MISSING',
          `CVAT task ${cvatTaskId} of task '${task.taskId}' has no jobs (deleted?)`,
          { taskId: task.taskId, cvatTaskId },
        );
      }
      // A partial download would delete the labels of the unfinished jobs' samples.
      const open = jobs.filter((job) => !isJobFinished(job, params.finished_when));
      if (open.length > 0) {
        throw new BackendError(
          'BACKEND_RESULT_MISSING',
          `CVAT task ${cvatTaskId} of task '${task.taskId}' is not finished: jobs ${open.map((job) => job.id).join(', ')} are still open`,
          { taskId: task.taskId, cvatTaskId, openJobs: open.map((job) => job.id) },
        );
      }
      const taskData = await readTaskData(objects, run, cvatTaskId);
      const { data: meta } = await client.request('GET', `/api/tasks/${cvatTaskId}/data/meta`, {
        schema: dataMetaSchema,
      });
      const video = taskDataOf(task)?.video === true;
      const frames = meta?.frames ?? [];
      // Items on frames we cannot place would be dropped, and their labels read as deleted.
      if (frames.length !== (video ? 1 : task.sampleIds.length)) {
        throw new BackendError(
          'BACKEND_RESPONSE_INVALID',
          `CVAT task ${cvatTaskId} has ${frames.length} frame entries for the ${task.sampleIds.length} samples of task '${task.taskId}'`,
          { taskId: task.taskId, cvatTaskId },
        );
      }
      const labels = await client.list('/api/labels', labelSchema, { task_id: cvatTaskId });
      // A schemaless run's schema is its project's labels (see schemaless.ts).
      const plan =
        run.schemaless === true
          ? schemalessPlan(labels, params)
          : planCvatLabels(run.labelSchema, params);
      const data: CvatLabeledData = { shapes: [], tags: [], tracks: [] };
      for (const job of jobs) {
        const annotations = await jobAnnotations(run, cvatTaskId, job);
        data.shapes.push(...annotations.shapes);
        data.tags.push(...annotations.tags);
        data.tracks.push(...annotations.tracks);
      }
      let identity: IdentityReport | undefined;
      const annotations = fromCvatAnnotations({
        cvatTaskId,
        data,
        sampleIds: task.sampleIds,
        frames,
        plan,
        labelSchema: run.labelSchema,
        labels: new Map(labels.map((label) => [label.id, label])),
        serverIds: taskData?.serverIds ?? {},
        uploaded: taskData?.uploaded ?? [],
        maskOriginals: taskData?.maskOriginals ?? {},
        geometryMatchThreshold: params.geometry_match_threshold,
        onIdentity: (report) => {
          identity = report;
        },
        ...(video
          ? {
              video: true,
              jobs: jobs.map((job) => ({ start: job.start_frame, stop: job.stop_frame })),
              trackPieces: taskData?.trackPieces ?? {},
              frameCount: meta?.size ?? 0,
              frameRange: taskDataOf(task)?.frameRange ?? FULL_RANGE,
            }
          : {}),
      });
      if (identity) await recordIdentity(run, task, identity);
      return annotations;
    },

    async status(_ctx: BackendContext, task: BackendTask): Promise<TaskStatus> {
      const cvatTaskId = cvatTaskIdOf(task);
      const jobs = await annotationJobs(cvatTaskId);
      if (jobs.length === 0) {
        const { status } = await client.request('GET', `/api/tasks/${cvatTaskId}`, {
          accept: [404],
        });
        return status === 404 ? { state: 'missing' } : { state: 'open' };
      }
      const updated = jobs.map((job) => Date.parse(job.updated_date)).filter(Number.isFinite);
      const updatedAt =
        updated.length > 0 ? new Date(Math.max(...updated)).toISOString() : undefined;
      const done = jobs.every((job) => isJobFinished(job, params.finished_when));
      return { state: done ? 'completed' : 'open', ...(updatedAt ? { updatedAt } : {}) };
    },

    async cleanup(ctx: BackendContext, tasks: readonly BackendTask[]): Promise<void> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const owned = new Set<number>();
      const projects = new Set<number>();
      for (const task of tasks) {
        const cvatTaskId = cvatTaskIdOf(task);
        await client.request('DELETE', `/api/tasks/${cvatTaskId}`, { accept: [404] });
        const data = taskDataOf(task);
        await objects.delete(taskDataKey(run, cvatTaskId));
        await objects.delete(identityReportKey(run, cvatTaskId));
        for (const jobId of data?.jobIds ?? [])
          await objects.delete(jobCacheKey(run, cvatTaskId, jobId));
        if (data?.projectOwned) owned.add(data.projectId);
        if (data) projects.add(data.projectId);
      }
      for (const projectId of projects) {
        if (owned.has(projectId) && (await deleteProjectIfEmpty(projectId))) continue;
        // A project the run did not make (the user's, or one another run still uses) stays;
        // the run's own webhook on it must not, or it posts every later job change to us.
        await deleteRunWebhooks(projectId, run);
      }
    },

    async registerWebhooks(ctx: BackendContext): Promise<void> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const target = params.webhook_url;
      if (target === undefined) return;
      if (secrets === undefined) {
        throw new BackendError(
          'BACKEND_UNSUPPORTED',
          'CVAT webhooks need a secret store to keep their signing secret; none is configured',
          {},
        );
      }
      const project = await runProject(run, { create: false });
      if (!project) return;
      const hooks = await client.list('/api/webhooks', webhookSchema, {
        project_id: project.id,
        target_url: target,
      });
      for (const hook of hooks) {
        if (hook.target_url !== target || hook.description !== webhookDescription(run)) continue;
        if (await secrets.get(webhookSecretName(hook.id))) return;
        // A hook whose secret was lost cannot be verified: replace it.
        await client.request('DELETE', `/api/webhooks/${hook.id}`, { accept: [404] });
      }
      const secret = randomBytes(32).toString('hex');
      const { data } = await client.request('POST', '/api/webhooks', {
        body: {
          target_url: target,
          description: webhookDescription(run),
          type: 'project',
          project_id: project.id,
          events: [...CVAT_WEBHOOK_EVENTS],
          content_type: 'application/json',
          secret,
          is_active: true,
          enable_ssl: target.startsWith('https:'),
        },
        schema: webhookSchema,
      });
      if (!data) throw new BackendError('BACKEND_RESPONSE_INVALID', 'CVAT created no webhook');
      await secrets.put(webhookSecretName(data.id), secret);
    },

    verifyWebhook: (request) => verifyCvatWebhook(request, secrets),
    parseWebhook: (request) => parseCvatWebhook(request, params.finished_when),
  };

  /** The task's annotation jobs; ground-truth and consensus jobs are not the annotators' work. */
  async function annotationJobs(cvatTaskId: number): Promise<CvatJob[]> {
    const jobs = await client.list('/api/jobs', jobSchema, { task_id: cvatTaskId });
    return jobs.filter((job) => job.task_id === cvatTaskId && job.type === 'annotation');
  }

  async function jobAnnotations(
    run: RunRef,
    cvatTaskId: number,
    job: CvatJob,
  ): Promise<CvatLabeledData> {
    const cached = await readJobCache(objects, run, cvatTaskId, job.id, job.updated_date);
    if (cached) return cached;
    const { data } = await client.request('GET', `/api/jobs/${job.id}/annotations`, {
      schema: labeledDataSchema,
    });
    const fetched = data ?? { shapes: [], tags: [], tracks: [] };
    await writeJobCache(objects, run, cvatTaskId, job.id, {
      updatedDate: job.updated_date,
      data: fetched,
    });
    return fetched;
  }

  /**
   * Ids handed out by geometry are guesses: kept where a user can audit them after the load,
   * and counted (never shown) in the log.
   */
  async function recordIdentity(run: RunRef, task: BackendTask, report: IdentityReport) {
    await writeIdentityReport(objects, run, report);
    if (report.counts.geometry === 0) return;
    log({
      level: 'info',
      message: 'CVAT items identified by geometry',
      taskId: task.taskId,
      cvatTaskId: report.cvatTaskId,
      threshold: report.threshold,
      ...report.counts,
      report: identityReportKey(run, report.cvatTaskId),
    });
  }

  /**
   * The run's project: a schemaless run's is the user's, which must exist; any other run's is
   * found by name (or id), and made when `create` and missing.
   */
  async function runProject(run: RunRef, options: { create: boolean }) {
    if (run.schemaless === true) return schemalessProject(client, params);
    const plan = planCvatLabels(run.labelSchema, params);
    return findProject(client, params, run, plan, options);
  }

  /** @returns whether the project is gone (deleted now, or before). */
  async function deleteProjectIfEmpty(projectId: number): Promise<boolean> {
    const { status } = await client.request('GET', `/api/projects/${projectId}`, { accept: [404] });
    if (status === 404) return true;
    const left = await client.list('/api/tasks', taskSchema, { project_id: projectId });
    if (left.some((task) => task.project_id === projectId)) return false;
    const hooks = await client.list('/api/webhooks', webhookSchema, { project_id: projectId });
    await client.request('DELETE', `/api/projects/${projectId}`, { accept: [404] });
    // CVAT deletes the project's webhooks with it; their secrets go too.
    for (const hook of hooks) await secrets?.delete(webhookSecretName(hook.id));
    return true;
  }

  /** The run's webhook on a project that stays (found by its description, whatever its URL). */
  async function deleteRunWebhooks(projectId: number, run: BackendContext['run']): Promise<void> {
    const hooks = await client.list('/api/webhooks', webhookSchema, { project_id: projectId });
    for (const hook of hooks) {
      if (hook.project_id !== projectId || hook.description !== webhookDescription(run)) continue;
      await client.request('DELETE', `/api/webhooks/${hook.id}`, { accept: [404] });
      await secrets?.delete(webhookSecretName(hook.id));
    }
  }
}

function cvatTaskIdOf(task: BackendTask): number {
  const id = Number(task.backendTaskId);
  if (!Number.isInteger(id) || id <= 0) {
    throw new InvalidInputError(
      `Task '${task.taskId}' has backend task id '${task.backendTaskId}', which is not a CVAT task id`,
      { taskId: task.taskId, backendTaskId: task.backendTaskId },
    );
  }
  return id;
}

/**
 * Names the run a webhook belongs to. Each run has its own on a project, even one another run
 * already watches, so cleaning up one run can delete its webhook without silencing the other.
 */
function webhookDescription(run: { dataset: string; annoKey: string }): string {
  return `annoflow ${run.dataset}/${run.annoKey}`;
}

function taskDataOf(task: BackendTask): z.infer<typeof cvatTaskDataSchema> | undefined {
  const parsed = cvatTaskDataSchema.safeParse(task.backendData ?? {});
  return parsed.success ? parsed.data : undefined;
}
