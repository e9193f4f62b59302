import { BackendError, InvalidInputError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendTask, RunRef } from '../backend.js';
import type { BackendObjectStore } from '../object-store.js';
import {
  type CvatJob,
  type CvatLabel,
  type CvatLabeledData,
  dataMetaSchema,
  jobSchema,
  labeledDataSchema,
  taskSchema,
  userSchema,
} from './api.js';
import type { CvatClient } from './client.js';
import { type CvatLabelPlan, LABEL_ID_ATTR } from './label-specs.js';
import type { MaskOriginal } from './masks.js';
import type { CvatParams } from './params.js';
import type { CvatProject } from './projects.js';
import { taskDataKey, writeTaskData } from './task-data.js';
import { toCvatAnnotations } from './to-cvat.js';

/** What uploading needs of the backend: its client, params, bucket and a user-id cache. */
export interface CvatUploadEnv {
  readonly client: CvatClient;
  readonly params: CvatParams;
  readonly objects: BackendObjectStore;
  readonly users: Map<string, Promise<number | undefined>>;
}

/**
 * One CVAT task of a page: made in the project (a same-named task of an earlier attempt is
 * deleted first), its media attached as presigned links, its jobs awaited and assigned, its
 * existing labels saved; the server ids and uploaded items are kept in the task's data
 * object. On any failure the half-made task is deleted, so a retry starts clean.
 */
