import { BackendError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendTask, RunRef } from '../backend.js';
import type { BackendObjectStore } from '../object-store.js';
import {
  type CvatJob,
  type CvatLabel,
  dataMetaSchema,
  jobSchema,
  labeledDataSchema,
  taskSchema,
  userSchema,
} from './api.js';
import type { CvatClient } from './client.js';
import {
  checkFrames,
  dataRequestFields,
  type FrameRange,
  FULL_RANGE,
  isFullRange,
  rangeOf,
  shownFrames,
} from './frame-range.js';
import type { CvatLabelPlan } from './label-specs.js';
import type { MaskOriginal } from './masks.js';
import type { PageMedia } from './media.js';
import type { CvatParams } from './params.js';
import type { CvatProject } from './projects.js';
import { serverIdsOf, trackPiecesOf, uploadedOf } from './saved-items.js';
import { readTaskData, taskDataKey, writeTaskData } from './task-data.js';
import { toCvatAnnotations } from './to-cvat.js';

/** What uploading needs of the backend: its client, params, bucket and a user-id cache. */
export interface CvatUploadEnv {
  readonly client: CvatClient;
  readonly params: CvatParams;
  readonly objects: BackendObjectStore;
  readonly users: Map<string, Promise<number | undefined>>;
}

/** One task of a page: its samples, where it sits in the page, and what the page resolved. */
export interface TaskUpload {
  readonly pageIndex: number;
  readonly part: number;
  /** How many tasks the page makes (names get a part suffix only when several). */
  readonly parts: number;
  readonly samples: UploadSample[];
  readonly media: PageMedia;
  readonly project: CvatProject;
  readonly plan: CvatLabelPlan;
  readonly labels: Map<string, CvatLabel>;
}

/**
 * One CVAT task of a page: made in the project (a same-named task of an earlier attempt of
 * this run is deleted first), its media attached, its jobs awaited and assigned, its
 * existing labels saved; the server ids and uploaded items are kept in the task's data
 * object. On any failure the half-made task is deleted, so a retry starts clean.
 */
