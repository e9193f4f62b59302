import { randomBytes } from 'node:crypto';
import { splitTracksByJob } from './job-tracks.js';
import { maskProblem } from './mask-pixels.js';
import type {
  CvatState,
  JobStage,
  JobState,
  ShapeRecord,
  TagRecord,
  TaskAnnotations,
  TaskRecord,
  TrackRecord,
} from './state.js';
import { cloudStorageRead, metaSelection, readTaskMedia } from './task-media.js';
import type { WebhookSender } from './webhooks.js';

/** What a route handler sees: the caller, its organization, the parsed request. */
export interface RouteContext {
  userId: number;
  organization: number | null;
  params: Record<string, number>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  /** The request's URL without query, absolute, for pagination links. */
  selfUrl: string;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

type Handler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

const notFound = (): RouteResult => ({ status: 404, body: { detail: 'Not found.' } });
const badRequest = (detail: string): RouteResult => ({ status: 400, body: { detail } });

/** DRF page-number pagination: default size 10, absolute `next`/`previous`. */
function paginate<T>(items: readonly T[], ctx: RouteContext, read: (item: T) => unknown) {
  const size = Math.max(1, Number(ctx.query.get('page_size') ?? '10') || 10);
  const page = Math.max(1, Number(ctx.query.get('page') ?? '1') || 1);
  const link = (number: number) => {
    const query = new URLSearchParams(ctx.query);
    query.set('page', String(number));
    return `${ctx.selfUrl}?${query.toString()}`;
  };
  const start = (page - 1) * size;
  return {
    status: 200,
    body: {
      count: items.length,
      next: start + size < items.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: items.slice(start, start + size).map(read),
    },
  };
}

const inOrg = (ctx: RouteContext, organization: number | null) =>
  ctx.organization === null || ctx.organization === organization;

const numberParam = (ctx: RouteContext, name: string): number | undefined => {
  const value = ctx.query.get(name);
  return value === null ? undefined : Number(value);
};

/** The REST routes of the subset the client uses (paths without the trailing slash). */
export function cvatRoutes(state: CvatState, webhooks: WebhookSender, version: string): Route[] {
  const routes: Route[] = [];
  const on = (method: string, path: string, handler: Handler) => {
    const names: string[] = [];
    const source = path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      names.push(name);
      return '(\\d+)';
    });
    routes.push({ method, pattern: new RegExp(`^${source}$`), names, handler });
  };
  const project = (ctx: RouteContext) => {
    const found = state.projects.get(ctx.params.id ?? -1);
    return found && inOrg(ctx, found.organization) ? found : undefined;
  };
  const task = (ctx: RouteContext) => {
    const found = state.tasks.get(ctx.params.id ?? -1);
    return found && inOrg(ctx, found.organization) ? found : undefined;
  };

  on('GET', '/api/server/about', () => ({
    status: 200,
    body: {
      name: 'Computer Vision Annotation Tool',
      description: 'CVAT contract emulator',
      version,
      logo_url: '',
      subtitle: '',
    },
  }));

  on('GET', '/api/users/self', (ctx) => ({ status: 200, body: userFull(ctx.userId) }));
  on('GET', '/api/users', (ctx) => {
    const search = ctx.query.get('search')?.toLowerCase();
    const username = ctx.query.get('username');
    const users = [...state.users.values()].filter(
      (user) =>
        (search === undefined || user.username.toLowerCase().includes(search)) &&
        (username === null || user.username === username),
    );
    return paginate(users, ctx, (user) => userFull(user.id));
  });
  function userFull(id: number) {
    const user = state.users.get(id);
    return {
      ...state.userRead(id),
      email: user?.email ?? '',
      groups: ['user'],
      is_staff: false,
      is_superuser: false,
      is_active: true,
      last_login: null,
      date_joined: '2026-01-01T00:00:00.000Z',
      has_analytics_access: false,
    };
  }

  // --- projects ------------------------------------------------------------------------------
  on('GET', '/api/projects', (ctx) => {
    const search = ctx.query.get('search')?.toLowerCase();
    const name = ctx.query.get('name');
    const projects = [...state.projects.values()].filter(
      (each) =>
        inOrg(ctx, each.organization) &&
        (search === undefined || each.name.toLowerCase().includes(search)) &&
        (name === null || each.name === name),
    );
    return paginate(projects, ctx, (each) => state.projectRead(each));
  });
  on('POST', '/api/projects', (ctx) => {
    const id = state.nextId('project');
    const at = state.now();
    const created = {
      id,
      name: String(ctx.body.name),
      owner: ctx.userId,
      organization: ctx.organization,
      created_date: at,
      updated_date: at,
    };
    state.projects.set(id, created);
    state.createLabels(labelSpecs(ctx.body), { project_id: id, task_id: null });
    return { status: 201, body: state.projectRead(created) };
  });
  on('GET', '/api/projects/{id}', (ctx) => {
    const found = project(ctx);
    return found ? { status: 200, body: state.projectRead(found) } : notFound();
  });
  on('PATCH', '/api/projects/{id}', (ctx) => {
    const found = project(ctx);
    if (!found) return notFound();
    if (typeof ctx.body.name === 'string') found.name = ctx.body.name;
    const created: Array<Record<string, unknown>> = [];
    for (const spec of labelSpecs(ctx.body)) {
      const existing = typeof spec.id === 'number' ? state.labels.get(spec.id) : undefined;
      if (!existing) {
        created.push(spec);
        continue;
      }
      if (spec.deleted === true) {
        state.labels.delete(existing.id);
        continue;
      }
      if (typeof spec.name === 'string') existing.name = spec.name;
      for (const attribute of (spec.attributes as Array<Record<string, unknown>>) ?? []) {
        const known = existing.attributes.find((each) => each.id === attribute.id);
        if (known) Object.assign(known, state.attributeOf(attribute));
        else existing.attributes.push(state.attributeOf({ ...attribute, id: undefined }));
      }
    }
    state.createLabels(created, { project_id: found.id, task_id: null });
    found.updated_date = state.now();
    return { status: 200, body: state.projectRead(found) };
  });
  on('DELETE', '/api/projects/{id}', (ctx) => {
    const found = project(ctx);
    if (!found) return notFound();
    state.deleteProject(found, ctx.userId);
    return { status: 204 };
  });

  on('GET', '/api/labels', (ctx) => {
    const projectId = numberParam(ctx, 'project_id');
    const taskId = numberParam(ctx, 'task_id');
    const job = state.jobs.get(numberParam(ctx, 'job_id') ?? -1);
    const owner = state.tasks.get(taskId ?? job?.task_id ?? -1);
    const labels = [...state.labels.values()].filter((label) =>
      owner
        ? state.labelsOf(owner).includes(label)
        : projectId !== undefined
          ? label.project_id === projectId
          : true,
    );
    return paginate(labels, ctx, (label) => state.labelRead(label));
  });

  // --- tasks ---------------------------------------------------------------------------------
  on('GET', '/api/tasks', (ctx) => {
    const projectId = numberParam(ctx, 'project_id');
    const name = ctx.query.get('name');
    const tasks = [...state.tasks.values()].filter(
      (each) =>
        inOrg(ctx, each.organization) &&
        (projectId === undefined || each.project_id === projectId) &&
        (name === null || each.name === name),
    );
    return paginate(tasks, ctx, (each) => state.taskRead(each));
  });
  on('POST', '/api/tasks', (ctx) => {
    const projectId = typeof ctx.body.project_id === 'number' ? ctx.body.project_id : null;
    if (projectId !== null && !state.projects.has(projectId)) {
      return badRequest(`Invalid pk "${projectId}" - object does not exist.`);
    }
    const id = state.nextId('task');
    const at = state.now();
    const created: TaskRecord = {
      id,
      name: String(ctx.body.name),
      project_id: projectId,
      owner: ctx.userId,
      organization: ctx.organization,
      segment_size: typeof ctx.body.segment_size === 'number' ? ctx.body.segment_size : 0,
      overlap: typeof ctx.body.overlap === 'number' ? ctx.body.overlap : null,
      assignee: null,
      image_quality: 70,
      status: 'annotation',
      created_date: at,
      updated_date: at,
      frames: [],
      video: false,
      version: 0,
      ...(typeof ctx.body.bug_tracker === 'string' ? { bug_tracker: ctx.body.bug_tracker } : {}),
    };
    state.tasks.set(id, created);
    if (projectId === null) {
      state.createLabels(labelSpecs(ctx.body), { project_id: null, task_id: id });
    }
    state.emitFor(created, 'create:task', 'task', state.taskRead(created), ctx.userId);
    return { status: 201, body: state.taskRead(created) };
  });
  on('GET', '/api/tasks/{id}', (ctx) => {
    const found = task(ctx);
    return found ? { status: 200, body: state.taskRead(found) } : notFound();
  });
  on('PATCH', '/api/tasks/{id}', (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    const before: Record<string, unknown> = {};
    if (ctx.body.assignee_id !== undefined) {
      const assignee = ctx.body.assignee_id as number | null;
      if (assignee !== null && !state.users.has(assignee)) return badRequest('Unknown user');
      before.assignee = state.userRead(found.assignee);
      found.assignee = assignee;
    }
    if (typeof ctx.body.name === 'string') {
      before.name = found.name;
      found.name = ctx.body.name;
    }
    before.updated_date = found.updated_date;
    found.updated_date = state.now();
    state.emitFor(found, 'update:task', 'task', state.taskRead(found), ctx.userId, before);
    return { status: 200, body: state.taskRead(found) };
  });
  on('DELETE', '/api/tasks/{id}', (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    state.deleteTask(found, ctx.userId);
    return { status: 204 };
  });
  on('GET', '/api/cloudstorages/{id}', (ctx) => {
    const found = state.cloudStorages.get(ctx.params.id ?? -1);
    return found && inOrg(ctx, found.organization)
      ? { status: 200, body: cloudStorageRead(found, state.userRead(found.owner)) }
      : notFound();
  });
  on('GET', '/api/tasks/{id}/status', (ctx) =>
    task(ctx)
      ? { status: 200, body: { state: 'Finished', message: '', progress: 100 } }
      : notFound(),
  );
  on('POST', '/api/tasks/{id}/data', async (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    if (found.frames.length > 0) return badRequest('Adding more data is not supported');
    if (typeof ctx.body.image_quality !== 'number') return badRequest('image_quality is required');
    const media = await readTaskMedia(ctx.body, state.cloudStorages, found.organization);
    if (typeof media === 'string') return badRequest(media);
    found.image_quality = ctx.body.image_quality;
    const { frames } = media;
    found.video = media.video;
    if (media.video) found.selection = media.selection;
    found.frames = frames;
    state.createJobs(found, ctx.userId);
    return { status: 202, body: { rq_id: `create:task-${found.id}` } };
  });
  on('GET', '/api/tasks/{id}/data/meta', (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    return {
      status: 200,
      body: {
        chunks_updated_date: found.updated_date,
        chunk_size: 72,
        size: found.frames.length,
        image_quality: found.image_quality,
        ...metaSelection(found),
        // A video is described by one entry for all its frames.
        frames: (found.video ? found.frames.slice(0, 1) : found.frames).map((frame) => ({
          ...frame,
          related_files: 0,
          has_related_context: false,
        })),
        deleted_frames: [],
        included_frames: null,
      },
    };
  });
  on('GET', '/api/tasks/{id}/annotations', (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    return { status: 200, body: labeledData(found.version, state.taskAnnotations(found.id)) };
  });
  on('PUT', '/api/tasks/{id}/annotations', (ctx) => {
    const found = task(ctx);
    if (!found) return notFound();
    const checked = checkAnnotations(found, ctx.body);
    if (typeof checked === 'string') return badRequest(checked);
    // CVAT saves a task's data job by job: a track spanning jobs becomes one track per job.
    const jobs = state.jobsOf(found.id);
    state.annotations.set(
      found.id,
      splitTracksByJob(checked, jobs, (kind) => state.nextId(kind)),
    );
    state.touchAfterSave(found, jobs, ctx.userId);
    // The response is the task-level view of what was saved, as CVAT's `put_task_data`.
    return { status: 200, body: labeledData(found.version, state.taskAnnotations(found.id)) };
  });

  // --- jobs ----------------------------------------------------------------------------------
  const job = (ctx: RouteContext) => {
    const found = state.jobs.get(ctx.params.id ?? -1);
    const owner = found && state.tasks.get(found.task_id);
    return found && owner && inOrg(ctx, owner.organization) ? found : undefined;
  };
  on('GET', '/api/jobs', (ctx) => {
    const taskId = numberParam(ctx, 'task_id');
    const jobs = [...state.jobs.values()].filter((each) => {
      const owner = state.tasks.get(each.task_id);
      return (
        owner !== undefined &&
        inOrg(ctx, owner.organization) &&
        (taskId === undefined || each.task_id === taskId)
      );
    });
    return paginate(jobs, ctx, (each) => state.jobRead(each));
  });
  on('GET', '/api/jobs/{id}', (ctx) => {
    const found = job(ctx);
    return found ? { status: 200, body: state.jobRead(found) } : notFound();
  });
  on('PATCH', '/api/jobs/{id}', (ctx) => {
    const found = job(ctx);
    if (!found) return notFound();
    state.updateJob(
      found,
      {
        ...(ctx.body.stage !== undefined ? { stage: ctx.body.stage as JobStage } : {}),
        ...(ctx.body.state !== undefined ? { state: ctx.body.state as JobState } : {}),
        ...(ctx.body.assignee !== undefined
          ? { assignee: ctx.body.assignee as number | null }
          : {}),
      },
      ctx.userId,
    );
    return { status: 200, body: state.jobRead(found) };
  });
  on('GET', '/api/jobs/{id}/annotations', (ctx) => {
    const found = job(ctx);
    if (!found) return notFound();
    const owner = state.tasks.get(found.task_id);
    return { status: 200, body: labeledData(owner?.version ?? 0, state.jobAnnotations(found)) };
  });

  // --- webhooks ------------------------------------------------------------------------------
  on('GET', '/api/webhooks', (ctx) => {
    const projectId = numberParam(ctx, 'project_id');
    const target = ctx.query.get('target_url');
    const hooks = [...state.webhooks.values()].filter(
      (hook) =>
        (projectId === undefined || hook.project_id === projectId) &&
        (target === null || hook.target_url === target),
    );
    return paginate(hooks, ctx, (hook) => state.webhookRead(hook));
  });
  on('POST', '/api/webhooks', (ctx) => {
    const type = ctx.body.type as 'project' | 'organization';
    const projectId = typeof ctx.body.project_id === 'number' ? ctx.body.project_id : null;
    if (type === 'project' && (projectId === null || !state.projects.has(projectId))) {
      return badRequest('project_id must name an existing project');
    }
    const id = state.nextId('webhook');
    const at = state.now();
    const hook = {
      id,
      target_url: String(ctx.body.target_url),
      description: typeof ctx.body.description === 'string' ? ctx.body.description : '',
      type,
      secret: typeof ctx.body.secret === 'string' ? ctx.body.secret : '',
      is_active: ctx.body.is_active !== false,
      enable_ssl: ctx.body.enable_ssl !== false,
      project_id: projectId,
      organization: ctx.organization,
      events: [...((ctx.body.events as string[] | undefined) ?? [])],
      owner: ctx.userId,
      created_date: at,
      updated_date: at,
    };
    state.webhooks.set(id, hook);
    return { status: 201, body: state.webhookRead(hook) };
  });
  on('GET', '/api/webhooks/{id}', (ctx) => {
    const hook = state.webhooks.get(ctx.params.id ?? -1);
    return hook ? { status: 200, body: state.webhookRead(hook) } : notFound();
  });
  on('DELETE', '/api/webhooks/{id}', (ctx) => {
    if (!state.webhooks.delete(ctx.params.id ?? -1)) return notFound();
    return { status: 204 };
  });
  on('POST', '/api/webhooks/{id}/ping', async (ctx) => {
    const hook = state.webhooks.get(ctx.params.id ?? -1);
    if (!hook) return notFound();
    const delivery = await webhooks.ping(hook, ctx.userId);
    return {
      status: 200,
      body: {
        id: webhooks.deliveries.length,
        webhook_id: hook.id,
        event: 'ping',
        status_code: delivery.status,
        redelivery: false,
        created_date: hook.updated_date,
        updated_date: hook.updated_date,
        changed_fields: '',
        request: JSON.parse(delivery.body) as unknown,
        response: {},
      },
    };
  });

  return routes;

  function labelSpecs(body: Record<string, unknown>): Array<Record<string, unknown>> {
    return (body.labels as Array<Record<string, unknown>> | undefined) ?? [];
  }

  /** CVAT refuses unknown labels, attribute specs and frames; ids are (re)assigned by the server. */
  function checkAnnotations(
    owner: TaskRecord,
    body: Record<string, unknown>,
  ): TaskAnnotations | string {
    const labels = new Map(state.labelsOf(owner).map((label) => [label.id, label]));
    const problem = (item: Record<string, unknown>): string | undefined => {
      const label = labels.get(item.label_id as number);
      if (!label) return `label_id ${String(item.label_id)} is not a label of task ${owner.id}`;
      const frame = item.frame as number;
      if (frame < 0 || frame >= owner.frames.length) return `frame ${frame} is out of range`;
      const size = owner.frames[frame];
      if (item.type === 'mask' && size) {
        const bad = maskProblem(
          (item.points as number[] | undefined) ?? [],
          size.width,
          size.height,
        );
        if (bad) return bad;
      }
      for (const value of (item.attributes as Array<{ spec_id: number }>) ?? []) {
        if (!label.attributes.some((attribute) => attribute.id === value.spec_id)) {
          return `spec_id ${value.spec_id} is not an attribute of label '${label.name}'`;
        }
      }
      return undefined;
    };
    const items = (key: string) => (body[key] as Array<Record<string, unknown>> | undefined) ?? [];
    for (const item of [...items('shapes'), ...items('tags'), ...items('tracks')]) {
      const found = problem(item);
      if (found) return found;
    }
    const base = (item: Record<string, unknown>) => ({
      frame: item.frame as number,
      label_id: item.label_id as number,
      group: (item.group as number | null) ?? 0,
      source: (item.source as string | undefined) ?? 'manual',
      attributes: (item.attributes as TagRecord['attributes'] | undefined) ?? [],
    });
    const geometry = (item: Record<string, unknown>) => ({
      type: item.type as string,
      points: (item.points as number[] | undefined) ?? [],
      occluded: item.occluded === true,
      outside: item.outside === true,
      z_order: (item.z_order as number | undefined) ?? 0,
      rotation: (item.rotation as number | undefined) ?? 0,
    });
    return {
      shapes: items('shapes').map(
        (item): ShapeRecord => ({ id: state.nextId('shape'), ...base(item), ...geometry(item) }),
      ),
      tags: items('tags').map((item): TagRecord => ({ id: state.nextId('tag'), ...base(item) })),
      tracks: items('tracks').map(
        (item): TrackRecord => ({
          id: state.nextId('track'),
          ...base(item),
          shapes: ((item.shapes as Array<Record<string, unknown>>) ?? []).map((shape) => ({
            id: state.nextId('tracked_shape'),
            frame: shape.frame as number,
            attributes: (shape.attributes as TagRecord['attributes'] | undefined) ?? [],
            keyframe: true,
            ...geometry(shape),
          })),
        }),
      ),
    };
  }
}

/** `LabeledData` as the server sends it (tracked shapes without the internal `keyframe`). */
export function labeledData(version: number, annotations: TaskAnnotations) {
  return {
    version,
    tags: annotations.tags.map((tag) => ({ ...tag })),
    shapes: annotations.shapes.map((shape) => ({ ...shape, elements: [] })),
    tracks: annotations.tracks.map((track) => ({
      ...track,
      elements: [],
      shapes: track.shapes.map(({ keyframe: _keyframe, ...shape }) => ({ ...shape })),
    })),
  };
}

export const newSecretToken = (): string => randomBytes(20).toString('hex');
