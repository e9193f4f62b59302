import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  DATA_ROW_IMPORT_TYPE,
  type DataRowSpec,
  dataRowSpecSchema,
  ERROR_CODES,
  type ExportLine,
  exportLineSchema,
  MAX_PAGE,
  type Operation,
  ontologySchema,
  type operations,
  UPSERT_CHUNK_SIZE_BYTES,
  uploadManifestSchema,
} from './assumptions.js';
import type {
  ExportTaskRecord,
  ImportEnding,
  ImportTaskRecord,
  LabelboxState,
  ProjectRecord,
} from './state.js';

/** A GraphQL error as Labelbox reports it: HTTP 200, `errors[0].extensions.code` [I]. */
export class GraphqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolverContext {
  readonly state: LabelboxState;
  /** The emulator's own base URL, for export results and masks. */
  readonly baseUrl: string;
  readonly now: () => string;
  /** How many polls an export task stays `IN_PROGRESS`. */
  readonly exportPolls: number;
  /** Whether an export asked for as streamable (`isStreamableReady`) is made streamable. */
  readonly streamableExports: boolean;
  /** Lines per file of a streamed export, so results span several files. */
  readonly exportLinesPerFile: number;
  /** How many `createdTasks` polls a data row import still answers `IN_PROGRESS`. */
  readonly importPolls: number;
  /** How a data row import started now ends once those polls are spent. */
  readonly importEnds: ImportEnding;
  /** Records a departure from the assumed contract (a self-check failing, a bad request). */
  readonly violation: (message: string) => void;
}

type Vars<K extends Operation> = z.infer<(typeof operations)[K]['variables']>;
type Resolvers = { [K in Operation]: (vars: Vars<K>, ctx: ResolverContext) => unknown };

const notFound = (what: string, id: string) =>
  new GraphqlError(ERROR_CODES.notFound, `${what} with id ${id} does not exist`);

function liveProject(ctx: ResolverContext, id: string): ProjectRecord {
  const project = ctx.state.projects.get(id);
  if (!project) throw notFound('Project', id);
  return project;
}

function projectView(ctx: ResolverContext, project: ProjectRecord) {
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    ontology: project.ontologyId ? { id: project.ontologyId } : null,
    webhooks: [...ctx.state.webhooks.values()]
      .filter((hook) => hook.projectId === project.id)
      .map(({ id, url, status, topics }) => ({ id, url, status, topics })),
  };
}

