/**
 * The CVAT emulator's data: projects, tasks, jobs, labels, annotations, webhooks, users, and
 * the rules CVAT applies when they change (reference §1.5): job status derived from
 * stage×state, a stage change without a state resets the state, task status recomputed over
 * all jobs, `updated_date` touched on every save. Events go to `emit`; HTTP is elsewhere.
 */

import { mergedTaskTracks } from './job-tracks.js';
import type { CloudStorageRecord, FrameSelection } from './task-media.js';

export type JobStage = 'annotation' | 'validation' | 'acceptance';
export type JobState = 'new' | 'in progress' | 'completed' | 'rejected';
export type JobStatus = 'annotation' | 'validation' | 'completed';

export interface UserRecord {
  id: number;
  username: string;
  password: string;
  email: string;
}

export interface AttributeRecord {
  id: number;
  name: string;
  mutable: boolean;
  input_type: 'checkbox' | 'radio' | 'number' | 'text' | 'select';
  values: string[];
  default_value: string;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  type: string;
  attributes: AttributeRecord[];
  project_id: number | null;
  task_id: number | null;
}

export interface ProjectRecord {
  id: number;
  name: string;
  owner: number;
  organization: number | null;
  created_date: string;
  updated_date: string;
}

export interface FrameRecord {
  width: number;
  height: number;
  name: string;
}

export interface TaskRecord {
  id: number;
  name: string;
  project_id: number | null;
  owner: number;
  assignee: number | null;
  organization: number | null;
  segment_size: number;
  /** As created: null lets CVAT choose at data upload (5 for videos, 0 for images). */
  overlap: number | null;
  image_quality: number;
  status: JobStatus;
  created_date: string;
  updated_date: string;
  frames: FrameRecord[];
  /** A video task: `frames` has one record per video frame, meta shows one entry. */
  video: boolean;
  version: number;
  bug_tracker?: string;
  /** A video's frames as selected at data upload (`frames` holds only the selected ones). */
  selection?: FrameSelection;
}

export interface JobRecord {
  id: number;
  task_id: number;
  start_frame: number;
  stop_frame: number;
  stage: JobStage;
  state: JobState;
  status: JobStatus;
  type: 'annotation' | 'ground_truth' | 'consensus_replica';
  assignee: number | null;
  created_date: string;
  updated_date: string;
}

export interface AttributeValue {
  spec_id: number;
  value: string;
}

export interface ShapeRecord {
  id: number;
  type: string;
  frame: number;
  label_id: number;
  points: number[];
  occluded: boolean;
  outside: boolean;
  z_order: number;
  rotation: number;
  group: number;
  source: string;
  attributes: AttributeValue[];
}

export interface TagRecord {
  id: number;
  frame: number;
  label_id: number;
  group: number;
  source: string;
  attributes: AttributeValue[];
}

export interface TrackedShapeRecord extends Omit<ShapeRecord, 'label_id' | 'group' | 'source'> {
  keyframe: boolean;
}

export interface TrackRecord {
  id: number;
  frame: number;
  label_id: number;
  group: number;
  source: string;
  attributes: AttributeValue[];
  shapes: TrackedShapeRecord[];
}

export interface TaskAnnotations {
  shapes: ShapeRecord[];
  tags: TagRecord[];
  tracks: TrackRecord[];
}

export interface WebhookRecord {
  id: number;
  target_url: string;
  description: string;
  type: 'project' | 'organization';
  secret: string;
  is_active: boolean;
  enable_ssl: boolean;
  project_id: number | null;
  organization: number | null;
  events: string[];
  owner: number;
  created_date: string;
  updated_date: string;
}

/** A webhook event as CVAT builds it, before the `webhook_id` of each receiver is added. */
export interface EmittedEvent {
  event: string;
  projectId: number | null;
  organization: number | null;
  payload: Record<string, unknown>;
}

export const jobStatusOf = (stage: JobStage, state: JobState): JobStatus =>
  stage === 'annotation'
    ? 'annotation'
    : stage === 'acceptance' && state === 'completed'
      ? 'completed'
      : 'validation';

/** Everything the emulator holds. Ids are per-kind sequences, as in CVAT's tables. */
export class CvatState {
  readonly users = new Map<number, UserRecord>();
  readonly organizations = new Map<string, number>();
  readonly projects = new Map<number, ProjectRecord>();
  readonly labels = new Map<number, LabelRecord>();
  readonly tasks = new Map<number, TaskRecord>();
  readonly cloudStorages = new Map<number, CloudStorageRecord>();
  readonly jobs = new Map<number, JobRecord>();
  readonly annotations = new Map<number, TaskAnnotations>();
  readonly webhooks = new Map<number, WebhookRecord>();
  readonly #sequences = new Map<string, number>();
  #time: number;

