import { z } from 'zod';
import type { Annotations } from '../merge/contract.js';
import { type BackendCapabilities, labelSchemaSchema } from '../schema/types.js';
import { uploadSampleSchema } from '../schema/upload-sample.js';

/**
 * What a backend knows of the run it serves. The workflows pass the run record's own values,
 * so a backend never reads the store; every call carries it, so backends stay stateless and
 * any Lambda can serve any call.
 */
export const runRefSchema = z.object({
  dataset: z.string().min(1),
  annoKey: z.string().min(1),
  /**
   * The run's object key: a backend keeps its objects under `runs/<dataset>/<objectKey>/`
   * (see `objectKeyOf`), never under the run key, which a rename changes and a later run
   * may reuse. Absent: the run key (a caller from before object keys).
   */
  objectKey: z.string().min(1).optional(),
  /** The built label schema (`buildLabelSchema`), as stored on the run. */
  labelSchema: labelSchemaSchema,
  /**
   * When the run was created: tells this run's leftovers in the tool or under the run's
   * object prefix from those of a former run under the same key (deleted, or renamed away).
   */
  createdAt: z.string().min(1).optional(),
  /**
   * A schemaless run (`labelSchema` and `labelField` omitted, SEMANTICS §3.1): its label
   * schema is empty, the tool's own project is the schema, media is uploaded without labels,
   * and every label the tool returns belongs under `SCHEMALESS_KEY` in the download.
   */
  schemaless: z.boolean().optional(),
});
export type RunRef = z.infer<typeof runRefSchema>;

export const backendContextSchema = z.object({ run: runRefSchema });
export type BackendContext = z.infer<typeof backendContextSchema>;

/**
 * One page of the run's samples, as the core's `prepareUpload` made them. `index` is the
 * page's position in the run (0-based): with the run key it names the page, so a retried
 * upload of a page addresses the same tool-side task instead of creating a second one.
 */
export const uploadPageSchema = z.object({
  index: z.number().int().nonnegative(),
  samples: z.array(uploadSampleSchema),
});
export type UploadPage = z.infer<typeof uploadPageSchema>;

export const uploadContextSchema = backendContextSchema.extend({ page: uploadPageSchema });
export type UploadContext = z.infer<typeof uploadContextSchema>;

/**
 * A task the tool holds: our id for it (unique within the run), the tool's own id (unique
 * within the backend, as its webhooks name it, so a webhook finds its run), the samples it
 * covers, and anything else the backend needs later (jobs, projects).
 */
export const backendTaskSchema = z.object({
  taskId: z.string().min(1),
  backendTaskId: z.string().min(1),
  sampleIds: z.array(z.string().min(1)),
  backendData: z.record(z.string(), z.unknown()).optional(),
  /**
   * Video samples the tool shows only some frames of (e.g. every other one): the ids of the
   * frames it shows. The task's id map keeps only those frames, so labels on the others are
   * neither edited nor deleted by the merge. Absent: every frame is shown.
   */
  shownFrames: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
});
export type BackendTask = z.infer<typeof backendTaskSchema>;

/**
 * What `upload` created. There is no id map here on purpose: which labels were sent for
 * editing is decided by the core (`prepareUpload` returns the page's id map with the
 * samples), before any backend sees them, so deletions never depend on a tool's bookkeeping.
 * The workflow stores that slice on each task record.
 */
export const uploadResultSchema = z.object({ tasks: z.array(backendTaskSchema) });
export type UploadResult = z.infer<typeof uploadResultSchema>;

/**
 * Where a task stands in the tool: `missing` when the tool no longer has it (deleted by
 * hand), which the load skips — FiftyOne forgets deleted CVAT tasks (SEMANTICS §9.6).
 */
export const taskStatusSchema = z.object({
  state: z.enum(['open', 'completed', 'missing']),
  updatedAt: z.iso.datetime().optional(),
});
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/**
 * Where a task's media lives, for a backend to sign fresh links to: the sweeper reads it
 * from the samples, so a backend needs no copy of it on the task record.
 */
export const mediaRefSchema = z.object({
  sampleId: z.string().min(1),
  filepath: z.string().min(1),
});
export type MediaRef = z.infer<typeof mediaRefSchema>;

export const refreshMediaContextSchema = backendContextSchema.extend({
  media: z.array(mediaRefSchema),
});
export type RefreshMediaContext = z.infer<typeof refreshMediaContextSchema>;