export const resolvers: Resolvers = {
  datasets: ({ name, skip, first }, { state }) =>
    [...state.datasets.values()]
      .filter((dataset) => dataset.name === name)
      .slice(skip, skip + first),

  createDataset: ({ name, description }, { state }) => {
    const dataset = { id: state.newId('ds'), name, description };
    state.datasets.set(dataset.id, dataset);
    return dataset;
  },

  dataset: ({ datasetId }, { state }) => {
    const dataset = state.datasets.get(datasetId);
    return dataset
      ? { id: dataset.id, name: dataset.name, description: dataset.description }
      : null;
  },

  datasetDataRows: ({ id, from, first }, { state }) => {
    if (!state.datasets.has(id)) throw notFound('Dataset', id);
    const rows = [...state.dataRows.values()].filter((row) => row.datasetId === id);
    // The cursor is the id of the last row of the page before, as opaque as Labelbox's.
    const start = from ? rows.findIndex((row) => row.id === from) + 1 : 0;
    const nodes = rows.slice(start, start + first);
    const more = start + nodes.length < rows.length;
    return {
      nodes: nodes.map(({ id: rowId, globalKey, rowData }) => ({ id: rowId, globalKey, rowData })),
      pageInfo: { hasNextPage: more, startCursor: more ? (nodes.at(-1)?.id ?? null) : null },
    };
  },

  updateDataset: ({ datasetId }, { state }) => {
    if (!state.datasets.delete(datasetId)) throw notFound('Dataset', datasetId);
    for (const row of [...state.dataRows.values()]) {
      if (row.datasetId === datasetId) state.dataRows.delete(row.id);
    }
    return { id: datasetId };
  },

  upsertDataRows: ({ manifestUri }, ctx) => {
    const manifest = readUpload(ctx, manifestUri, 'manifest', (json) =>
      uploadManifestSchema.safeParse(json),
    );
    const specs: DataRowSpec[] = [];
    for (const uri of manifest.chunk_uris) {
      const chunk = readUpload(ctx, uri, 'chunk', (json) =>
        dataRowSpecSchema.array().min(1).safeParse(json),
      );
      const size = ctx.state.uploads.get(uri)?.bytes.length ?? 0;
      if (size > UPSERT_CHUNK_SIZE_BYTES && chunk.length > 1) {
        refuse(ctx, `chunk ${uri} holds ${size} bytes, more than the SDK puts in one`);
      }
      specs.push(...chunk);
    }
    if (specs.length !== manifest.item_count) {
      refuse(ctx, `item_count ${manifest.item_count}, but the chunks hold ${specs.length} items`);
    }
    const now = ctx.now();
    const task: ImportTaskRecord = {
      id: ctx.state.newId('tk'),
      createdBy: ctx.state.userId,
      createdAt: now,
      updatedAt: now,
      status: 'IN_PROGRESS',
      pollsLeft: ctx.importPolls,
      ends: ctx.importEnds,
      rows: specs.map(({ payload }) => ({
        datasetId: payload.dataset_id,
        globalKey: payload.global_key,
        rowData: payload.row_data,
        mediaType: payload.media_type ?? 'IMAGE',
      })),
      created: [],
      failed: [],
    };
    ctx.state.importTasks.set(task.id, task);
    return importTaskView(task);
  },

  user: (_vars, { state }) => ({
    id: state.userId,
    email: 'annotator@emulator.test',
    name: 'Emulated annotator',
    nickname: 'annotator',
  }),

  'user.createdTasks': ({ userId, taskId, skip }, ctx) => {
    // Another user's tasks are not this key's to read [I].
    if (userId !== ctx.state.userId) return null;
    const task = ctx.state.importTasks.get(taskId);
    if (!task || task.createdBy !== userId || skip > 0) return { createdTasks: [] };
    if (task.status === 'IN_PROGRESS') {
      if (task.pollsLeft > 0) task.pollsLeft -= 1;
      else if (task.ends === 'LOST') {
        ctx.state.importTasks.delete(task.id);
        return { createdTasks: [] };
      } else if (task.ends === 'FAILED') failImport(task, ctx.now);
      else finishImports(ctx.state, ctx.now, task);
    }
    return { createdTasks: [importTaskView(task)] };
  },

  failedDataRowImports: ({ taskId, first, from }, { state }) => {
    const task = state.importTasks.get(taskId);
    if (!task) throw notFound('Task', taskId);
    const { items, after } = cursorPage(task.failed, from, first);
    return {
      after,
      total: task.failed.length,
      results: items.map(({ message, globalKey, rowData }) => ({
        message,
        spec: { externalId: null, globalKey, rowData, metadata: [], attachments: [] },
      })),
    };
  },

  successesfulDataRowImports: ({ taskId, first, from }, { state }) => {
    const task = state.importTasks.get(taskId);
    if (!task) throw notFound('Task', taskId);
    const { items, after } = cursorPage(task.created, from, first);
    return {
      nodes: items.map(({ id, globalKey, rowData }) => ({
        id,
        externalId: null,
        globalKey,
        rowData,
      })),
      after,
      total: task.created.length,
    };
  },

  updateDataRow: ({ dataRowId, rowData }, { state }) => {
    const row = state.dataRows.get(dataRowId);
    if (!row) throw notFound('DataRow', dataRowId);
    row.rowData = rowData;
    return { id: row.id, rowData: row.rowData };
  },

  deleteDataRows: ({ dataRowIds }, { state }) =>
    dataRowIds.filter((id) => state.dataRows.delete(id)).map((id) => ({ id })),

  ontologies: ({ search, from, first }, { state }) => {
    const found = [...state.ontologies.values()].filter((ontology) =>
      ontology.name.toLowerCase().includes(search.toLowerCase()),
    );
    // The cursor is the id of the last ontology of the page before, opaque to the client.
    const start = from ? found.findIndex((ontology) => ontology.id === from) + 1 : 0;
    const nodes = found.slice(start, start + first);
    const more = start + nodes.length < found.length;
    return {
      nodes: nodes.map(({ id, name }) => ({ id, name })),
      nextCursor: more ? (nodes.at(-1)?.id ?? null) : null,
    };
  },

  upsertOntology: ({ data }, ctx) => {
    let normalized: unknown;
    try {
      normalized = JSON.parse(data.normalized);
    } catch {
      throw new GraphqlError(ERROR_CODES.invalid, 'normalized is not JSON');
    }
    const parsed = ontologySchema.safeParse(normalized);
    if (!parsed.success) {
      ctx.violation(`upsertOntology: normalized ontology: ${parsed.error.message}`);
      throw new GraphqlError(ERROR_CODES.invalid, 'Invalid ontology');
    }
    const names = [
      ...parsed.data.tools.map((tool) => tool.name),
      ...parsed.data.classifications.map((c) => c.name),
    ];
    if (new Set(names).size !== names.length) {
      ctx.violation('upsertOntology: feature names must be unique within an ontology');
      throw new GraphqlError(ERROR_CODES.invalid, 'Duplicate feature names');
    }
    const ontology = { id: ctx.state.newId('on'), name: data.name, normalized: parsed.data };
    ctx.state.ontologies.set(ontology.id, ontology);
    return { id: ontology.id, name: ontology.name };
  },

  projects: ({ name, skip, first }, ctx) =>
    [...ctx.state.projects.values()]
      .filter((project) => project.name === name)
      .slice(skip, skip + first)
      .map((project) => projectView(ctx, project)),

  createProject: ({ name, description, allowedMediaType }, { state }) => {
    const project: ProjectRecord = {
      id: state.newId('pr'),
      name,
      description,
      mediaType: allowedMediaType,
      batches: new Map(),
      rows: new Map(),
    };
    state.projects.set(project.id, project);
    return { id: project.id, name: project.name, description: project.description };
  },

  project: ({ projectId }, ctx) => {
    const project = ctx.state.projects.get(projectId);
    return project ? projectView(ctx, project) : null;
  },

  'project.batches': ({ projectId, from, first }, ctx) => {
    const project = ctx.state.projects.get(projectId);
    if (!project) return null;
    // The cursor is the id of the last batch of the page before, as opaque as Labelbox's.
    const all = [...project.batches.values()];
    const start = from ? all.findIndex((batch) => batch.id === from) + 1 : 0;
    const nodes = all.slice(start, start + Math.min(first, MAX_PAGE));
    const last = nodes.at(-1);
    const more = start + nodes.length < all.length;
    return {
      batches: {
        nodes: nodes.map(({ id, name }) => ({ id, name })),
        pageInfo: { endCursor: more && last ? last.id : null },
      },
    };
  },

  'project.connectOntology': ({ projectId, ontologyId }, ctx) => {
    const project = liveProject(ctx, projectId);
    if (!ctx.state.ontologies.has(ontologyId)) throw notFound('Ontology', ontologyId);
    project.ontologyId = ontologyId;
    return { connectOntology: { id: ontologyId } };
  },

  'project.createBatchV2': ({ projectId, batchInput }, ctx) => {
    const project = liveProject(ctx, projectId);
    if (!project.ontologyId) {
      throw new GraphqlError(ERROR_CODES.invalid, 'Connect an ontology before adding batches');
    }
    if ([...project.batches.values()].some((batch) => batch.name === batchInput.name)) {
      // The SDK: "a name for the batch, must be unique within a project" [V project.py].
      throw new GraphqlError(ERROR_CODES.conflict, `Batch ${batchInput.name} already exists`);
    }
    const failedDataRowIds: string[] = [];
    const accepted: string[] = [];
    for (const id of batchInput.dataRowIds) {
      const row = ctx.state.dataRows.get(id);
      if (!row || ctx.state.batchOfRow(project, id)) failedDataRowIds.push(id);
      else accepted.push(id);
    }
    const batch = { id: ctx.state.newId('ba'), name: batchInput.name, dataRowIds: accepted };
    project.batches.set(batch.id, batch);
    for (const id of accepted) project.rows.set(id, { status: 'TO_LABEL' });
    return {
      createBatchV2: {
        batch: { id: batch.id, name: batch.name, size: accepted.length },
        failedDataRowIds,
      },
    };
  },

  'project.deleteBatch': ({ projectId, batchId }, ctx) => {
    const project = liveProject(ctx, projectId);
    const batch = project.batches.get(batchId);
    if (!batch) throw notFound('Batch', batchId);
    for (const id of batch.dataRowIds) project.rows.delete(id);
    project.batches.delete(batchId);
    return { deleteBatch: { deletedBatchId: batchId } };
  },

  updateProject: ({ projectId }, ctx) => {
    liveProject(ctx, projectId);
    ctx.state.projects.delete(projectId);
    // A deleted project's webhooks go with it [I].
    for (const hook of [...ctx.state.webhooks.values()]) {
      if (hook.projectId === projectId) ctx.state.webhooks.delete(hook.id);
    }
    return { id: projectId };
  },

  createWebhook: ({ projectId, topics, url, secret }, ctx) => {
    liveProject(ctx, projectId);
    const hook = {
      id: ctx.state.newId('wh'),
      projectId,
      url,
      secret,
      topics,
      status: 'ACTIVE' as const,
    };
    ctx.state.webhooks.set(hook.id, hook);
    return { id: hook.id, url: hook.url, status: hook.status, topics: hook.topics };
  },

  updateWebhook: ({ webhookId, status }, { state }) => {
    const hook = state.webhooks.get(webhookId);
    if (!hook) throw notFound('Webhook', webhookId);
    hook.status = status;
    return { id: hook.id, status: hook.status };
  },

  exportDataRowsInProject: ({ input }, ctx) => {
    const project = liveProject(ctx, input.filters.projectId);
    const batchIds = input.filters.searchQuery.query.flatMap((filter) => filter.ids);
    const lines: string[] = [];
    for (const batch of project.batches.values()) {
      if (batchIds.length > 0 && !batchIds.includes(batch.id)) continue;
      for (const rowId of batch.dataRowIds) {
        const line = exportLine(ctx, project, batch.id, rowId, input.params);
        if (line) lines.push(`${JSON.stringify(line)}\n`);
      }
    }
    const files: ExportTaskRecord['files'] = [];
    let start = 0;
    for (let first = 0; first < lines.length; first += ctx.exportLinesPerFile) {
      const chunk = lines.slice(first, first + ctx.exportLinesPerFile);
      const size = Buffer.byteLength(chunk.join(''));
      files.push({
        start,
        end: start + size - 1,
        firstLine: first,
        lastLine: first + chunk.length - 1,
      });
      start += size;
    }
    const task: ExportTaskRecord = {
      id: ctx.state.newId('tk'),
      pollsLeft: ctx.exportPolls,
      ndjson: lines.join(''),
      streamable: input.isStreamableReady === true && ctx.streamableExports,
      signature: randomUUID(),
      files,
    };
    ctx.state.exportTasks.set(task.id, task);
    return { taskId: task.id, isStreamable: task.streamable };
  },

  task: ({ where }, ctx) => {
    const task = ctx.state.exportTasks.get(where.id);
    if (!task) return null;
    if (task.pollsLeft > 0) {
      task.pollsLeft -= 1;
      return { id: task.id, status: 'IN_PROGRESS', result: null };
    }
    // A streamed result is read through its files, not through one link [I].
    const result = task.streamable
      ? null
      : `${ctx.baseUrl}/exports/${task.id}.ndjson?signature=${task.signature}`;
    return { id: task.id, status: 'COMPLETE', result };
  },

  'task.exportMetadataHeader': ({ where, streamType }, ctx) => {
    const task = ctx.state.exportTasks.get(where.id);
    if (!task) return null;
    if (task.pollsLeft > 0 || !task.streamable || streamType === 'ERRORS') {
      return { exportMetadataHeader: null };
    }
    const totalSize = Buffer.byteLength(task.ndjson);
    const totalLines = task.files.at(-1)?.lastLine ?? -1;
    return { exportMetadataHeader: { totalSize, totalLines: totalLines + 1 } };
  },

  'task.exportFileFromOffset': ({ where, streamType, offset }, ctx) => {
    const task = ctx.state.exportTasks.get(where.id);
    if (!task) return null;
    const at = Number(offset);
    const index = task.files.findIndex((file) => file.start <= at && at <= file.end);
    const file = task.files[index];
    if (!task.streamable || streamType === 'ERRORS' || !file) return { exportFileFromOffset: null };
    return {
      exportFileFromOffset: {
        offsets: { start: file.start, end: file.end },
        lines: { start: file.firstLine, end: file.lastLine },
        file: `${ctx.baseUrl}/exports/${task.id}/${index}.ndjson?signature=${task.signature}`,
      },
    };
  },
};