export async function uploadTask(
  env: CvatUploadEnv,
  run: RunRef,
  upload: TaskUpload,
): Promise<BackendTask> {
  const { client, objects, params } = env;
  const { pageIndex, part, samples, project, plan, labels } = upload;
  const taskId = `${run.annoKey}-${String(pageIndex).padStart(5, '0')}-${part}`;
  const name = taskName(params, run, upload);
  const position = pageIndex + part;
  await deleteEarlierAttempts(env, run, project.id, name);
  const issueTrackers =
    typeof params.issue_tracker === 'string' ? [params.issue_tracker] : params.issue_tracker;
  const bugTracker = issueTrackers?.[position % issueTrackers.length];
  const { data: created } = await client.request('POST', '/api/tasks', {
    body: {
      name,
      project_id: project.id,
      ...(params.segment_size !== undefined ? { segment_size: params.segment_size } : {}),
      // Jobs must not share frames: CVAT overlaps a video's jobs by 5 frames unless told, and
      // each job keeps its own copy of what lies on a shared frame, so a download read job
      // by job would load those labels twice.
      overlap: 0,
      ...(bugTracker ? { bug_tracker: bugTracker } : {}),
    },
    schema: taskSchema,
  });
  if (!created)
    throw new BackendError('BACKEND_RESPONSE_INVALID', 'CVAT created no task', { name });
  try {
    // Marks the task as this run's at once, so a retry deletes only its own tasks by name.
    await writeTaskData(objects, run, {
      version: 1,
      cvatTaskId: created.id,
      ...runCreatedAt(run),
      serverIds: {},
    });
    const video = samples[0]?.media_type === 'video';
    const range: FrameRange = video ? rangeOf(params) : FULL_RANGE;
    await client.request('POST', `/api/tasks/${created.id}/data`, {
      body: {
        image_quality: params.image_quality,
        use_cache: params.use_cache,
        ...upload.media.fields(samples),
        // Frames keep the samples' order: frame k is the task's k-th sample.
        sorting_method: 'predefined',
        ...dataRequestFields(range),
      },
    });
    const jobs = await waitForJobs(env, created.id);
    await assign(env, created.id, position, jobs);
    const { data: meta } = await client.request('GET', `/api/tasks/${created.id}/data/meta`, {
      schema: dataMetaSchema,
    });
    const frameCount = checkFrames(created.id, samples, range, meta);
    const maskOriginals = new Map<string, MaskOriginal>();
    const sent = toCvatAnnotations({
      originals: maskOriginals,
      samples,
      frames: meta?.frames ?? [],
      plan,
      labelSchema: run.labelSchema,
      labels,
      ...(video ? { frameCount, range } : {}),
    });
    // Sent even when empty, as FiftyOne does: the task's annotations are then exactly ours.
    const { data: saved } = await client.request('PUT', `/api/tasks/${created.id}/annotations`, {
      body: { version: 0, ...sent },
      schema: labeledDataSchema,
    });
    const counts = (data: { shapes: unknown[]; tags: unknown[]; tracks: unknown[] }) =>
      [data.shapes.length, data.tags.length, data.tracks.length].join('/');
    // A track spanning jobs is saved as one track per job: pieces are matched, not counted.
    const trackPieces = saved && trackPiecesOf(sent.tracks, saved, labels);
    const sameItems = (a: typeof sent, b: NonNullable<typeof saved>) =>
      a.shapes.length === b.shapes.length && a.tags.length === b.tags.length;
    if (!saved || !sameItems(sent, saved) || !trackPieces) {
      throw new BackendError(
        'BACKEND_RESPONSE_INVALID',
        `CVAT task ${created.id} saved ${saved ? counts(saved) : 'nothing'} shapes/tags/tracks of ${counts(sent)} sent`,
        { cvatTaskId: created.id },
      );
    }
    await writeTaskData(objects, run, {
      version: 1,
      cvatTaskId: created.id,
      ...runCreatedAt(run),
      serverIds: serverIdsOf(saved, labels),
      uploaded: uploadedOf(saved, labels),
      trackPieces,
      maskOriginals: Object.fromEntries(maskOriginals),
    });
    const partial = video && !isFullRange(range);
    return {
      taskId,
      backendTaskId: String(created.id),
      sampleIds: samples.map((sample) => sample.id),
      backendData: {
        projectId: project.id,
        projectOwned: project.owned,
        jobIds: jobs.map((job) => job.id),
        ...(video ? { video: true } : {}),
        ...(partial ? { frameRange: range } : {}),
      },
      ...(partial ? { shownFrames: shownFrames(samples, range, frameCount) } : {}),
    };
  } catch (error) {
    // Nothing half-made stays behind: the retry creates the task again.
    await client
      .request('DELETE', `/api/tasks/${created.id}`, { accept: [404] })
      .catch(() => undefined);
    await objects.delete(taskDataKey(run, created.id)).catch(() => undefined);
    throw error;
  }
}

/**
 * `task_name` suffixed `_<page+1>` (`_<page+1>-<part+1>` when the page makes several tasks):
 * FiftyOne's `_<k>` rule (SEMANTICS §9.1) by page, since a page does not know how many tasks
 * the others make. Default: `annoflow/<dataset>/<annoKey>-<page>-<part>`.
 */
export function taskName(
  params: Pick<CvatParams, 'task_name'>,
  run: Pick<RunRef, 'dataset' | 'annoKey'>,
  at: Pick<TaskUpload, 'pageIndex' | 'part' | 'parts'>,
): string {
  if (params.task_name === undefined) {
    return `annoflow/${run.dataset}/${run.annoKey}-${String(at.pageIndex).padStart(5, '0')}-${at.part}`;
  }
  const suffix = at.parts > 1 ? `${at.pageIndex + 1}-${at.part + 1}` : `${at.pageIndex + 1}`;
  return `${params.task_name}_${suffix}`;
}

const runCreatedAt = (run: RunRef) =>
  run.createdAt === undefined ? {} : { runCreatedAt: run.createdAt };