export async function uploadTask(
  env: CvatUploadEnv,
  run: RunRef,
  pageIndex: number,
  part: number,
  samples: UploadSample[],
  project: CvatProject,
  plan: CvatLabelPlan,
  labels: Map<string, CvatLabel>,
): Promise<BackendTask> {
  const { client, objects, params } = env;
  const taskId = `${run.annoKey}-${String(pageIndex).padStart(5, '0')}-${part}`;
  const name = `annoflow/${run.dataset}/${taskId}`;
  // A retried upload rewrites: the task of the earlier attempt goes first.
  for (const earlier of await client.list('/api/tasks', taskSchema, {
    project_id: project.id,
    name,
  })) {
    if (earlier.name !== name) continue;
    await client.request('DELETE', `/api/tasks/${earlier.id}`, { accept: [404] });
    await objects.delete(taskDataKey(run, earlier.id));
  }
  const urls = await Promise.all(samples.map((sample) => mediaUrl(env, sample)));
  const { data: created } = await client.request('POST', '/api/tasks', {
    body: {
      name,
      project_id: project.id,
      ...(params.segment_size !== undefined ? { segment_size: params.segment_size } : {}),
    },
    schema: taskSchema,
  });
  if (!created)
    throw new BackendError('BACKEND_RESPONSE_INVALID', 'CVAT created no task', { name });
  try {
    await client.request('POST', `/api/tasks/${created.id}/data`, {
      body: {
        image_quality: params.image_quality,
        use_cache: params.use_cache,
        remote_files: urls,
        // Frames keep the samples' order: frame k is the task's k-th sample.
        sorting_method: 'predefined',
      },
    });
    const jobs = await waitForJobs(env, created.id);
    await assign(env, created.id, pageIndex + part, jobs);
    const { data: meta } = await client.request('GET', `/api/tasks/${created.id}/data/meta`, {
      schema: dataMetaSchema,
    });
    const video = samples[0]?.media_type === 'video';
    const expected = video ? 1 : samples.length;
    if (!meta || meta.frames.length !== expected) {
      throw new BackendError(
        'BACKEND_RESPONSE_INVALID',
        `CVAT task ${created.id} has ${meta?.frames.length ?? 0} frame entries for ${samples.length} samples`,
        { cvatTaskId: created.id },
      );
    }
    const maskOriginals = new Map<string, MaskOriginal>();
    const upload = toCvatAnnotations({
      originals: maskOriginals,
      samples,
      frames: meta.frames,
      plan,
      labelSchema: run.labelSchema,
      labels,
      ...(video ? { frameCount: meta.size ?? 0 } : {}),
    });
    // Sent even when empty, as FiftyOne does: the task's annotations are then exactly ours.
    const { data: saved } = await client.request('PUT', `/api/tasks/${created.id}/annotations`, {
      body: { version: 0, ...upload },
      schema: labeledDataSchema,
    });
    const counts = (data: { shapes: unknown[]; tags: unknown[]; tracks: unknown[] }) =>
      [data.shapes.length, data.tags.length, data.tracks.length].join('/');
    if (!saved || counts(saved) !== counts(upload)) {
      throw new BackendError(
        'BACKEND_RESPONSE_INVALID',
        `CVAT task ${created.id} saved ${saved ? counts(saved) : 'nothing'} shapes/tags/tracks of ${counts(upload)} sent`,
        { cvatTaskId: created.id },
      );
    }
    await writeTaskData(objects, run, {
      version: 1,
      cvatTaskId: created.id,
      serverIds: serverIdsOf(saved, labels),
      uploaded: uploadedOf(saved, labels),
      maskOriginals: Object.fromEntries(maskOriginals),
    });
    return {
      taskId,
      backendTaskId: String(created.id),
      sampleIds: samples.map((sample) => sample.id),
      backendData: {
        projectId: project.id,
        projectOwned: project.owned,
        jobIds: jobs.map((job) => job.id),
        ...(video ? { video: true } : {}),
      },
    };
  } catch (error) {
    // Nothing half-made stays behind: the retry creates the task again.
    await client
      .request('DELETE', `/api/tasks/${created.id}`, { accept: [404] })
      .catch(() => undefined);
    throw error;
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

async function mediaUrl(env: CvatUploadEnv, sample: UploadSample): Promise<string> {
  const { objects, params } = env;
  const { filepath } = sample;
  if (/^https?:\/\//i.test(filepath)) return filepath;
  const prefix = `s3://${objects.bucket}/`;
  if (filepath.startsWith(prefix) && filepath.length > prefix.length) {
    return objects.presignGet(filepath.slice(prefix.length), params.media_url_expires_in);
  }
  throw new InvalidInputError(
    `Sample '${sample.id}' has filepath '${filepath}', which CVAT cannot download: ` +
      `media must be in s3://${objects.bucket}/ or at an http(s) URL`,
    { sampleId: sample.id, filepath },
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

/** `shape:<id>`/`tag:<id>` → our label id, read from the `label_id` values CVAT saved. */
function serverIdsOf(
  saved: CvatLabeledData,
  labels: Map<string, CvatLabel>,
): Record<string, string> {
  const labelIdSpecs = new Set<number>();
  for (const label of labels.values()) {
    for (const attribute of label.attributes) {
      if (attribute.name === LABEL_ID_ATTR) labelIdSpecs.add(attribute.id);
    }
  }
  const out: Record<string, string> = {};
  const record = (
    kind: string,
    item: {
      id?: number | null | undefined;
      attributes: CvatLabeledData['tags'][number]['attributes'];
    },
  ) => {
    const value = item.attributes.find((each) => labelIdSpecs.has(each.spec_id))?.value;
    if (value && item.id !== null && item.id !== undefined) out[`${kind}:${item.id}`] = value;
  };
  for (const shape of saved.shapes) record('shape', shape);
  for (const tag of saved.tags) record('tag', tag);
  return out;
}

/** The saved tags and shapes with their label ids: the geometry match's candidates. */
function uploadedOf(saved: CvatLabeledData, labels: Map<string, CvatLabel>) {
  const labelIdSpecs = new Set<number>();
  for (const label of labels.values()) {
    for (const attribute of label.attributes) {
      if (attribute.name === LABEL_ID_ATTR) labelIdSpecs.add(attribute.id);
    }
  }
  const items = [
    ...saved.tags.map((tag) => ({ ...tag, type: 'tag', points: [] as number[] })),
    ...saved.shapes,
  ];
  return items.flatMap((item) => {
    const labelId = item.attributes.find((each) => labelIdSpecs.has(each.spec_id))?.value;
    return labelId
      ? [
          {
            labelId,
            frame: item.frame,
            cvatLabelId: item.label_id,
            type: item.type,
            points: item.points,
          },
        ]
      : [];
  });
}