/**
 * Completes the data row imports still in progress, oldest first, up to `through` (all of them
 * without it), as Labelbox works through them whether anyone polls or not [I]: each row is
 * created unless its dataset is gone or another data row holds its global key.
 */
export function finishImports(
  state: LabelboxState,
  now: () => string,
  through?: ImportTaskRecord,
): void {
  for (const task of state.importTasks.values()) {
    if (task.status !== 'IN_PROGRESS') continue;
    for (const row of task.rows) {
      const { globalKey, rowData } = row;
      const holder = state.dataRowByGlobalKey(globalKey);
      if (!state.datasets.has(row.datasetId)) {
        task.failed.push({ globalKey, rowData, message: `Dataset ${row.datasetId} not found` });
      } else if (holder) {
        task.failed.push({
          globalKey,
          rowData,
          message: `Global key ${globalKey} is already in use by another data row (${holder.id})`,
        });
      } else {
        const id = state.newId('dr');
        state.dataRows.set(id, { id, ...row });
        task.created.push({ id, globalKey, rowData });
      }
    }
    task.status = 'COMPLETE';
    task.pollsLeft = 0;
    task.updatedAt = now();
    if (task === through) return;
  }
}

/** Ends an import `FAILED`: no row is made, and each is reported refused [I]. */
function failImport(task: ImportTaskRecord, now: () => string): void {
  for (const { globalKey, rowData } of task.rows) {
    task.failed.push({ globalKey, rowData, message: 'Data row import failed' });
  }
  task.status = 'FAILED';
  task.pollsLeft = 0;
  task.updatedAt = now();
}