  constructor(
    readonly baseUrl: () => string,
    readonly emit: (event: EmittedEvent) => void,
    start = Date.parse('2026-01-01T00:00:00.000Z'),
  ) {
    this.#time = start;
  }

  nextId(kind: string): number {
    const next = (this.#sequences.get(kind) ?? 0) + 1;
    this.#sequences.set(kind, next);
    return next;
  }

  /** A new, later timestamp on every call, so every save has its own `updated_date`. */
  now(): string {
    this.#time += 1000;
    return new Date(this.#time).toISOString();
  }

  // --- reads, shaped as the REST serializers ------------------------------------------------

  userRead(id: number | null): Record<string, unknown> | null {
    const user = id === null ? undefined : this.users.get(id);
    if (!user) return null;
    return {
      url: `${this.baseUrl()}/api/users/${user.id}`,
      id: user.id,
      username: user.username,
      first_name: '',
      last_name: '',
    };
  }

  projectRead(project: ProjectRecord): Record<string, unknown> {
    const base = this.baseUrl();
    const tasks = [...this.tasks.values()].filter((task) => task.project_id === project.id);
    return {
      url: `${base}/api/projects/${project.id}`,
      id: project.id,
      name: project.name,
      owner: this.userRead(project.owner),
      assignee: null,
      guide_id: null,
      bug_tracker: '',
      task_subsets: [],
      created_date: project.created_date,
      updated_date: project.updated_date,
      status: 'annotation',
      dimension: tasks.length > 0 ? '2d' : null,
      organization: project.organization,
      target_storage: null,
      source_storage: null,
      tasks: { count: tasks.length, url: `${base}/api/tasks?project_id=${project.id}` },
      labels: { url: `${base}/api/labels?project_id=${project.id}` },
      assignee_updated_date: null,
    };
  }

  labelRead(label: LabelRecord): Record<string, unknown> {
    return {
      id: label.id,
      name: label.name,
      color: label.color,
      attributes: label.attributes.map((attribute) => ({ ...attribute })),
      type: label.type,
      svg: '',
      sublabels: [],
      project_id: label.project_id,
      task_id: label.task_id,
      parent_id: null,
      has_parent: false,
    };
  }

  taskRead(task: TaskRecord): Record<string, unknown> {
    const base = this.baseUrl();
    const jobs = this.jobsOf(task.id);
    return {
      url: `${base}/api/tasks/${task.id}`,
      id: task.id,
      name: task.name,
      project_id: task.project_id,
      mode: task.frames.length === 0 ? '' : task.video ? 'interpolation' : 'annotation',
      owner: this.userRead(task.owner),
      assignee: this.userRead(task.assignee),
      bug_tracker: task.bug_tracker ?? '',
      created_date: task.created_date,
      updated_date: task.updated_date,
      overlap: task.overlap,
      segment_size: task.segment_size,
      status: task.status,
      data_chunk_size: 72,
      data_compressed_chunk_type: 'imageset',
      guide_id: null,
      data_original_chunk_type: 'imageset',
      size: task.frames.length,
      image_quality: task.image_quality,
      data: task.id,
      dimension: '2d',
      subset: '',
      organization: task.organization,
      target_storage: null,
      source_storage: null,
      jobs: {
        count: jobs.length,
        completed: jobs.filter((job) => job.status === 'completed').length,
        validation: jobs.filter((job) => job.status === 'validation').length,
        url: `${base}/api/jobs?task_id=${task.id}`,
      },
      labels: {
        url:
          task.project_id === null
            ? `${base}/api/labels?task_id=${task.id}`
            : `${base}/api/labels?project_id=${task.project_id}`,
      },
      assignee_updated_date: null,
      validation_mode: null,
      consensus_enabled: false,
    };
  }

  jobRead(job: JobRecord): Record<string, unknown> {
    const base = this.baseUrl();
    const task = this.tasks.get(job.task_id);
    return {
      url: `${base}/api/jobs/${job.id}`,
      id: job.id,
      task_id: job.task_id,
      project_id: task?.project_id ?? null,
      assignee: this.userRead(job.assignee),
      guide_id: null,
      dimension: '2d',
      bug_tracker: null,
      status: job.status,
      stage: job.stage,
      state: job.state,
      mode: 'annotation',
      frame_count: job.stop_frame - job.start_frame + 1,
      start_frame: job.start_frame,
      stop_frame: job.stop_frame,
      data_chunk_size: 72,
      data_compressed_chunk_type: 'imageset',
      data_original_chunk_type: 'imageset',
      created_date: job.created_date,
      updated_date: job.updated_date,
      issues: { url: `${base}/api/issues?job_id=${job.id}`, count: 0 },
      labels: { url: `${base}/api/labels?job_id=${job.id}` },
      type: job.type,
      organization: task?.organization ?? null,
      target_storage: null,
      source_storage: null,
      assignee_updated_date: null,
      parent_job_id: null,
      consensus_replicas: 0,
    };
  }

  webhookRead(hook: WebhookRecord): Record<string, unknown> {
    return {
      id: hook.id,
      url: `${this.baseUrl()}/api/webhooks/${hook.id}`,
      target_url: hook.target_url,
      description: hook.description,
      type: hook.type,
      content_type: 'application/json',
      is_active: hook.is_active,
      enable_ssl: hook.enable_ssl,
      created_date: hook.created_date,
      updated_date: hook.updated_date,
      owner: this.userRead(hook.owner),
      project_id: hook.project_id,
      organization: hook.organization,
      events: [...hook.events],
      last_status: 0,
      last_delivery_date: hook.updated_date,
    };
  }

  // --- queries -------------------------------------------------------------------------------

  jobsOf(taskId: number): JobRecord[] {
    return [...this.jobs.values()].filter((job) => job.task_id === taskId);
  }

  labelsOf(task: TaskRecord): LabelRecord[] {
    return [...this.labels.values()].filter((label) =>
      task.project_id === null ? label.task_id === task.id : label.project_id === task.project_id,
    );
  }

  annotationsOf(taskId: number): TaskAnnotations {
    let annotations = this.annotations.get(taskId);
    if (!annotations) {
      annotations = { shapes: [], tags: [], tracks: [] };
      this.annotations.set(taskId, annotations);
    }
    return annotations;
  }

  jobOfFrame(taskId: number, frame: number): JobRecord | undefined {
    return this.jobsOf(taskId).find(
      (job) => job.type === 'annotation' && job.start_frame <= frame && frame <= job.stop_frame,
    );
  }

  /**
   * The annotations of a job: what lies in its frame range. A track belongs to one job, the
   * one its first frame is in: CVAT keeps a piece of a track per job (`job-tracks.ts`), each
   * with its own id, and a job returns only its own pieces.
   */
  jobAnnotations(job: JobRecord): TaskAnnotations {
    const all = this.annotationsOf(job.task_id);
    const inside = (frame: number) => job.start_frame <= frame && frame <= job.stop_frame;
    return {
      shapes: all.shapes.filter((shape) => inside(shape.frame)),
      tags: all.tags.filter((tag) => inside(tag.frame)),
      tracks: all.tracks.filter(
        (track) => this.jobOfFrame(job.task_id, track.frame)?.id === job.id,
      ),
    };
  }

  /** The task-level view (`GET /api/tasks/{id}/annotations`): pieces closed at job ends. */
  taskAnnotations(taskId: number): TaskAnnotations {
    const all = this.annotationsOf(taskId);
    return {
      ...all,
      tracks: mergedTaskTracks(all.tracks, this.jobsOf(taskId), (track) =>
        this.jobOfFrame(taskId, track.frame),
      ),
    };
  }

  // --- writes with CVAT's side effects -------------------------------------------------------

  createLabels(
    specs: ReadonlyArray<Record<string, unknown>>,
    owner: { project_id: number | null; task_id: number | null },
  ): void {
    for (const spec of specs) {
      const attributes = (spec.attributes as Array<Record<string, unknown>> | undefined) ?? [];
      const id = this.nextId('label');
      this.labels.set(id, {
        id,
        name: String(spec.name),
        color: typeof spec.color === 'string' ? spec.color : '#33ddff',
        type: typeof spec.type === 'string' ? spec.type : 'any',
        attributes: attributes.map((attribute) => this.attributeOf(attribute)),
        ...owner,
      });
    }
  }

  attributeOf(attribute: Record<string, unknown>): AttributeRecord {
    return {
      id: typeof attribute.id === 'number' ? attribute.id : this.nextId('attribute'),
      name: String(attribute.name),
      mutable: attribute.mutable === true,
      input_type: attribute.input_type as AttributeRecord['input_type'],
      values: (attribute.values as string[] | undefined) ?? [],
      default_value: typeof attribute.default_value === 'string' ? attribute.default_value : '',
    };
  }

  /**
   * Splits a task's frames into jobs of `segment_size` (0: one job), as CVAT does on data
   * upload. Jobs overlap by `overlap` frames; unset, CVAT takes 5 for a video (interpolation
   * mode) and 0 for images, at most half a segment (engine/task.py, `_get_task_segment_data`).
   */
  createJobs(task: TaskRecord, sender: number): void {
    const count = task.frames.length;
    const size = task.segment_size > 0 && task.segment_size <= count ? task.segment_size : count;
    const overlap = Math.min(task.overlap ?? (task.video ? 5 : 0), Math.floor(size / 2));
    task.overlap = overlap;
    for (let start = 0; start < count - overlap; start += size - overlap) {
      const id = this.nextId('job');
      const at = this.now();
      const job: JobRecord = {
        id,
        task_id: task.id,
        start_frame: start,
        stop_frame: Math.min(start + size, task.frames.length) - 1,
        stage: 'annotation',
        state: 'new',
        status: 'annotation',
        type: 'annotation',
        assignee: null,
        created_date: at,
        updated_date: at,
      };
      this.jobs.set(id, job);
      this.emitFor(task, 'create:job', 'job', this.jobRead(job), sender);
    }
  }

  /**
   * A job saved with new stage/state (PATCH or the annotator): the status is derived, a stage
   * change without a state resets the state to `new`, the task status is recomputed.
   */
  updateJob(
    job: JobRecord,
    change: { stage?: JobStage; state?: JobState; assignee?: number | null },
    sender: number,
  ): void {
    const before: Record<string, unknown> = {};
    const set = <K extends keyof JobRecord>(key: K, value: JobRecord[K]) => {
      if (job[key] !== value) {
        before[key] = job[key] as unknown;
        job[key] = value;
      }
    };
    if (change.assignee !== undefined) set('assignee', change.assignee);
    if (change.stage !== undefined) {
      const stageChanged = change.stage !== job.stage;
      set('stage', change.stage);
      if (change.state === undefined && stageChanged) set('state', 'new');
    }
    if (change.state !== undefined) set('state', change.state);
    set('status', jobStatusOf(job.stage, job.state));
    if (Object.keys(before).length === 0) return;
    before.updated_date = job.updated_date;
    job.updated_date = this.now();
    const task = this.tasks.get(job.task_id);
    if (!task) return;
    this.emitFor(task, 'update:job', 'job', this.jobRead(job), sender, before);
    this.recomputeTaskStatus(task, sender);
  }

  recomputeTaskStatus(task: TaskRecord, sender: number): void {
    const statuses = this.jobsOf(task.id).map((job) => job.status);
    const status: JobStatus = statuses.includes('annotation')
      ? 'annotation'
      : statuses.includes('validation')
        ? 'validation'
        : 'completed';
    if (status === task.status) return;
    const before = { status: task.status, updated_date: task.updated_date };
    task.status = status;
    task.updated_date = this.now();
    this.emitFor(task, 'update:task', 'task', this.taskRead(task), sender, before);
  }

  /** An annotation save: touches the jobs' and task's `updated_date` and says so (noise events). */
  touchAfterSave(task: TaskRecord, jobs: readonly JobRecord[], sender: number): void {
    task.version += 1;
    for (const job of jobs) {
      const before = { updated_date: job.updated_date };
      job.updated_date = this.now();
      this.emitFor(task, 'update:job', 'job', this.jobRead(job), sender, before);
    }
    const before = { updated_date: task.updated_date };
    task.updated_date = this.now();
    this.emitFor(task, 'update:task', 'task', this.taskRead(task), sender, before);
  }

  deleteTask(task: TaskRecord, sender: number): void {
    const read = this.taskRead(task);
    for (const job of this.jobsOf(task.id)) this.jobs.delete(job.id);
    for (const label of this.labelsOf(task))
      if (label.task_id === task.id) this.labels.delete(label.id);
    this.annotations.delete(task.id);
    this.tasks.delete(task.id);
    this.emitFor(task, 'delete:task', 'task', read, sender);
  }

  deleteProject(project: ProjectRecord, sender: number): void {
    for (const task of [...this.tasks.values()]) {
      if (task.project_id === project.id) this.deleteTask(task, sender);
    }
    for (const label of [...this.labels.values()]) {
      if (label.project_id === project.id) this.labels.delete(label.id);
    }
    // CVAT deletes a project's webhooks with it (foreign key cascade).
    for (const hook of [...this.webhooks.values()]) {
      if (hook.project_id === project.id) this.webhooks.delete(hook.id);
    }
    this.projects.delete(project.id);
  }

  emitFor(
    task: TaskRecord,
    event: string,
    resource: string,
    read: Record<string, unknown>,
    sender: number,
    before?: Record<string, unknown>,
  ): void {
    const payload: Record<string, unknown> = {
      event,
      [resource]: read,
      sender: this.userRead(sender),
    };
    if (before !== undefined) payload.before_update = before;
    this.emit({ event, projectId: task.project_id, organization: task.organization, payload });
  }
}
