import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import type { LabelboxClient } from './client.js';
import type { WebhookTopic } from './webhook.js';

/**
 * The Labelbox operations annoflow uses, one function each. Each document has the shape the
 * Labelbox Python SDK sends (file and function in `test/emulators/labelbox/assumptions.ts`,
 * the one place to correct them): where the SDK writes an argument object into the document
 * and passes only scalars as variables, so does this, so no input type name is guessed.
 */

const named = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
});
export type Named = z.infer<typeof named>;

const idOnly = z.looseObject({ id: z.string() });

const projectSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  ontology: z.looseObject({ id: z.string() }).nullish(),
  webhooks: z.array(z.looseObject({ id: z.string(), url: z.string(), status: z.string() })),
});
export type Project = z.infer<typeof projectSchema>;
/** Items per page of a paged collection: the SDK's `pagination.py` `_PAGE_SIZE`. */
export const PAGE = 100;

export type MediaType = 'IMAGE' | 'VIDEO';

/** Data rows read per request: the SDK's page of a dataset's rows (`Dataset.data_rows`). */
export const DATA_ROW_PAGE = 500;

/**
 * The quality settings the SDK's `Client._create_project` adds to every new project when no
 * quality mode is asked for: benchmark and consensus both on, with consensus's audit numbers
 * (`quality_mode.py`: `CONSENSUS_AUTO_AUDIT_NUMBER_OF_LABELS = 3`,
 * `CONSENSUS_AUTO_AUDIT_PERCENTAGE = 0`). A project made without them is one the SDK never
 * makes.
 */
export const SDK_QUALITY_DEFAULTS = {
  autoAuditNumberOfLabels: 3,
  autoAuditPercentage: 0,
  isBenchmarkEnabled: true,
  isConsensusEnabled: true,
} as const;

/** Rows per page of an import's results: the SDK's `DOWNLOAD_RESULT_PAGE_SIZE`. */
const IMPORT_RESULT_PAGE = 5000;

/** What the SDK selects of a task (`Dataset._exec_upsert_data_rows`, the `Task` fields). */
const TASK_FIELDS =
  'id createdAt updatedAt name status completionPercentage result errors type metadata';

const importTaskSchema = z.looseObject({ id: z.string(), status: z.string() });
export type ImportTask = z.infer<typeof importTaskSchema>;

/** The export stream annoflow reads: the data rows, not the errors (SDK `StreamType`). */
const RESULT_STREAM = 'RESULT';

const exportFileSchema = z.looseObject({
  offsets: z.looseObject({ start: z.coerce.number().int(), end: z.coerce.number().int() }),
  lines: z.looseObject({ start: z.coerce.number().int(), end: z.coerce.number().int() }),
  file: z.string().min(1),
});
export type ExportFile = z.infer<typeof exportFileSchema>;