function importTaskView(task: ImportTaskRecord) {
  return {
    id: task.id,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    name: 'Data row import',
    status: task.status,
    completionPercentage: task.status === 'IN_PROGRESS' ? 0 : 100,
    result: null,
    errors: null,
    type: DATA_ROW_IMPORT_TYPE,
    metadata: null,
  };
}

/** A page of `items` from cursor `from` (an opaque offset here); `after` is null at the end. */
function cursorPage<T>(items: readonly T[], from: string | null | undefined, first: number) {
  const start = from ? Number(from) : 0;
  const page = items.slice(start, start + first);
  const end = start + page.length;
  return { items: page, after: end < items.length ? String(end) : null };
}

function refuse(ctx: ResolverContext, why: string): never {
  ctx.violation(`upsertDataRows: ${why}`);
  throw new GraphqlError(ERROR_CODES.invalid, why);
}

/** An uploaded JSON file the import names, parsed and checked, or the import refused. */
function readUpload<T>(
  ctx: ResolverContext,
  uri: string,
  what: string,
  parse: (json: unknown) => z.ZodSafeParseResult<T>,
): T {
  const upload = ctx.state.uploads.get(uri);
  if (!upload) return refuse(ctx, `the ${what} ${uri} was not uploaded with uploadFile`);
  let json: unknown;
  try {
    json = JSON.parse(upload.bytes.toString('utf8'));
  } catch {
    return refuse(ctx, `the ${what} ${uri} is not JSON`);
  }
  const parsed = parse(json);
  if (!parsed.success) return refuse(ctx, `the ${what} ${uri}: ${parsed.error.message}`);
  return parsed.data;
}

