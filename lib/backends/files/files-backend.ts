import { z } from 'zod';
import { BackendError, InvalidInputError, parseInput } from '../../errors/index.js';
import type { Annotations } from '../../merge/contract.js';
import { objectKeyOf } from '../../runs/keys.js';
import { FILES_CAPABILITIES } from '../../schema/capabilities.js';
import {
  type AnnotationBackend,
  type BackendContext,
  type BackendTask,
  backendContextSchema,
  MEDIA_EXPIRES_AT,
  mediaExpiry,
  refreshMediaContextSchema,
  type TaskStatus,
  type UploadContext,
  type UploadResult,
  uploadContextSchema,
} from '../backend.js';
import { isPresigned, MEDIA_URL_EXPIRY_SECONDS, mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import { type ResultIssue, resultIssueSchema } from './issues.js';
import {
  backendTaskIdOf,
  filesTaskId,
  manifestKey,
  parseBackendTaskId,
  reportKey,
  resultKey,
  type TaskLocation,
} from './keys.js';
import { FILES_FORMAT_VERSION, type TaskManifest } from './manifest.js';
import { refreshManifestLinks } from './refresh-media.js';
import { resultToAnnotations } from './result.js';
import { parseS3Trigger, verifyS3Trigger } from './s3-trigger.js';

/**
 * A result is read whole into memory (it is one page), so its size is capped: 64 MiB holds
 * a thousand samples with dense labels; masks larger than that belong in `mask_path`s.
 */
export const DEFAULT_MAX_RESULT_BYTES = 64 * 1024 * 1024;

/** The backend's params in the annotation config, named as FiftyOne names params. */
export const filesBackendParamsSchema = z.looseObject({
  /** How long the manifests' media links live, in seconds (at most 7 days). */
  media_url_expires_in: z
    .number()
    .int()
    .min(1)
    .max(MEDIA_URL_EXPIRY_SECONDS)
    .default(MEDIA_URL_EXPIRY_SECONDS),
  max_result_bytes: z.number().int().positive().default(DEFAULT_MAX_RESULT_BYTES),
});
export type FilesBackendParams = z.input<typeof filesBackendParamsSchema>;

/** `results/<taskId>.report.json`: why a result was rejected, beside it, for the vendor. */
export const resultReportSchema = z.object({
  version: z.literal(FILES_FORMAT_VERSION),
  taskId: z.string(),
  result: z.object({ key: z.string(), etag: z.string().optional() }),
  checkedAt: z.iso.datetime(),
  valid: z.literal(false),
  /** How many problems there were; `issues` lists the first hundred. */
  issueCount: z.number().int().positive(),
  issues: z.array(resultIssueSchema),
});
export type ResultReport = z.infer<typeof resultReportSchema>;

export interface FilesBackendOptions {
  /** The media bucket (the store's `MediaStore`): manifests, results and media live there. */
  readonly objects: BackendObjectStore;
  readonly params?: FilesBackendParams;
  readonly clock?: () => Date;
}

/** How many S3 calls a cleanup runs at once. */
const CLEANUP_CONCURRENCY = 16;

/**
 * annoflow's own backend, the embedded default: a task is a JSON manifest in S3, and the
 * annotator (a vendor, a script, a person with an editor) finishes it by uploading the
 * manifest back, edited, as the task's result. See `README.md` beside this file for the
 * format. Nothing is kept between calls: every call finds its files from the task alone.
 */
export function createFilesBackend(options: FilesBackendOptions): AnnotationBackend {
  const { objects } = options;
  const params = parseInput(filesBackendParamsSchema, options.params ?? {}, 'files backend params');
  const clock = options.clock ?? (() => new Date());

  return {
    capabilities: FILES_CAPABILITIES,

    async upload(input: UploadContext): Promise<UploadResult> {
      const { run, page } = parseInput(uploadContextSchema, input, 'upload context');
      // An empty page has nothing to annotate: no task, rather than an empty one.
      if (page.samples.length === 0) return { tasks: [] };
      const location: TaskLocation = {
        dataset: run.dataset,
        objectKey: objectKeyOf(run),
        taskId: filesTaskId(run.annoKey, page.index),
      };
      const key = manifestKey(location);
      // Only a run that is not open yet uploads, so no annotator of it has delivered; and its
      // object key was chosen with nothing under it. A result here was put by hand since, and
      // this task would be taken as finished with it. Refused, never deleted: it may be all
      // that is left of someone's delivery.
      const stale = resultKey(location);
      if ((await objects.stat(stale)) !== undefined) {
        throw new BackendError(
          'BACKEND_REQUEST_FAILED',
          `Task '${location.taskId}' already has a result, at ${stale}: an earlier run ` +
            `left it. Move that run's results away, or annotate under another key`,
          { taskId: location.taskId, resultKey: stale },
        );
      }
      const signedAt = clock();
      // Every link is made before anything is written, so a bad filepath writes nothing.
      const samples = await Promise.all(
        page.samples.map(async (sample) => ({
          id: sample.id,
          filepath: sample.filepath,
          mediaUrl: await mediaLinkOf(
            sample,
            objects,
            params.media_url_expires_in,
            'the files backend cannot link',
          ),
          media_type: sample.media_type,
          metadata: sample.metadata,
          fields: sample.fields,
          ...(sample.frames ? { frames: sample.frames } : {}),
        })),
      );
      const manifest: TaskManifest = {
        version: FILES_FORMAT_VERSION,
        dataset: run.dataset,
        annoKey: run.annoKey,
        taskId: location.taskId,
        // Spelled out: the folder is the run's object key, which need not be its run key.
        resultKey: stale,
        labelSchema: run.labelSchema,
        samples,
      };
      await objects.put(key, JSON.stringify(manifest), 'application/json');
      return {
        tasks: [
          {
            taskId: location.taskId,
            backendTaskId: backendTaskIdOf(location),
            sampleIds: page.samples.map((sample) => sample.id),
            backendData: {
              [MEDIA_EXPIRES_AT]: page.samples.some((sample) => isPresigned(sample, objects))
                ? mediaExpiry(signedAt, params.media_url_expires_in)
                : 'never',
            },
          },
        ],
      };
    },

    async download(ctx: BackendContext, task: BackendTask): Promise<Annotations> {
      const { run } = parseInput(backendContextSchema, ctx, 'backend context');
      const location = locate(task);
      const key = resultKey(location);
      const stat = await objects.stat(key);
      if (stat === undefined) throw resultMissing(location, key);
      const reject = (issues: ResultIssue[], issueCount: number, etag?: string) =>
        rejectResult({ location, key, etag, issues, issueCount });

      const tooLarge = (size: string, etag: string | undefined) =>
        reject(
          [
            {
              path: '',
              message: `is ${size} bytes; a result may be at most ${params.max_result_bytes}`,
            },
          ],
          1,
          etag,
        );
      if (stat.size > params.max_result_bytes) return tooLarge(String(stat.size), stat.etag);
      // Bounded again: a larger result may have been uploaded since the size was checked.
      const object = await objects.read(key, { maxBytes: params.max_result_bytes });
      if (object === undefined) throw resultMissing(location, key);
      if (object.body.byteLength > params.max_result_bytes) {
        return tooLarge(`more than ${params.max_result_bytes}`, object.etag);
      }
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(object.body));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return reject([{ path: '', message: `is not UTF-8 JSON: ${message}` }], 1, object.etag);
      }
      const conversion = resultToAnnotations(raw, {
        labelSchema: run.labelSchema,
        taskId: location.taskId,
        sampleIds: task.sampleIds,
      });
      if (!conversion.ok) return reject(conversion.issues, conversion.issueCount, object.etag);
      return conversion.annotations;
    },

    async status(_ctx: BackendContext, task: BackendTask): Promise<TaskStatus> {
      const location = locate(task);
      const result = await objects.stat(resultKey(location));
      if (result) return withUpdatedAt('completed', result.lastModified);
      const manifest = await objects.stat(manifestKey(location));
      if (manifest) return withUpdatedAt('open', manifest.lastModified);
      return { state: 'missing' };
    },

    /**
     * Deletes the task manifests only. Results and reports stay, as the record of what the
     * annotators delivered and why a delivery was refused (audit), and so a load after a
     * cleanup still finds them. S3 deletes are idempotent, so a second cleanup is fine.
     */
    async cleanup(_ctx: BackendContext, tasks: readonly BackendTask[]): Promise<void> {
      const keys = tasks.map((task) => manifestKey(locate(task)));
      for (let start = 0; start < keys.length; start += CLEANUP_CONCURRENCY) {
        await Promise.all(
          keys.slice(start, start + CLEANUP_CONCURRENCY).map((key) => objects.delete(key)),
        );
      }
    },

    /** The manifest again, with fresh links (see `refresh-media.ts`). */
    refreshMedia: async (ctx, task) => {
      parseInput(refreshMediaContextSchema, ctx, 'refresh media context');
      return refreshManifestLinks(locate(task), {
        objects,
        expiresInSeconds: params.media_url_expires_in,
        now: clock(),
      });
    },

    /** Nothing to register: the service's S3 notification on result keys is the webhook. */
    async registerWebhooks(): Promise<void> {},

    verifyWebhook: (request) => verifyS3Trigger(request, objects.bucket),
    parseWebhook: (request) => parseS3Trigger(request, objects.bucket),
  };

  async function rejectResult(rejection: {
    location: TaskLocation;
    key: string;
    etag: string | undefined;
    issues: ResultIssue[];
    issueCount: number;
  }): Promise<never> {
    const { location, key, etag, issues, issueCount } = rejection;
    const report: ResultReport = {
      version: FILES_FORMAT_VERSION,
      taskId: location.taskId,
      result: { key, ...(etag ? { etag } : {}) },
      checkedAt: clock().toISOString(),
      valid: false,
      issueCount,
      issues,
    };
    const written = reportKey(location);
    await objects.put(written, JSON.stringify(report, null, 2), 'application/json');
    const first = issues[0];
    const where = first && first.path !== '' ? ` at '${first.path}'` : '';
    throw new BackendError(
      'BACKEND_RESULT_INVALID',
      `Result of task '${location.taskId}' is invalid${where}: ${first?.message ?? 'unknown problem'}` +
        ` (${issueCount} problem${issueCount === 1 ? '' : 's'}; see ${written})`,
      {
        taskId: location.taskId,
        resultKey: key,
        reportKey: written,
        issueCount,
        issues: issues.slice(0, 10),
      },
    );
  }
}

/** @throws InvalidInputError when the task's ids are not this backend's, or disagree. */
function locate(task: BackendTask): TaskLocation {
  const location = parseBackendTaskId(task.backendTaskId);
  if (location.taskId !== task.taskId) {
    throw new InvalidInputError(
      `Files backend task '${task.taskId}' has backend task id '${task.backendTaskId}', which names task '${location.taskId}'`,
      { taskId: task.taskId, backendTaskId: task.backendTaskId },
    );
  }
  return location;
}

function resultMissing(location: TaskLocation, key: string): BackendError {
  return new BackendError(
    'BACKEND_RESULT_MISSING',
    `Task '${location.taskId}' has no result yet: nothing at ${key}`,
    { taskId: location.taskId, resultKey: key },
  );
}

function withUpdatedAt(state: TaskStatus['state'], at: Date | undefined): TaskStatus {
  return at ? { state, updatedAt: at.toISOString() } : { state };
}