export function labelboxApi(client: LabelboxClient) {
  /**
   * Every item of an offset-paged collection (`skip`/`first` written into the document, as
   * the SDK's `_OffsetPagination` does). A page that brings nothing new ends the listing,
   * so a server ignoring `skip` cannot loop it forever.
   */
  async function offsetPages<T extends { id: string }>(
    page: (skip: number) => Promise<T[]>,
  ): Promise<T[]> {
    const all = new Map<string, T>();
    for (let skip = 0; ; skip += PAGE) {
      const items = await page(skip);
      const before = all.size;
      for (const item of items) all.set(item.id, item);
      if (items.length < PAGE || all.size === before) return [...all.values()];
    }
  }

  /** Every item of a cursor-paged collection; a cursor seen twice ends it (see above). */
  async function cursorPages<T>(
    page: (from: string | null) => Promise<{ items: T[]; next: string | null | undefined }>,
  ): Promise<T[]> {
    const all: T[] = [];
    const seen = new Set<string>();
    let from: string | null = null;
    for (;;) {
      const { items, next } = await page(from);
      all.push(...items);
      if (!next || items.length === 0 || seen.has(next)) return all;
      seen.add(next);
      from = next;
    }
  }

  return {
    /** Live datasets of that name (`Client.get_datasets(where=Dataset.name == name)`). */
    datasetsNamed: (name: string) =>
      offsetPages((skip) =>
        client.request(
          'datasets',
          `query GetDatasetsPyApi($name: String!, $deleted: Boolean!) { datasets(where: {AND: [{name: $name}, {deleted: $deleted}]} skip: ${skip} first: ${PAGE}) { id name description } }`,
          { name, deleted: false },
          z.array(named),
        ),
      ),

    createDataset: (name: string, description: string) =>
      client.request(
        'createDataset',
        'mutation CreateDatasetPyApi($name: String!, $description: String!) { createDataset(data: {name: $name description: $description}) { id name description } }',
        { name, description },
        named,
      ),

    /**
     * Every data row of a dataset (id, global key, media URL), read as `Dataset.data_rows`
     * reads them: `datasetDataRows` pages of {@link DATA_ROW_PAGE} by cursor; `null` when the
     * dataset does not exist (asked first, as `Client.get_dataset` asks).
     */
    dataRowsOf: async (datasetId: string) => {
      const dataset = await client.request(
        'dataset',
        'query GetDatasetPyApi($datasetId: ID!) { dataset(where: {id: $datasetId}) { id } }',
        { datasetId },
        idOnly.nullable(),
      );
      if (dataset === null) return null;
      return cursorPages(async (from) => {
        const page = await client.request(
          'datasetDataRows',
          'query DatasetDataRowsPyApi($id: ID!, $from: ID, $first: Int, $where: DatasetDataRowWhereInput) { datasetDataRows(id: $id, from: $from, first: $first, where: $where) { nodes { id globalKey rowData } pageInfo { hasNextPage startCursor } } }',
          { id: datasetId, from, first: DATA_ROW_PAGE, where: null },
          z.looseObject({
            nodes: z.array(
              z.looseObject({
                id: z.string(),
                globalKey: z.string().nullable(),
                rowData: z.string(),
              }),
            ),
            pageInfo: z.looseObject({
              hasNextPage: z.boolean().nullish(),
              startCursor: z.string().nullish(),
            }),
          }),
        );
        // The SDK follows `startCursor` until it is empty; a page saying there is no next
        // one ends the listing too.
        const more = page.pageInfo.hasNextPage !== false;
        return { items: page.nodes, next: more ? page.pageInfo.startCursor : null };
      });
    },

    /**
     * Starts importing the data rows a manifest names (uploaded with `uploadFile`, see
     * `data-row-import.ts`): an async task, answered with its state (`Dataset._exec_upsert_data_rows`).
     */
    upsertDataRows: (manifestUri: string) =>
      client.request(
        'upsertDataRows',
        `mutation UpsertDataRowsPyApi($manifestUri: String!) { upsertDataRows(data: { manifestUri: $manifestUri }) { ${TASK_FIELDS} } }`,
        { manifestUri },
        importTaskSchema,
      ),

    /** The id of the user the API key belongs to, whose created tasks are polled (`Client.get_user`). */
    currentUserId: async () =>
      (
        await client.request(
          'user',
          'query GetUserPyApi { user { id } }',
          {},
          z.looseObject({ id: z.string() }),
        )
      ).id,

    /**
     * A task the user created, as `Task.refresh` reads it (`user.created_tasks(where=Task.uid
     * == id)`); `null` unless exactly one task answers, which the SDK takes as not found.
     */
    createdTask: async (userId: string, taskId: string) => {
      const tasks = await client.request(
        ['user', 'createdTasks'],
        `query GetUserCreatedTasksPyApi($taskId: ID!, $userId: ID!) { user(where: {id: $userId}) { createdTasks(where: {id: $taskId} skip: 0 first: ${PAGE}) { ${TASK_FIELDS} } } }`,
        { taskId, userId },
        z.array(importTaskSchema).nullish(),
      );
      return tasks?.length === 1 ? (tasks[0] ?? null) : null;
    },

    /** Every row a data row import refused, with Labelbox's reason (`DataUpsertTask.errors`). */
    failedDataRowImports: (taskId: string) =>
      cursorPages(async (from) => {
        const page = await client.request(
          'failedDataRowImports',
          'query FailedDataRowImportsPyApi($taskId: ID!, $first: Int, $from: String) { failedDataRowImports(data: { taskId: $taskId, first: $first, from: $from}) { after total results { message spec { externalId globalKey rowData metadata { schemaId value name } attachments { type value name } } } } }',
          { taskId, first: IMPORT_RESULT_PAGE, from },
          z.looseObject({
            after: z.string().nullish(),
            results: z.array(
              z.looseObject({
                message: z.string().nullish(),
                spec: z.looseObject({ globalKey: z.string().nullish() }).nullish(),
              }),
            ),
          }),
        );
        const items = page.results.map((result) => ({
          globalKey: result.spec?.globalKey ?? null,
          message: result.message ?? 'no reason given',
        }));
        return { items, next: page.after };
      }),

    /**
     * Every row a data row import created, with its id (`DataUpsertTask.result`); the field's
     * name is misspelt so in Labelbox's API.
     */
    successfulDataRowImports: (taskId: string) =>
      cursorPages(async (from) => {
        const page = await client.request(
          'successesfulDataRowImports',
          'query SuccessesfulDataRowImportsPyApi($taskId: ID!, $first: Int, $from: String) { successesfulDataRowImports(data: { taskId: $taskId, first: $first, from: $from}) { nodes { id externalId globalKey rowData } after total } }',
          { taskId, first: IMPORT_RESULT_PAGE, from },
          z.looseObject({
            nodes: z.array(z.looseObject({ id: z.string(), globalKey: z.string().nullish() })),
            after: z.string().nullish(),
          }),
        );
        return { items: page.nodes, next: page.after };
      }),

    /** Points a data row at a new media URL; its labels and batch stay (one call per row). */
    updateDataRow: (id: string, rowData: string) =>
      client.request(
        'updateDataRow',
        'mutation updateDataRowPyApi($dataRowId: ID!, $rowData: String!) { updateDataRow(where: {id: $dataRowId} data: {rowData: $rowData}) { id } }',
        { dataRowId: id, rowData },
        idOnly,
      ),

    deleteDataset: (id: string) =>
      client.request(
        'updateDataset',
        'mutation deleteDatasetPyApi($datasetId: ID!) { updateDataset(where: {id: $datasetId} data: {deleted: true}) { id } }',
        { datasetId: id },
        idOnly,
      ),

    /**
     * Ontologies whose name contains `name` (Labelbox searches; it does not match exactly),
     * every status, as `Client.get_ontologies` asks.
     */
    ontologiesNamed: (name: string) =>
      cursorPages(async (from) => {
        const page = await client.request(
          'ontologies',
          'query getOntologiesPyApi($search: String, $filter: OntologyFilter, $from: String, $first: PageSize) { ontologies(where: {filter: $filter, search: $search}, after: $from, first: $first) { nodes { id name } nextCursor } }',
          { search: name, filter: { status: 'ALL' }, from, first: PAGE },
          z.looseObject({ nodes: z.array(named), nextCursor: z.string().nullish() }),
        );
        return { items: page.nodes, next: page.nextCursor };
      }),

    createOntology: (name: string, normalized: unknown, mediaType: MediaType) =>
      client.request(
        'upsertOntology',
        'mutation CreateOntology($data: UpsertOntologyInput!) { upsertOntology(data: $data) { id name } }',
        { data: { name, normalized: JSON.stringify(normalized), mediaType } },
        named,
      ),

    /** An ontology no project uses any more: REST, as the SDK does it (no GraphQL mutation). */
    deleteOntology: (id: string) =>
      client.deleteRest(`/ontologies/${encodeURIComponent(id)}`, `ontology ${id}`),

    /** Live projects of that name (`Client.get_projects(where=Project.name == name)`). */
    projectsNamed: (name: string) =>
      offsetPages((skip) =>
        client.request(
          'projects',
          `query GetProjectsPyApi($name: String!, $deleted: Boolean!) { projects(where: {AND: [{name: $name}, {deleted: $deleted}]} skip: ${skip} first: ${PAGE}) { id name description } }`,
          { name, deleted: false },
          z.array(named),
        ),
      ),

    /** A project with its ontology and webhooks; `null` when it does not exist. */
    project: (id: string) =>
      client.request(
        'project',
        `query GetProjectPyApi($projectId: ID!) { project(where: {id: $projectId}) { id name description ontology { id } webhooks(skip: 0 first: ${PAGE}) { id url status } } }`,
        { projectId: id },
        projectSchema.nullable(),
      ),

    /**
     * A project, with the quality settings `Client.create_project` sends when it is given no
     * quality mode (benchmark and consensus both enabled): see {@link SDK_QUALITY_DEFAULTS}.
     */
    createProject: (name: string, description: string, mediaType: MediaType) =>
      client.request(
        'createProject',
        'mutation CreateProjectPyApi($name: String!, $description: String!, $allowedMediaType: MediaType!, $autoAuditNumberOfLabels: Int!, $autoAuditPercentage: Float!, $isBenchmarkEnabled: Boolean!, $isConsensusEnabled: Boolean!) { createProject(data: {name: $name description: $description allowedMediaType: $allowedMediaType autoAuditNumberOfLabels: $autoAuditNumberOfLabels autoAuditPercentage: $autoAuditPercentage isBenchmarkEnabled: $isBenchmarkEnabled isConsensusEnabled: $isConsensusEnabled}) { id name description } }',
        { name, description, allowedMediaType: mediaType, ...SDK_QUALITY_DEFAULTS },
        named,
      ),

    /** A project's batches; `null` when the project does not exist. */
    projectBatches: async (projectId: string) => {
      let missing = false;
      const batches = await cursorPages(async (from) => {
        const project = await client.request(
          'project',
          'query GetProjectBatchesPyApi($from: String, $first: PageSize, $projectId: ID!) { project(where: {id: $projectId}) { batches(after: $from, first: $first) { nodes { id name } pageInfo { endCursor } } } }',
          { projectId, from, first: PAGE },
          z
            .looseObject({
              batches: z.looseObject({
                nodes: z.array(z.looseObject({ id: z.string(), name: z.string() })),
                pageInfo: z.looseObject({ endCursor: z.string().nullish() }),
              }),
            })
            .nullable(),
          { experimental: true },
        );
        if (project === null) missing = true;
        return {
          items: project?.batches.nodes ?? [],
          next: project?.batches.pageInfo.endCursor,
        };
      });
      return missing ? null : batches;
    },

    connectOntology: (projectId: string, ontologyId: string) =>
      client.request(
        ['project', 'connectOntology'],
        'mutation ConnectOntologyPyApi($projectId: ID!, $ontologyId: ID!) { project(where: {id: $projectId}) { connectOntology(ontologyId: $ontologyId) { id } } }',
        { projectId, ontologyId },
        z.looseObject({ id: z.string() }),
      ),

    createBatch: (projectId: string, name: string, dataRowIds: string[]) =>
      client.request(
        ['project', 'createBatchV2'],
        'mutation createBatchV2PyApi($projectId: ID!, $batchInput: CreateBatchInput!) { project(where: {id: $projectId}) { createBatchV2(input: $batchInput) { batch { id name } failedDataRowIds } } }',
        { projectId, batchInput: { name, dataRowIds, priority: 5 } },
        z.looseObject({
          batch: z.looseObject({ id: z.string() }),
          failedDataRowIds: z
            .array(z.string())
            .nullish()
            .transform((ids) => ids ?? []),
        }),
        { experimental: true },
      ),

    deleteProject: (id: string) =>
      client.request(
        'updateProject',
        'mutation deleteProjectPyApi($projectId: ID!) { updateProject(where: {id: $projectId} data: {deleted: true}) { id } }',
        { projectId: id },
        idOnly,
      ),

    /** Topics are enum values written into the document, as `Webhook.create` writes them. */
    createWebhook: (
      projectId: string,
      url: string,
      secret: string,
      topics: readonly WebhookTopic[],
    ) =>
      client.request(
        'createWebhook',
        `mutation CreateWebhookPyApi($projectId: ID!, $url: String!, $secret: String!) { createWebhook(data: {project: {id: $projectId}, topics: {set: [${topics.join(' ')}]}, url: $url, secret: $secret}) { id url status } }`,
        { projectId, url, secret },
        idOnly,
      ),

    /** Labelbox has no webhook deletion: an inactive webhook sends nothing [V webhook.py]. */
    deactivateWebhook: (id: string) =>
      client.request(
        'updateWebhook',
        'mutation UpdateWebhookPyApi($webhookId: ID!) { updateWebhook(where: {id: $webhookId} data: {status: INACTIVE}) { id status } }',
        { webhookId: id },
        idOnly,
      ),

    /**
     * Starts an export v2 of one batch of a project, with the input `Project._export` builds
     * for `export_v2`: the project and a batch search in `filters`, `include…` flags in
     * `params`. Labelbox answers whether the result is to be read as a stream.
     */
    exportBatch: (projectId: string, batchId: string) =>
      client.request(
        'exportDataRowsInProject',
        'mutation exportDataRowsInProjectPyApi($input: ExportDataRowsInProjectInput!) { exportDataRowsInProject(input: $input) { taskId isStreamable } }',
        {
          input: {
            isStreamableReady: true,
            filters: {
              projectId,
              searchQuery: {
                scope: null,
                query: [{ ids: [batchId], operator: 'is', type: 'batch' }],
              },
            },
            params: {
              includeDataRowDetails: true,
              includeProjectDetails: true,
              includeLabelDetails: true,
              includeInterpolatedFrames: true,
            },
            streamable: false,
          },
        },
        z.looseObject({ taskId: z.string(), isStreamable: z.boolean().nullish() }),
      ),

    /** An async task's state; `result` is the URL of its result once it is `COMPLETE`. */
    task: (id: string) =>
      client.request(
        'task',
        'query GetTaskPyApi($where: WhereUniqueIdInput) { task(where: $where) { id status result } }',
        { where: { id } },
        z
          .looseObject({ id: z.string(), status: z.string(), result: z.string().nullish() })
          .nullable(),
      ),

    /** Size of a streamable export's result; `null` when it has none. */
    exportSize: async (taskId: string) => {
      const task = await client.request(
        'task',
        'query GetExportMetadataHeaderPyApi($where: WhereUniqueIdInput, $streamType: TaskStreamType!) { task(where: $where) { exportMetadataHeader(streamType: $streamType) { totalSize totalLines } } }',
        { where: { id: taskId }, streamType: RESULT_STREAM },
        z.looseObject({
          exportMetadataHeader: z
            .looseObject({
              totalSize: z.coerce.number().int().nullish(),
              totalLines: z.coerce.number().int().nullish(),
            })
            .nullish(),
        }),
      );
      return task.exportMetadataHeader?.totalSize ?? null;
    },

    /** The file of a streamable export's result that holds byte `offset`. */
    exportFileAt: async (taskId: string, offset: number): Promise<ExportFile> => {
      const task = await client.request(
        'task',
        'query GetExportFileFromOffsetPyApi($where: WhereUniqueIdInput, $streamType: TaskStreamType!, $offset: UInt64!) { task(where: $where) { exportFileFromOffset(streamType: $streamType, offset: $offset) { offsets { start end } lines { start end } file } } }',
        { where: { id: taskId }, streamType: RESULT_STREAM, offset: String(offset) },
        z.looseObject({ exportFileFromOffset: exportFileSchema.nullish() }),
      );
      if (task.exportFileFromOffset) return task.exportFileFromOffset;
      throw new BackendError(
        'BACKEND_RESPONSE_INVALID',
        `Labelbox export ${taskId} has no result file at byte ${offset}`,
        { exportTaskId: taskId, offset },
      );
    },
  };
}
export type LabelboxApi = ReturnType<typeof labelboxApi>;