/** The `include…` flags of an export: a part left out of them is left out of its lines. */
type ExportParams = Vars<'exportDataRowsInProject'>['input']['params'];

function exportLine(
  ctx: ResolverContext,
  project: ProjectRecord,
  batchId: string,
  rowId: string,
  params: ExportParams,
): ExportLine | undefined {
  const row = ctx.state.dataRows.get(rowId);
  const inProject = project.rows.get(rowId);
  if (!row || !inProject) return undefined;
  const label = inProject.label;
  const line = {
    data_row: { id: row.id, global_key: row.globalKey, external_id: null, row_data: row.rowData },
    ...(row.mediaAttributes ? { media_attributes: { ...row.mediaAttributes } } : {}),
    projects: {
      [project.id]: {
        name: project.name,
        labels: label
          ? [
              {
                id: label.id,
                ...(params.includeLabelDetails
                  ? {
                      label_details: { created_at: label.createdAt, updated_at: label.updatedAt },
                    }
                  : {}),
                annotations: label.video ?? {
                  objects: label.objects,
                  classifications: label.classifications,
                  relationships: [],
                },
              },
            ]
          : [],
        ...(params.includeProjectDetails
          ? { project_details: { workflow_status: inProject.status, batch_id: batchId } }
          : {}),
      },
    },
  };
  // The emulator checks its own output against the assumed export shape: a line lacking
  // what annoflow reads is a request that left out an `include…` flag it needs.
  const checked = exportLineSchema.safeParse(line);
  if (!checked.success) {
    ctx.violation(`export line of ${row.id}: ${checked.error.message}`);
    return undefined;
  }
  return checked.data;
}
