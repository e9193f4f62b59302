import type { EmulatorState } from './emulator.js';
import { pythonJsonDumps } from './python-json.js';
import { type AnnotationRow, annotationView, projectView, taskPayload } from './views.js';

/** One attempt to deliver a webhook, as the emulator made it. */
export interface Delivery {
  readonly webhookId: number;
  readonly action: string;
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  /** The receiver's status; absent when dropped or failed. */
  readonly status?: number;
  readonly dropped?: boolean;
  readonly error?: string;
}

/** Label Studio's `WEBHOOK_TIMEOUT` default (reference §2.5). */
const WEBHOOK_TIMEOUT_MS = 1000;

/**
 * Sends webhooks as Label Studio does (reference §2.5): `json.dumps` bodies, only the
 * configured headers (no signature), a 1 s timeout, failures swallowed, no retry. Tests can
 * make the next deliveries vanish or arrive twice.
 */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  #drop = 0;
  #duplicate = 0;

  constructor(private readonly state: EmulatorState) {}

  /** The next `count` deliveries are lost on the way. */
  dropNext(count = 1): void {
    this.#drop += count;
  }

  /** The next `count` deliveries arrive twice. */
  duplicateNext(count = 1): void {
    this.#duplicate += count;
  }

  async emit(projectId: number, action: string, payload: Record<string, unknown>): Promise<void> {
    const project = this.state.projects.get(projectId);
    if (project === undefined) return;
    const hooks = [...this.state.webhooks.values()].filter(
      (hook) =>
        hook.is_active &&
        (hook.project === projectId || hook.project === null) &&
        (hook.send_for_all_actions || hook.actions.includes(action)),
    );
    for (const hook of hooks) {
      const full = {
        action,
        ...payload,
        project: projectView(project, this.state.counters(projectId)),
      };
      const body = pythonJsonDumps(hook.send_payload ? full : { action });
      const headers = { ...hook.headers, 'Content-Type': 'application/json' };
      const base = { webhookId: hook.id, action, url: hook.url, body, headers };
      if (this.#drop > 0) {
        this.#drop -= 1;
        this.deliveries.push({ ...base, dropped: true });
        continue;
      }
      const times = this.#duplicate > 0 ? 2 : 1;
      if (times === 2) this.#duplicate -= 1;
      for (let i = 0; i < times; i += 1) this.deliveries.push(await send(base));
    }
  }
}

async function send(delivery: Omit<Delivery, 'status'>): Promise<Delivery> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return { ...delivery, status: response.status };
  } catch (error) {
    return { ...delivery, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * What a person does in Label Studio's editor, as method calls: submit, update, skip or
 * cancel annotations of a task. Each saves like the server does and sends its webhooks
 * before returning.
 */
export class Annotator {
  constructor(
    private readonly state: EmulatorState,
    private readonly webhooks: WebhookSender,
  ) {}

  /** Submits an annotation (`ANNOTATION_CREATED`); returns its id. */
  async submit(taskId: number, result: Record<string, unknown>[]): Promise<number> {
    const annotation = this.#create(taskId, result, false);
    await this.#emit('ANNOTATION_CREATED', annotation);
    return annotation.id;
  }

  /** Skips the task: a cancelled annotation (`ANNOTATION_CREATED`, `was_cancelled`). */
  async skip(taskId: number): Promise<number> {
    const annotation = this.#create(taskId, [], true);
    await this.#emit('ANNOTATION_CREATED', annotation);
    return annotation.id;
  }

  /** Changes an annotation's result (`ANNOTATION_UPDATED`). */
  async update(annotationId: number, result: Record<string, unknown>[]): Promise<void> {
    const annotation = this.#get(annotationId);
    annotation.result = result;
    annotation.updated_at = this.state.now();
    await this.#emit('ANNOTATION_UPDATED', annotation);
  }

  /** Marks a submitted annotation cancelled (`ANNOTATION_UPDATED`). */
  async cancel(annotationId: number): Promise<void> {
    const annotation = this.#get(annotationId);
    annotation.was_cancelled = true;
    annotation.updated_at = this.state.now();
    await this.#emit('ANNOTATION_UPDATED', annotation);
  }

  /**
   * Imports annotations of several tasks of one project at once (`ANNOTATIONS_CREATED`:
   * the singular key `annotation` holds the list, `task` the tasks).
   */
  async bulkSubmit(entries: Array<{ taskId: number; result: Record<string, unknown>[] }>) {
    const created = entries.map(({ taskId, result }) => this.#create(taskId, result, false));
    const first = created[0];
    if (first === undefined) return [];
    const tasks = [...new Set(created.map((annotation) => annotation.task))];
    await this.webhooks.emit(first.project, 'ANNOTATIONS_CREATED', {
      annotation: created.map(annotationView),
      task: tasks.map((taskId) => this.#taskPayload(taskId)),
    });
    return created.map((annotation) => annotation.id);
  }

  /** Deletes a task by hand in the UI (`TASKS_DELETED`). */
  async deleteTask(taskId: number): Promise<void> {
    const task = this.state.tasks.get(taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    this.state.deleteTask(taskId);
    await this.webhooks.emit(task.project, 'TASKS_DELETED', { tasks: [{ id: taskId }] });
  }

  #create(taskId: number, result: Record<string, unknown>[], cancelled: boolean): AnnotationRow {
    const task = this.state.tasks.get(taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    const at = this.state.now();
    const annotation: AnnotationRow = {
      id: this.state.nextId(),
      task: taskId,
      project: task.project,
      result,
      was_cancelled: cancelled,
      created_at: at,
      updated_at: at,
    };
    this.state.annotations.set(annotation.id, annotation);
    task.updated_at = at;
    return annotation;
  }

  #get(annotationId: number): AnnotationRow {
    const annotation = this.state.annotations.get(annotationId);
    if (annotation === undefined) throw new Error(`no annotation ${annotationId}`);
    return annotation;
  }

  #taskPayload(taskId: number): Record<string, unknown> {
    const task = this.state.tasks.get(taskId);
    if (task === undefined) throw new Error(`no task ${taskId}`);
    return taskPayload(
      task,
      this.state.annotationsOf(taskId),
      this.state.predictionsOf(taskId),
      this.state.maximumOf(task.project),
    );
  }

  async #emit(action: string, annotation: AnnotationRow): Promise<void> {
    await this.webhooks.emit(annotation.project, action, {
      annotation: annotationView(annotation),
      task: this.#taskPayload(annotation.task),
    });
  }
}