/**
 * A retried upload rewrites: the same-named task of an earlier attempt goes first. Only a
 * task this very run marked is deleted: its data object exists under the run's key and names
 * the run's creation. A `task_name` may be shared by other runs' tasks in the project, and a
 * former run under this key (deleted, or renamed, whose objects stay under the key) left
 * data objects too: a renamed run's tasks are still open, with its annotators' work.
 */
async function deleteEarlierAttempts(
  env: CvatUploadEnv,
  run: RunRef,
  projectId: number,
  name: string,
): Promise<void> {
  const { client, objects } = env;
  for (const earlier of await client.list('/api/tasks', taskSchema, {
    project_id: projectId,
    name,
  })) {
    if (earlier.name !== name) continue;
    const data = await readTaskData(objects, run, earlier.id);
    if (data === undefined || data.runCreatedAt !== run.createdAt) continue;
    await client.request('DELETE', `/api/tasks/${earlier.id}`, { accept: [404] });
    await objects.delete(taskDataKey(run, earlier.id));
  }
}

/**
 * FiftyOne's `task_assignee` (round robin by task: here by page index + part, the task's
 * position when pages hold one task) and `job_assignees` (round robin over each task's
 * jobs). A username CVAT does not know is skipped, as FiftyOne does.
 */
async function assign(
  env: CvatUploadEnv,
  cvatTaskId: number,
  position: number,
  jobs: CvatJob[],
): Promise<void> {
  const { client, params } = env;
  const taskAssignees =
    typeof params.task_assignee === 'string'
      ? [params.task_assignee]
      : (params.task_assignee ?? []);
  const taskAssignee = taskAssignees[position % Math.max(1, taskAssignees.length)];
  const taskUser = taskAssignee ? await userId(env, taskAssignee) : undefined;
  if (taskUser !== undefined) {
    await client.request('PATCH', `/api/tasks/${cvatTaskId}`, {
      body: { assignee_id: taskUser },
      schema: taskSchema,
    });
  }
  const jobAssignees = params.job_assignees ?? [];
  for (const [at, job] of jobs.entries()) {
    const username = jobAssignees[at % Math.max(1, jobAssignees.length)];
    const user = username ? await userId(env, username) : undefined;
    if (user === undefined) continue;
    await client.request('PATCH', `/api/jobs/${job.id}`, {
      body: { assignee: user },
      schema: jobSchema,
    });
  }
}

async function userId(env: CvatUploadEnv, username: string): Promise<number | undefined> {
  const { client, users } = env;
  const cached = users.get(username);
  if (cached) return cached;
  const found = client
    .list('/api/users', userSchema, { search: username })
    .then((list) => list.find((user) => user.username === username)?.id);
  users.set(username, found);
  return found;
}

async function waitForJobs(env: CvatUploadEnv, cvatTaskId: number): Promise<CvatJob[]> {
  const { client, params } = env;
  for (let attempt = 0; attempt < params.job_poll_attempts; attempt += 1) {
    const jobs = await client.list('/api/jobs', jobSchema, { task_id: cvatTaskId });
    if (jobs.length > 0) return jobs;
    await new Promise((resolve) => setTimeout(resolve, params.job_poll_interval_ms));
  }
  throw new BackendError(
    'BACKEND_REQUEST_FAILED',
    `CVAT made no jobs for task ${cvatTaskId} after ${params.job_poll_attempts} polls (media unreadable?)`,
    { cvatTaskId },
  );
}

/** Images in tasks of `taskSize` (default: all); each video is a task of its own (SEMANTICS §9.1). */
export function taskSamples(
  samples: UploadSample[],
  taskSize: number | undefined,
): UploadSample[][] {
  const videos = samples.filter((sample) => sample.media_type === 'video').map((each) => [each]);
  const images = samples.filter((sample) => sample.media_type !== 'video');
  const size = taskSize ?? images.length;
  const groups: UploadSample[][] = [];
  for (let start = 0; start < images.length; start += size) {
    groups.push(images.slice(start, start + size));
  }
  return [...groups, ...videos];
}