/**
 * When the task's links expire now (the earliest of them); absent when none of them does
 * (media at plain http(s) URLs).
 */
export const refreshMediaResultSchema = z.object({ expiresAt: z.iso.datetime().optional() });
export type RefreshMediaResult = z.infer<typeof refreshMediaResultSchema>;

/**
 * The `backendData` key recording when a task's media links expire: an ISO time, or `never`.
 * Backends that presign write it at upload, the sweeper after each refresh; a task without
 * it (recorded before it existed) counts as expiring now.
 */
export const MEDIA_EXPIRES_AT = 'mediaExpiresAt';
export const mediaExpiresAtSchema = z.union([z.iso.datetime(), z.literal('never')]);
export type MediaExpiresAt = z.infer<typeof mediaExpiresAtSchema>;

/** The `mediaExpiresAt` value for links signed at `now` for `expiresInSeconds`. */
export function mediaExpiry(now: Date, expiresInSeconds: number): string {
  return new Date(now.getTime() + expiresInSeconds * 1000).toISOString();
}

/**
 * A webhook delivery as received: headers (names in any case; see `headerValue`) and the
 * body exactly as sent, since signatures are computed over the raw bytes.
 */
export const webhookRequestSchema = z.object({
  headers: z.record(z.string(), z.string().optional()),
  rawBody: z.string(),
});
export type WebhookRequest = z.infer<typeof webhookRequestSchema>;

export const webhookEventTypeSchema = z.enum([
  'task.completed',
  'task.updated',
  'task.deleted',
  'ping',
]);

/**
 * A tool's notification, normalized. `revision` identifies the task's state the event is
 * about (a sequencer, an update time), so a repeated delivery of one event starts one load
 * and a new revision starts another.
 */
export const webhookEventSchema = z.object({
  type: webhookEventTypeSchema,
  backendTaskId: z.string().min(1).optional(),
  revision: z.string().min(1).optional(),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
export const webhookEventsSchema = z.array(webhookEventSchema);

/**
 * An annotation tool behind annoflow (SEMANTICS §4), shaped for Step Functions: every call
 * handles one page or one task, holds no state between calls, and is idempotent, so a retry,
 * a duplicate webhook or a re-run of a workflow changes nothing twice.
 */
export interface AnnotationBackend {
  /** What the tool supports; `buildLabelSchema` checks a run against it (SEMANTICS §4.2). */
  readonly capabilities: BackendCapabilities;

  /**
   * Optional: checks, before the run is registered, what only the tool can tell (e.g. that
   * the project a schemaless run names exists), so a run bound to fail at upload is never
   * registered. Reads only; throws an `AnnoflowError` under a stable code.
   */
  checkRun?(ctx: BackendContext): Promise<void>;

  /**
   * Creates (or, on a retry, rewrites) the tool-side task(s) for one page. Tasks are named
   * deterministically from the run and the page index, never randomly.
   */
  upload(ctx: UploadContext): Promise<UploadResult>;

  /**
   * The annotations of one task, in the core's download contract (SEMANTICS §4.4), covering
   * that task's samples only, so the merge of a task never touches another task's samples.
   * Labels that were uploaded keep their ids; anything else is new.
   */
  download(ctx: BackendContext, task: BackendTask): Promise<Annotations>;

  status(ctx: BackendContext, task: BackendTask): Promise<TaskStatus>;

  /** Deletes the tool-side tasks. Idempotent: a task already gone is not an error. */
  cleanup(ctx: BackendContext, tasks: readonly BackendTask[]): Promise<void>;

  /**
   * Optional, for tools that show media through expiring links (presigned S3 GETs live at
   * most 7 days): signs fresh links for the task's media and puts them into the tool's task
   * in place, keeping its annotations. A constant number of requests per sample, never per
   * label. Tools that copied the media, or cannot update it, leave this out.
   */
  refreshMedia?(ctx: RefreshMediaContext, task: BackendTask): Promise<RefreshMediaResult>;

  /** Tells the tool where to send its notifications; a no-op for tools that need nothing. */
  registerWebhooks(ctx: BackendContext): Promise<void>;

  /**
   * Whether a delivery really comes from the tool. Secrets must be compared in constant
   * time (`timingSafeEqualText`), over `rawBody`, never a re-serialized body.
   */
  verifyWebhook(request: WebhookRequest): boolean | Promise<boolean>;

  /** The delivery's events, normalized. Call only after {@link verifyWebhook} said yes. */
  parseWebhook(request: WebhookRequest): WebhookEvent[];
}
