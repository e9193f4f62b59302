import type { EmulatorState } from './emulator.js';
import { projectView, taskView, type WebhookRow, webhookView } from './views.js';

export interface RouteRequest {
  readonly operationId: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly baseUrl: string;
  readonly refresh: (token: unknown) => string | undefined;
}

export interface RouteAnswer {
  readonly status: number;
  readonly body?: unknown;
}

const notFound: RouteAnswer = { status: 404, body: { detail: 'Not found.' } };
const invalidPage: RouteAnswer = { status: 404, body: { detail: 'Invalid page.' } };

function idIn(path: string, collection: string): number {
  const match = new RegExp(`/api/${collection}/(\\d+)`).exec(path);
  return Number(match?.[1] ?? Number.NaN);
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The API subset annoflow's client uses, answered from the emulator's state (reference §2.1,
 * §2.2, §2.5). Requests reach here only once they matched the published schema.
 */
export function routeRequest(state: EmulatorState, request: RouteRequest): RouteAnswer {
  const { operationId, path, query, body } = request;
  switch (operationId) {
    case 'api_version_retrieve':
      return {
        status: 200,
        body: {
          release: '1.20.0',
          edition: 'Community',
          backend: {},
          dm2: {},
          'label-studio-converter': {},
          'label-studio-frontend': {},
          'label-studio-os-backend': {},
          'label-studio-os-package': {},
          lsf: {},
        },
      };
    case 'api_token_refresh_create': {
      const access = request.refresh(asRecord(body).refresh);
      return access
        ? { status: 200, body: { access } }
        : { status: 401, body: { detail: 'Token is invalid or expired', code: 'token_not_valid' } };
    }
    case 'api_projects_list':
      return listProjects(state, request);
    case 'api_projects_create': {
      const input = asRecord(body);
      const id = state.nextId();
      state.projects.set(id, {
        id,
        title: typeof input.title === 'string' ? input.title : '',
        description: typeof input.description === 'string' ? input.description : '',
        label_config: typeof input.label_config === 'string' ? input.label_config : '<View></View>',
        maximum_annotations:
          typeof input.maximum_annotations === 'number' ? input.maximum_annotations : 1,
        created_at: state.now(),
      });
      return { status: 201, body: projectOf(state, id) };
    }
    case 'api_projects_retrieve': {
      const id = idIn(path, 'projects');
      return state.projects.has(id) ? { status: 200, body: projectOf(state, id) } : notFound;
    }
    case 'api_projects_destroy': {
      const id = idIn(path, 'projects');
      if (!state.projects.has(id)) return notFound;
      state.deleteProject(id);
      return { status: 204 };
    }
    case 'api_projects_import_create':
      return importTasks(state, idIn(path, 'projects'), body);
    case 'api_projects_import_predictions_create':
      return importPredictions(state, idIn(path, 'projects'), body);
    case 'api_tasks_list':
      return listTasks(state, query);
    case 'api_tasks_retrieve': {
      const task = state.tasks.get(idIn(path, 'tasks'));
      if (task === undefined) return notFound;
      return {
        status: 200,
        body: taskView(
          task,
          state.annotationsOf(task.id),
          state.predictionsOf(task.id),
          state.maximumOf(task.project),
        ),
      };
    }
    case 'api_tasks_partial_update': {
      const task = state.tasks.get(idIn(path, 'tasks'));
      if (task === undefined) return notFound;
      // Label Studio's serializer replaces `data` whole (a key left out is gone) and keeps
      // the task's annotations and predictions: they hang off the task, not its data.
      const input = asRecord(body);
      if ('data' in input) task.data = asRecord(input.data);
      if ('meta' in input) task.meta = asRecord(input.meta);
      task.updated_at = state.now();
      return {
        status: 200,
        body: taskView(
          task,
          state.annotationsOf(task.id),
          state.predictionsOf(task.id),
          state.maximumOf(task.project),
        ),
      };
    }
    case 'api_tasks_destroy': {
      const id = idIn(path, 'tasks');
      if (!state.tasks.has(id)) return notFound;
      state.deleteTask(id);
      return { status: 204 };
    }
    case 'api_webhooks_list': {
      const project = query.project === undefined ? undefined : Number(query.project);
      const hooks = [...state.webhooks.values()].filter(
        (hook) => project === undefined || hook.project === project,
      );
      return { status: 200, body: hooks.map(webhookView) };
    }
    case 'api_webhooks_create': {
      const id = state.nextId();
      const at = state.now();
      const hook: WebhookRow = {
        id,
        project: null,
        url: '',
        headers: {},
        actions: [],
        send_payload: true,
        send_for_all_actions: true,
        is_active: true,
        created_at: at,
        updated_at: at,
      };
      const invalid = applyWebhook(hook, asRecord(body), true);
      if (invalid) return invalid;
      if (hook.project !== null && !state.projects.has(hook.project)) {
        return { status: 400, body: { project: ['Invalid pk - object does not exist.'] } };
      }
      state.webhooks.set(id, hook);
      return { status: 201, body: webhookView(hook) };
    }
    case 'api_webhooks_partial_update': {
      const hook = state.webhooks.get(idIn(path, 'webhooks'));
      if (hook === undefined) return notFound;
      const invalid = applyWebhook(hook, asRecord(body), false);
      if (invalid) return invalid;
      hook.updated_at = state.now();
      return { status: 200, body: webhookView(hook) };
    }
    case 'api_webhooks_destroy': {
      const id = idIn(path, 'webhooks');
      if (!state.webhooks.delete(id)) return notFound;
      return { status: 204 };
    }
    default:
      return { status: 501, body: { detail: `the emulator does not implement ${operationId}` } };
  }
}

function projectOf(state: EmulatorState, id: number): Record<string, unknown> {
  const project = state.projects.get(id);
  if (project === undefined) throw new Error(`no project ${id}`);
  return projectView(project, state.counters(id));
}

/** DRF page-number paging: absolute `next` links, and a 404 for a page past the end. */
function page<T>(
  items: readonly T[],
  query: Record<string, string>,
  defaultSize: number,
): { items: T[]; number: number; more: boolean } | undefined {
  const size = Math.max(1, Number(query.page_size ?? defaultSize) || defaultSize);
  const number = Math.max(1, Number(query.page ?? 1) || 1);
  const start = (number - 1) * size;
  if (number > 1 && start >= items.length) return undefined;
  return { items: items.slice(start, start + size), number, more: start + size < items.length };
}

function listProjects(state: EmulatorState, request: RouteRequest): RouteAnswer {
  const { query } = request;
  const search = query.search?.toLowerCase();
  const title = query.title?.toLowerCase();
  const projects = [...state.projects.values()].filter(
    (project) =>
      (search === undefined ||
        project.title.toLowerCase().includes(search) ||
        project.description.toLowerCase().includes(search)) &&
      (title === undefined || project.title.toLowerCase().includes(title)),
  );
  const found = page(projects, query, 100);
  if (found === undefined) return invalidPage;
  const link = (number: number) => {
    const url = new URL(request.path, request.baseUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    url.searchParams.set('page', String(number));
    return url.href;
  };
  return {
    status: 200,
    body: {
      count: projects.length,
      next: found.more ? link(found.number + 1) : null,
      previous: found.number > 1 ? link(found.number - 1) : null,
      results: found.items.map((project) => projectOf(state, project.id)),
    },
  };
}

/**
 * `GET /api/tasks`: `{tasks, total, …}`, and a 404 past the last page, the quirk clients stop
 * on (reference §5.9). Of the Data Manager `query`, equality filters on task data are served.
 */
function listTasks(state: EmulatorState, query: Record<string, string>): RouteAnswer {
  let filters: Array<{ key: string; value: unknown }> = [];
  if (query.query !== undefined) {
    try {
      const parsed = asRecord(JSON.parse(query.query));
      const items = asRecord(parsed.filters).items;
      filters = (Array.isArray(items) ? items : []).map((item) => {
        const { filter, operator, value } = asRecord(item);
        const key =
          typeof filter === 'string' ? /^filter:tasks:data\.(.+)$/.exec(filter)?.[1] : undefined;
        if (key === undefined || operator !== 'equal')
          throw new Error(`unsupported filter ${String(filter)}`);
        return { key, value };
      });
    } catch (error) {
      return { status: 400, body: { detail: `query: ${String(error)}` } };
    }
  }
  const project = query.project === undefined ? undefined : Number(query.project);
  const tasks = [...state.tasks.values()]
    .filter((task) => project === undefined || task.project === project)
    .filter((task) => filters.every(({ key, value }) => task.data[key] === value))
    .sort((a, b) => (state.reverseTaskListing ? b.id - a.id : a.id - b.id));
  const found = page(tasks, query, 100);
  if (found === undefined) return invalidPage;
  const views = found.items.map((task) =>
    taskView(
      task,
      state.annotationsOf(task.id),
      state.predictionsOf(task.id),
      state.maximumOf(task.project),
    ),
  );
  return {
    status: 200,
    body: {
      tasks: views,
      total: tasks.length,
      total_annotations: views.reduce((sum, view) => sum + Number(view.total_annotations), 0),
      total_predictions: views.reduce((sum, view) => sum + Number(view.total_predictions), 0),
    },
  };
}

function importTasks(state: EmulatorState, projectId: number, body: unknown): RouteAnswer {
  if (!state.projects.has(projectId)) return notFound;
  const entries = Array.isArray(body) ? body : [];
  const columns = new Set<string>();
  for (const entry of entries) {
    const data = asRecord(asRecord(entry).data);
    const meta = asRecord(asRecord(entry).meta);
    for (const key of Object.keys(data)) columns.add(key);
    const at = state.now();
    const id = state.nextId();
    state.tasks.set(id, { id, project: projectId, data, meta, created_at: at, updated_at: at });
  }
  return {
    status: 201,
    body: {
      task_count: entries.length,
      annotation_count: 0,
      predictions_count: 0,
      duration: 0.01,
      file_upload_ids: [],
      could_be_tasks_list: false,
      found_formats: [],
      data_columns: [...columns],
    },
  };
}

function importPredictions(state: EmulatorState, projectId: number, body: unknown): RouteAnswer {
  if (!state.projects.has(projectId)) return notFound;
  const entries = (Array.isArray(body) ? body : []).map(asRecord);
  for (const entry of entries) {
    const task = state.tasks.get(Number(entry.task));
    if (task === undefined || task.project !== projectId) {
      return {
        status: 400,
        body: { detail: `task ${String(entry.task)} is not in project ${projectId}` },
      };
    }
  }
  for (const entry of entries) {
    const at = state.now();
    const id = state.nextId();
    state.predictions.set(id, {
      id,
      task: Number(entry.task),
      project: projectId,
      result: (Array.isArray(entry.result) ? entry.result : []).map(asRecord),
      model_version: typeof entry.model_version === 'string' ? entry.model_version : '',
      created_at: at,
      updated_at: at,
    });
  }
  return { status: 201, body: { created: entries.length } };
}

/** Header names as Label Studio's model allows them: `^[a-zA-Z0-9-_]+$`, at most 10. */
function applyWebhook(
  hook: WebhookRow,
  input: Record<string, unknown>,
  creating: boolean,
): RouteAnswer | undefined {
  if (typeof input.url === 'string') hook.url = input.url;
  if (creating && typeof input.project === 'number') hook.project = input.project;
  if (input.headers !== undefined) {
    const headers = asRecord(input.headers);
    const names = Object.keys(headers);
    if (names.length > 10 || names.some((name) => !/^[a-zA-Z0-9-_]+$/.test(name))) {
      return { status: 400, body: { headers: ['Invalid header names or too many headers.'] } };
    }
    hook.headers = Object.fromEntries(names.map((name) => [name, String(headers[name])]));
  }
  if (Array.isArray(input.actions)) hook.actions = input.actions.map(String);
  for (const flag of ['send_payload', 'send_for_all_actions', 'is_active'] as const) {
    if (typeof input[flag] === 'boolean') hook[flag] = input[flag];
  }
  return undefined;
}
