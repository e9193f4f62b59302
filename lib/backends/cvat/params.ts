import { z } from 'zod';

/** SigV4's longest validity: CVAT downloads the media when the task is created. */
import { MEDIA_URL_EXPIRY_SECONDS } from '../media-links.js';

/**
 * The CVAT backend's params, with FiftyOne's names (`FIFTYONE_CVAT_<NAME>` in the env,
 * `backends.cvat.<name>` in the annotation config). Credentials are read here and never
 * logged nor stored on the run; `password` may arrive as a number from the env parser
 * (SEMANTICS §8.4), hence the coercion.
 */
export const cvatParamsSchema = z
  .looseObject({
    url: z
      .url()
      .default('https://app.cvat.ai')
      .transform((url) => url.replace(/\/+$/, '')),
    username: z.string().min(1).optional(),
    password: z
      .union([z.string(), z.number()])
      .transform((value) => String(value))
      .optional(),
    email: z.string().optional(),
    /** An API token (`Authorization: Token <key>`); preferred over a password login. */
    token: z.string().min(1).optional(),
    /** Extra headers on every request (e.g. a proxy's auth). */
    headers: z.record(z.string(), z.string()).optional(),
    /** Organization slug, sent as `X-Organization`. */
    organization: z.string().min(1).optional(),
    project_name: z.string().min(1).max(256).optional(),
    project_id: z.number().int().positive().optional(),
    /** Samples per CVAT task; a page becomes `ceil(page / task_size)` tasks. Default: one task. */
    task_size: z.number().int().positive().optional(),
    /** Frames per CVAT job (CVAT splits each task into jobs of this size). */
    segment_size: z.number().int().positive().optional(),
    image_quality: z.number().int().min(0).max(100).default(75),
    use_cache: z.boolean().default(true),
    /** A label attribute bound to CVAT's native occlusion flag (SEMANTICS §9.8). */
    occluded_attr: z.string().min(1).optional(),
    /** A label attribute bound to CVAT's shape group. */
    group_id_attr: z.string().min(1).optional(),
    /** A username for every task, or a list assigned round robin by task (SEMANTICS §9.2). */
    task_assignee: z.union([z.string(), z.array(z.string())]).optional(),
    /** Usernames assigned round robin over the jobs of each task. Unknown users are skipped. */
    job_assignees: z.array(z.string()).optional(),
    /** Accepted for FiftyOne compatibility; CVAT 2 has no reviewers (stages replace them). */
    job_reviewers: z.unknown().optional(),
    /** Where CVAT sends webhooks: the service's public webhook route. Unset: polling only. */
    webhook_url: z.url().optional(),
    /**
     * When a job counts as finished: `completed` (default) — its state is `completed`, or it
     * reached the `acceptance` stage; `accepted` — stage `acceptance` and state `completed`.
     */
    finished_when: z.enum(['completed', 'accepted']).default('completed'),
    /**
     * The minimum geometry score (IoU; see `geometryScore`) for a downloaded item that lost both
     * its server id and its `label_id` to take the id of an uploaded item of the same frame and
     * field: 1 = only the same box, 0 = never (such items are new labels).
     */
    geometry_match_threshold: z.number().min(0).max(1).default(0.5),
    media_url_expires_in: z
      .number()
      .int()
      .min(60)
      .max(MEDIA_URL_EXPIRY_SECONDS)
      .default(MEDIA_URL_EXPIRY_SECONDS),
    /**
     * CVAT's task name: `<task_name>_<page+1>` (`_<page+1>-<part+1>` when a page makes several
     * tasks). Default `annoflow/<dataset>/<annoKey>-<page>-<part>`.
     */
    // A name or prefix of digits arrives from the env parser as a number (SEMANTICS §8.4).
    task_name: z
      .union([z.string().min(1).max(200), z.number()])
      .transform((value) => String(value))
      .optional(),
    /** The tasks' `bug_tracker` URL, or a list assigned round robin by task (SEMANTICS §9.2). */
    issue_tracker: z.union([z.string().max(2000), z.array(z.string().max(2000)).min(1)]).optional(),
    /** Videos: the first 0-based frame CVAT shows (`start_frame`). */
    frame_start: z.number().int().nonnegative().default(0),
    /** Videos: every `frame_step`-th frame from `frame_start` (`frame_filter: step=N`). */
    frame_step: z.number().int().positive().default(1),
    /** Videos: the last 0-based frame CVAT may show (`stop_frame`, inclusive). Default: the last. */
    frame_stop: z.number().int().nonnegative().optional(),
    /**
     * A CVAT cloud storage attached to the media bucket: media are attached as its object keys
     * (`server_files`) and CVAT reads them with its own credentials; nothing is presigned.
     */
    cloud_storage_id: z.number().int().positive().optional(),
    /** The key prefix the cloud storage's root stands for (e.g. `datasets/`); default the bucket root. */
    cloud_storage_prefix: z
      .union([z.string(), z.number()])
      .transform((value) => String(value))
      .default(''),
    /** How long `upload` waits for CVAT to create a task's jobs. */
    job_poll_interval_ms: z.number().int().min(0).default(1000),
    job_poll_attempts: z.number().int().min(1).default(120),
  })
  .refine((params) => params.frame_stop === undefined || params.frame_stop >= params.frame_start, {
    message: 'frame_stop must not be before frame_start',
    path: ['frame_stop'],
  });
export type CvatParams = z.output<typeof cvatParamsSchema>;
export type CvatParamsInput = z.input<typeof cvatParamsSchema>;

/** Whether a job is finished under the run's rule (reference §1.5). */
export function isJobFinished(
  job: { stage: string; state: string },
  rule: CvatParams['finished_when'],
): boolean {
  if (rule === 'accepted') return job.stage === 'acceptance' && job.state === 'completed';
  return job.state === 'completed' || job.stage === 'acceptance';
}
