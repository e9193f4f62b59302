/**
 * Every assumption the Labelbox emulator makes about the real Labelbox API, in one place.
 *
 * No machine-readable contract is published (`../shared/reference/README.md` §3), so each
 * schema below says where it comes from, with the reference's tags:
 * - [V] verified in source: Labelbox's Python SDK (github.com/Labelbox/labelbox-python, files
 *   under `libs/labelbox/src/labelbox/` unless `lbox/…`, which is `libs/lbox-clients/src/lbox/`;
 *   read at schema/project.py @7ff495b, client.py @785ce04, lbox/request_client.py @04700d7,
 *   schema/export_task.py @20a094f, schema/task.py @7ff495b, schema/dataset.py @b5e247a,
 *   schema/batch.py @222b392, schema/data_row.py @705275b, schema/webhook.py @4250004,
 *   schema/export_filters.py @11e16a4, schema/quality_mode.py @ddebbcc, orm/query.py @2beab37,
 *   pagination.py @1ed93fd), and
 *   FiftyOne labelbox.py @00081f70,
 * - [D] stated by Labelbox docs or official examples,
 * - [I] inferred: our best guess, to be corrected when a real server disagrees.
 *
 * The emulator validates every request against these schemas and records what fails as a
 * violation; tests assert there are none. When a real server proves an [I] wrong, fix it
 * here and let the tests show which client code must follow.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// Transport

/** `POST <api host>/graphql` [V request_client.py: `https://api.labelbox.com/graphql`]. */
export const GRAPHQL_PATH = '/graphql';

/**
 * Where the SDK sends the operations it marks experimental [V lbox/request_client.py
 * `RequestClient.execute`: `self.endpoint.replace("/graphql", "/_gql")` when
 * `experimental=True`]. Each operation below says which of the two it goes to.
 */
export const EXPERIMENTAL_GRAPHQL_PATH = '/_gql';

/**
 * The REST API's base on the API host [V client.py `Client.__init__`:
 * `rest_endpoint="https://api.labelbox.com/api/v1"`], with the SDK's session headers
 * (`Authorization: Bearer <API key>`, JSON content type).
 */
export const REST_PATH = '/api/v1';

/**
 * Deleting an ontology is REST, not GraphQL: `DELETE <rest>/ontologies/<id>`, done when the
 * answer is 204, refused otherwise with `{"message"}` [V client.py
 * `Client.delete_unused_ontology`]. There is no `deleteOntology` mutation: one is refused as
 * an unknown root field. A missing ontology answers 404 [I]; one a live project still uses is
 * refused with 409 [I: the SDK says "if it is not used by any annotations"].
 */
export const DELETE_ONTOLOGY = /^\/api\/v1\/ontologies\/([^/]+)$/;

/** `Authorization: Bearer <API key>` [V request_client.py]. */
export const authorizationSchema = z.string().regex(/^Bearer \S+$/, 'must be "Bearer <API key>"');

/** `Content-Type: application/json` [V request_client.py]. */
export const contentTypeSchema = z.string().regex(/^application\/json\b/);

/** The body: `{"query", "variables"}` [V request_client.py]. */
export const graphqlRequestSchema = z.object({
  query: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).optional(),
  operationName: z.string().optional(),
});

/**
 * The kind and root field of a document, read from its text: the first field of the first
 * selection set [I: our client sends one root field per document, as the SDK does].
 */
export const ROOT_FIELD = /^\s*(query|mutation)\b[^{]*\{\s*([A-Za-z_]\w*)/;

/** The first field under the root field (after its arguments), for nested operations. */
export const NESTED_FIELD =
  /^\s*(?:query|mutation)\b[^{]*\{\s*[A-Za-z_]\w*\s*(?:\([^)]*\))?\s*\{\s*([A-Za-z_]\w*)/;

/**
 * Errors come back as `{"errors": [{"message", "extensions": {"code"}}]}` [V
 * lbox/request_client.py `RequestClient.execute`: reads `errors[].extensions.code`, takes
 * `RESOURCE_NOT_FOUND` as "no such object" and `RESOURCE_CONFLICT` as a conflict]; with
 * HTTP 200 [I: GraphQL convention]; `INVALID_ARGUMENT` for bad variables [I].
 */
export const ERROR_CODES = {
  notFound: 'RESOURCE_NOT_FOUND',
  conflict: 'RESOURCE_CONFLICT',
  invalid: 'INVALID_ARGUMENT',
} as const;

// ---------------------------------------------------------------------------------------
// Ontology (the `normalized` JSON of `upsertOntology`)

/**
 * An answer of a radio/checklist/dropdown classification [V schema/ontology.py @7ff495b
 * `Option.asdict`: `label`, `value`, nested `options`, plus ids Labelbox assigns].
 */
export const optionSchema = z.object({
  label: z.string().min(1),
  value: z.string().min(1),
  options: z.array(z.unknown()).optional(),
});

/**
 * A classification [V tool_building/classification.py @099fae2 `Classification.asdict`:
 * `type`, `instructions`, `name`, `required`, `options`, `uiMode` (`hotkey`/`searchable`, only
 * on `radio` and `checklist`), and `scope` (`global`/`index`) at the top level only;
 * `Classification.Type` is `text`, `checklist`, `radio`, `group`, of which we use the first
 * three]. FiftyOne's `dropdown` is not a type any more, so it is refused. That a searchable
 * radio is answered in exports as any radio (`radio_answer`) is [I].
 */
export const classificationSchema = z
  .object({
    type: z.enum(['radio', 'checklist', 'text']),
    name: z.string().min(1),
    instructions: z.string().min(1),
    required: z.boolean(),
    options: z.array(optionSchema),
    scope: z.enum(['global', 'index']).optional(),
    uiMode: z.enum(['hotkey', 'searchable']).optional(),
  })
  .refine((question) => question.uiMode === undefined || question.type !== 'text', {
    message: 'uiMode is for radio and checklist classifications only',
  });

/**
 * A tool [V ontology.py `Tool.Type` values and `Tool.asdict`: `tool`, `name`, `required`,
 * `color`, `classifications`; `superpixel`, `named-entity` and others are not used by us].
 */
export const toolSchema = z.object({
  tool: z.enum(['rectangle', 'polygon', 'line', 'point', 'raster-segmentation']),
  name: z.string().min(1),
  required: z.boolean(),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  classifications: z.array(classificationSchema),
});

/**
 * [V client.py `Client.create_ontology`: `normalized = {"tools": […], "classifications":
 * […]}`]. Feature names are unique within an ontology [I].
 */
export const ontologySchema = z.object({
  tools: z.array(toolSchema),
  classifications: z.array(classificationSchema),
});
export type Ontology = z.infer<typeof ontologySchema>;

// ---------------------------------------------------------------------------------------
// GraphQL operations. Labelbox ids are opaque strings (cuids) [V].

/** [V webhook.py `Webhook.Topic`]. */
export const WEBHOOK_TOPICS = [
  'LABEL_CREATED',
  'LABEL_UPDATED',
  'LABEL_DELETED',
  'WORKFLOW_ACTION',
] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

/** The most items one page of a paginated collection holds [V pagination.py `_PAGE_SIZE`]. */
export const MAX_PAGE = 100;

/** The most data rows one page of a dataset holds [V dataset.py `Dataset.data_rows`]. */
export const DATA_ROW_PAGE = 500;

/** The streams of a streamable export [V export_task.py `StreamType`]. */
export const EXPORT_STREAMS = ['RESULT', 'ERRORS'] as const;

const id = z.string().min(1);
const where = z.object({ id });
const mediaType = z.enum(['IMAGE', 'VIDEO']); // [V SDK MediaType values]

// ---------------------------------------------------------------------------------------
// Data row import: files uploaded with `uploadFile`, then an `upsertDataRows` task
// [V dataset.py @b5e247a `Dataset.create_data_rows` → `_exec_upsert_data_rows`;
// internal/data_row_uploader.py @229df1a `upload_in_chunks`; internal/descriptor_file_creator.py
// @1c531f1 `DescriptorFileCreator.create`; internal/data_row_upsert_item.py @0706005
// `DataRowCreateItem.build`; client.py @785ce04 `Client.upload_data`; task.py @7ff495b
// `Task`, `DataUpsertTask`; user.py @a3da2da; orm/query.py @a12c420, orm/db_object.py
// @255c83e, orm/model.py @2c0c677, pagination.py @2f966b0 for the polling query].

/**
 * A file upload is a GraphQL multipart request (the GraphQL multipart request spec) to the
 * GraphQL endpoint, not `/_gql`, with the API key and no JSON content type: form field
 * `operations` (JSON `{"variables": {"file": null, "contentLength": <bytes>, "sign": false},
 * "query": "mutation UploadFile($file: Upload!, $contentLength: Int!, $sign: Boolean) {
 * uploadFile(file: $file, contentLength: $contentLength, sign: $sign) {url filename} }"}`),
 * then `map` (`{"1": ["variables.file"]}`), then the file as part `1` with its filename and
 * content type; the answer's `data.uploadFile.url` names the upload [V client.py
 * `Client.upload_data`]. That the part must hold exactly `contentLength` bytes is [I]. The URL
 * is an upload Labelbox reads itself, not a link annoflow fetches [I].
 */
export const UPLOAD_FILE_DOCUMENT =
  /\buploadFile\s*\(\s*file\s*:\s*\$file\s*,\s*contentLength\s*:\s*\$contentLength\s*,\s*sign\s*:\s*\$sign\s*\)\s*\{[^}]*\burl\b[^}]*\}/;

/** The multipart form fields, in the order the spec (and `requests`) sends them [V]. */
export const UPLOAD_FORM_FIELDS = ['operations', 'map', '1'] as const;

export const uploadOperationsSchema = z
  .object({
    query: z.string().regex(UPLOAD_FILE_DOCUMENT, "not the SDK's uploadFile document"),
    variables: z
      .object({
        file: z.null(),
        contentLength: z.number().int().min(0),
        // [V] `sign` defaults to False; nothing annoflow uploads needs a signed URL.
        sign: z.literal(false),
      })
      .strict(),
  })
  .strict();

export const uploadMapSchema = z.object({ '1': z.tuple([z.literal('variables.file')]) }).strict();

/**
 * The uploaded file part: a JSON file named as the SDK names it, `json_import.json` for a
 * chunk of rows, `manifest.json` for the manifest, both `application/json` [V
 * descriptor_file_creator.py, dataset.py].
 */
export const UPLOAD_FILENAMES = ['json_import.json', 'manifest.json'] as const;
export const UPLOAD_CONTENT_TYPE = 'application/json';

/**
 * A chunk file is at most this many bytes, unless it holds a single item (the SDK halves a
 * list until each half fits) [V datarow_upload_constants.py @ac76e38 `UPSERT_CHUNK_SIZE_BYTES`,
 * descriptor_file_creator.py `_chunk_down_by_bytes`].
 */
export const UPSERT_CHUNK_SIZE_BYTES = 10_000_000;

/**
 * One item of a chunk: a JSON array of `{id, payload}` [V descriptor_file_creator.py
 * `convert_item` returns `{"id": spec.id, "payload": item}`]. A created row's key is
 * `{type: "AUTO", value: ""}` [V data_row_upsert_item.py `DataRowItemBase.build`, no `key`];
 * the payload holds the `DataRow` fields by their Python names plus `dataset_id` (set by
 * `build`) and `media_type` (an allowed extra) [V descriptor_file_creator.py `validate_keys`];
 * `row_data` must be a URL Labelbox can fetch (an `s3://` one is refused by the SDK) [V].
 */
export const dataRowSpecSchema = z
  .object({
    id: z.object({ type: z.literal('AUTO'), value: z.literal('') }).strict(),
    payload: z
      .object({
        row_data: z.url({ protocol: /^https?$/ }),
        global_key: z.string().min(1),
        media_type: mediaType.optional(),
        external_id: z.string().optional(),
        dataset_id: id,
      })
      .strict(),
  })
  .strict();
export type DataRowSpec = z.infer<typeof dataRowSpecSchema>;

/**
 * The manifest, uploaded as `manifest.json` after the chunks: `{source: "SDK", item_count,
 * chunk_uris}` [V data_row_uploader.py `UploadManifest`, `SOURCE_SDK`]; `item_count` is the
 * number of items over all chunks [V `item_count=len(specs)`].
 */
export const uploadManifestSchema = z
  .object({
    source: z.literal('SDK'),
    item_count: z.number().int().min(1),
    chunk_uris: z.array(z.url()).min(1),
  })
  .strict();

/**
 * What `upsertDataRows` and `createdTasks` answer for a task: `id createdAt updatedAt name
 * status completionPercentage result errors type metadata` [V dataset.py
 * `_exec_upsert_data_rows` selection; task.py `Task` fields]. A data row import's `type` is
 * `adv-upsert-data-rows` [V task.py `Task.is_creation_task`]; its `name` is [I].
 */
export const DATA_ROW_IMPORT_TYPE = 'adv-upsert-data-rows';

/**
 * A data row import's results are read a page at a time by cursor, `after` empty on the last
 * page, pages of {@link DOWNLOAD_RESULT_PAGE_SIZE} [V task.py `DataUpsertTask`,
 * datarow_upload_constants.py `DOWNLOAD_RESULT_PAGE_SIZE = 5_000`, pagination.py
 * `_CursorPagination`: sends `from` and `first`, stops when the cursor is empty].
 */
export const DOWNLOAD_RESULT_PAGE_SIZE = 5000;

const importResultPage = z
  .object({
    taskId: id,
    first: z.number().int().min(1).max(DOWNLOAD_RESULT_PAGE_SIZE),
    from: z.string().nullable().optional(),
  })
  .strict();

/**
 * What the emulator assumes of one operation: whether it is a query or a mutation, whether
 * the SDK sends it to the experimental endpoint, the shape its document must have (for the
 * arguments the SDK writes into the document rather than passing as variables; named groups
 * are read as variables), and its variables.
 */
export interface OperationAssumption {
  readonly kind: 'query' | 'mutation';
  readonly experimental?: true;
  readonly document?: RegExp;
  readonly variables: z.ZodType;
}

/**
 * `project(where: {id: $projectId}) {` opening a document's selection: how the SDK reaches a
 * project's own fields and mutations (project.py throughout).
 */
const PROJECT_BY_ID = String.raw`^\s*(?:query|mutation)\b[^{]*\{\s*project\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$projectId\s*\}\s*\)\s*\{\s*`;

/**
 * `<collection>(where: {AND: [{name: $name}, {deleted: $deleted}]} skip: N first: M)`, the
 * SDK's `_get_all` shape; `skip` and `first` are read from the document as variables.
 */
function namedLiveAndPaged(collection: string): RegExp {
  return new RegExp(
    String.raw`\b${collection}\s*\(\s*where\s*:\s*\{\s*AND\s*:\s*\[\s*\{\s*name\s*:\s*\$name\s*\}\s*,\s*\{\s*deleted\s*:\s*\$deleted\s*\}\s*\]\s*\}\s*,?\s*skip\s*:\s*(?<skip>\d+)\s*,?\s*first\s*:\s*(?<first>\d+)\s*\)`,
  );
}

/**
 * `<mutation>(data: {a: $a b: $b …})`, how orm/query.py `create` writes a new object's
 * fields, each a scalar variable of its own name.
 */
function fieldsOf(mutation: string, fields: readonly string[]): RegExp {
  const data = fields
    .map((field) => String.raw`${field}\s*:\s*\$${field}`)
    .join(String.raw`\s*,?\s*`);
  return new RegExp(String.raw`\b${mutation}\s*\(\s*data\s*:\s*\{\s*${data}\s*\}\s*\)`);
}

/** `<mutation>(where: {id: $<variable>} data: {deleted: true})`, orm/query.py `delete`. */
function softDelete(mutation: string, variable: string): RegExp {
  return new RegExp(
    String.raw`\b${mutation}\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$${variable}\s*\}\s*,?\s*data\s*:\s*\{\s*deleted\s*:\s*true\s*\}\s*\)`,
  );
}

const liveNamePage = z
  .object({
    name: z.string().min(1),
    deleted: z.literal(false),
    skip: z.coerce.number().int().min(0),
    first: z.coerce.number().int().min(1).max(MAX_PAGE),
  })
  .strict();

/**
 * The operations the emulator answers, keyed by root field, or by `root.field` for what
 * Labelbox nests under a root (a project's mutations). A document naming anything else,
 * such as a root mutation the SDK sends nested, is refused as an unknown root field.
 */
export const operations = {
  /**
   * Live datasets of a name, a page at a time [V client.py `Client._get_all` (behind
   * `get_datasets(where=Dataset.name == n)`) and orm/query.py `get_all`: `datasets(where:
   * {AND: [{name: $param_0}, {deleted: $param_1}]} skip: %d first: %d)`, `deleted` false,
   * `skip`/`first` written into the document by pagination.py `_OffsetPagination`, pages of
   * {@link MAX_PAGE}]. The old `where: $where` without `deleted` is refused.
   */
  datasets: {
    kind: 'query',
    document: namedLiveAndPaged('datasets'),
    variables: liveNamePage,
  },
  /**
   * [V client.py `Client.create_dataset` → `Client._create` → orm/query.py `create`:
   * `createDataset(data: {name: $name description: $description})`, one scalar variable per
   * field, typed from the field (`String!`)].
   */
  createDataset: {
    kind: 'mutation',
    document: fieldsOf('createDataset', ['name', 'description']),
    variables: z.object({ name: z.string().min(1), description: z.string() }).strict(),
  },
  /**
   * A dataset by id, null when it does not exist [V orm/query.py `get_single` (behind
   * `Client.get_dataset`): `dataset(where: {id: $param_0})`; client.py `_get_single` takes a
   * null answer as not found].
   */
  dataset: {
    kind: 'query',
    document: /\bdataset\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$datasetId\s*\}\s*\)/,
    variables: z.object({ datasetId: id }).strict(),
  },
  /**
   * A page of a dataset's data rows by cursor [V dataset.py `Dataset.data_rows`:
   * `datasetDataRows(id: $id, from: $from, first: $first, where: $where) {nodes {…}
   * pageInfo {hasNextPage startCursor}}`, pages of {@link DATA_ROW_PAGE}, the next page
   * `from` the `startCursor` (its `cursor_path`), until that is empty]. A missing dataset is
   * refused as not found [I]. The old `dataset { dataRows(first, skip) }` is refused.
   */
  datasetDataRows: {
    kind: 'query',
    document:
      /\bdatasetDataRows\s*\(\s*id\s*:\s*\$id\s*,\s*from\s*:\s*\$from\s*,\s*first\s*:\s*\$first\s*,\s*where\s*:\s*\$where\s*\)\s*\{\s*nodes\b/,
    variables: z
      .object({
        id,
        from: z.string().nullable().optional(),
        first: z.number().int().min(1).max(DATA_ROW_PAGE),
        where: z.null().optional(),
      })
      .strict(),
  },
  /**
   * A soft delete [V db_object.py `Deletable.delete` → orm/query.py `delete`:
   * `updateDataset(where: {id: $DatasetId} data: {deleted: true})`].
   */
  updateDataset: {
    kind: 'mutation',
    document: softDelete('updateDataset', 'datasetId'),
    variables: z.object({ datasetId: id }).strict(),
  },
  /**
   * A data row's media URL replaced in place: its id, global key, batch and labels stay
   * [V data_row.py `DataRow.update(row_data=…)` → db_object.py `Updateable.update` →
   * orm/query.py `update_fields`: `updateDataRow(where: {id: $DataRowId} data: {rowData:
   * $rowData})`]; that they stay is [I]. No bulk form is known short of the SDK's file-based
   * upsert, so it is one call per row.
   */
  updateDataRow: {
    kind: 'mutation',
    document:
      /\bupdateDataRow\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$dataRowId\s*\}\s*,?\s*data\s*:\s*\{\s*rowData\s*:\s*\$rowData\s*\}\s*\)/,
    variables: z.object({ dataRowId: id, rowData: z.url({ protocol: /^https?$/ }) }).strict(),
  },
  /**
   * Starts importing the rows a manifest names: an async task, answered at once with its
   * state (`IN_PROGRESS` until Labelbox has processed every row) [V dataset.py
   * `_exec_upsert_data_rows`: `upsertDataRows(data: { manifestUri: $manifestUri }) { id
   * createdAt updatedAt name status completionPercentage result errors type metadata }`,
   * `$manifestUri: String!`, the URL `uploadFile` answered for the manifest]. A row whose
   * global key another data row holds is refused by the task, the rest created [I, from
   * global keys being unique in an organization (D: Labelbox docs "Global keys")]; a row of a
   * dataset that does not exist is refused [I]. Rows appear once the task completes [I; the
   * SDK: rows "in progress *maybe* retrieved", dataset.py `data_rows`]. The synchronous
   * `createDataRows(data: {datasetId, dataRows})` annoflow used to send is not how the SDK
   * makes rows (dataset.py makes them only through this task, `create_data_row` included), so
   * it is refused as an unknown root field.
   */
  upsertDataRows: {
    kind: 'mutation',
    document:
      /\bupsertDataRows\s*\(\s*data\s*:\s*\{\s*manifestUri\s*:\s*\$manifestUri\s*\}\s*\)\s*\{[^}]*\bid\b[^}]*\bstatus\b[^}]*\}/,
    variables: z.object({ manifestUri: z.url() }).strict(),
  },
  /**
   * The user the API key belongs to [V client.py `Client.get_user` → orm/query.py
   * `get_single(Entity.User, None)`: `query GetUserPyApi{user{…}}`, no arguments]; the SDK
   * asks for it to poll tasks through (dataset.py `task._user = self.client.get_user()`).
   */
  user: {
    kind: 'query',
    document: /^\s*query\b[^{]*\{\s*user\s*\{/,
    variables: z.object({}).strict(),
  },
  /**
   * A task, looked up among the tasks the user created: how the SDK polls one [V task.py
   * `Task.refresh`/`Task.get_task`: `user.created_tasks(where=Task.uid == id)` →
   * db_object.py `RelationshipManager._to_many` → orm/query.py `relationship`: `query
   * GetUserCreatedTasksPyApi($param_0: ID!, $param_1: ID!){user(where: {id:
   * $param_1}){createdTasks(where: {id: $param_0} skip: %d first: %d){…}}}`, `skip`/`first`
   * written in by pagination.py `_OffsetPagination`; user.py `created_tasks =
   * Relationship.ToMany("Task", False, "created_tasks")`, so no `deleted` filter]. The
   * variables' names are ours (`$userId`, `$taskId`): GraphQL binds them by the document, so
   * only their place matters. The SDK takes anything but exactly one task as not found [V].
   */
  'user.createdTasks': {
    kind: 'query',
    document:
      /^\s*query\b[^{]*\{\s*user\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$userId\s*\}\s*\)\s*\{\s*createdTasks\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$taskId\s*\}\s*,?\s*skip\s*:\s*(?<skip>\d+)\s*,?\s*first\s*:\s*(?<first>\d+)\s*\)\s*\{/,
    variables: z
      .object({
        userId: id,
        taskId: id,
        skip: z.coerce.number().int().min(0),
        first: z.coerce.number().int().min(1).max(MAX_PAGE),
      })
      .strict(),
  },
  /**
   * The rows an import refused, each with Labelbox's message and the spec it was sent [V
   * task.py `DataUpsertTask._download_errors_paginated`: `failedDataRowImports(data: {
   * taskId: $taskId, first: $first, from: $from}) { after total results { message spec {
   * externalId globalKey rowData metadata {…} attachments {…} } } }`, `$from: String`]. What
   * `DataUpsertTask.errors` and `has_errors` read. That a task ending `FAILED` lists every row
   * here, and makes none, is [I]; so is a task that polls stop finding (the emulator's
   * `importEnds` option makes both, for the client's error paths).
   */
  failedDataRowImports: {
    kind: 'query',
    document:
      /\bfailedDataRowImports\s*\(\s*data\s*:\s*\{\s*taskId\s*:\s*\$taskId\s*,\s*first\s*:\s*\$first\s*,\s*from\s*:\s*\$from\s*\}\s*\)\s*\{[\s\S]*\bafter\b[\s\S]*\bresults\s*\{[\s\S]*\bspec\s*\{[\s\S]*\bglobalKey\b/,
    variables: importResultPage,
  },
  /**
   * The rows an import created, with their ids [V task.py
   * `DataUpsertTask._download_results_paginated`: `successesfulDataRowImports(data: { taskId:
   * $taskId, first: $first, from: $from}) { nodes { id externalId globalKey rowData } after
   * total }`; the field's name is misspelt so in the SDK, and so it is asked for]. What
   * `DataUpsertTask.result` reads.
   */
  successesfulDataRowImports: {
    kind: 'query',
    document:
      /\bsuccessesfulDataRowImports\s*\(\s*data\s*:\s*\{\s*taskId\s*:\s*\$taskId\s*,\s*first\s*:\s*\$first\s*,\s*from\s*:\s*\$from\s*\}\s*\)\s*\{\s*nodes\s*\{[^}]*\bid\b[^}]*\bglobalKey\b[^}]*\}/,
    variables: importResultPage,
  },
  /**
   * Not used by annoflow (a dataset is deleted whole) [V data_row.py `DataRow.bulk_delete` →
   * orm/query.py `bulk_delete`: `deleteDataRows(where: {dataRowIds: ["…", …]})`, the ids
   * written into the document].
   */
  deleteDataRows: {
    kind: 'mutation',
    document:
      /\bdeleteDataRows\s*\(\s*where\s*:\s*\{\s*dataRowIds\s*:\s*\[(?<dataRowIds>[^\]]*)\]\s*\}\s*\)/,
    variables: z
      .object({
        dataRowIds: z
          .string()
          .transform((ids) => [...ids.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ''))
          .pipe(z.array(id).min(1)),
      })
      .strict(),
  },
  /**
   * Ontologies whose name contains `search`, of every status, paged by cursor [V client.py
   * `Client.get_ontologies`: `ontologies(where: {filter: $filter, search: $search}, after:
   * $from, first: $first) {nodes {…} nextCursor}`, `filter: {status: "ALL"}`]. Labelbox
   * searches, so the caller picks exact names out; the search is case-insensitive [I].
   */
  ontologies: {
    kind: 'query',
    document:
      /\bontologies\s*\(\s*where\s*:\s*\{\s*filter\s*:\s*\$filter\s*,\s*search\s*:\s*\$search\s*\}\s*,\s*after\s*:\s*\$from\s*,\s*first\s*:\s*\$first\s*\)\s*\{\s*nodes\b/,
    variables: z
      .object({
        search: z.string().min(1),
        filter: z.object({ status: z.literal('ALL') }).strict(),
        from: z.string().nullable().optional(),
        first: z.number().int().min(1).max(MAX_PAGE),
      })
      .strict(),
  },
  /**
   * [V client.py `Client.create_ontology`: `upsertOntology(data: $data)`, `$data:
   * UpsertOntologyInput!`, `{name, normalized: json.dumps(normalized), mediaType}`].
   */
  upsertOntology: {
    kind: 'mutation',
    variables: z.object({
      data: z.object({
        name: z.string().min(1),
        normalized: z.string().min(1),
        mediaType: mediaType.optional(),
      }),
    }),
  },
  /**
   * Live projects of a name, a page at a time [V as `datasets`: `Client.get_projects`
   * through `_get_all`]. The old `where: $where` without `deleted` is refused.
   */
  projects: {
    kind: 'query',
    document: namedLiveAndPaged('projects'),
    variables: liveNamePage,
  },
  /**
   * [V client.py `Client.create_project` → `_create_project` → `_create` → orm/query.py
   * `create`: `createProject(data: {name: $name description: $description allowedMediaType:
   * $allowedMediaType …})`; the media type's GraphQL name is `allowedMediaType` and its type
   * `MediaType!` (project.py `media_type = Field.Enum(MediaType, "media_type",
   * "allowedMediaType")`)]. The SDK adds its quality settings after the fields it is given, in
   * this order [V client.py @785ce04 `Client._create_project`: with no `quality_modes`,
   * `auto_audit_number_of_labels = CONSENSUS_AUTO_AUDIT_NUMBER_OF_LABELS`,
   * `auto_audit_percentage = CONSENSUS_AUTO_AUDIT_PERCENTAGE`, `is_benchmark_enabled = True`,
   * `is_consensus_enabled = True`; quality_mode.py @ddebbcc: 3 and 0; project.py @7ff495b:
   * `Field.Int`, `Field.Float`, `Field.Boolean`, so `Int!`, `Float!`, `Boolean!`]. Only those
   * defaults are accepted: annoflow asks for no quality mode, and a project made without
   * them is one the SDK never makes. The old `mediaType`, and a project without the quality
   * settings, are refused.
   */
  createProject: {
    kind: 'mutation',
    document: fieldsOf('createProject', [
      'name',
      'description',
      'allowedMediaType',
      'autoAuditNumberOfLabels',
      'autoAuditPercentage',
      'isBenchmarkEnabled',
      'isConsensusEnabled',
    ]),
    variables: z
      .object({
        name: z.string().min(1),
        description: z.string(),
        allowedMediaType: mediaType,
        autoAuditNumberOfLabels: z.literal(3),
        autoAuditPercentage: z.literal(0),
        isBenchmarkEnabled: z.literal(true),
        isConsensusEnabled: z.literal(true),
      })
      .strict(),
  },
  /**
   * A project with its ontology and webhooks; null when it does not exist [V batch.py
   * `Batch.project`: `project(where: {id: $projectId})`; client.py `_get_single` takes a
   * null project as not found; project.py `ontology` (to-one) and `webhooks` (to-many, paged
   * `skip`/`first` by orm/query.py `relationship`)].
   */
  project: {
    kind: 'query',
    document: new RegExp(PROJECT_BY_ID),
    variables: z.object({ projectId: id }).strict(),
  },
  /**
   * A project's batches, a connection paged by cursor, read from the experimental endpoint
   * [V project.py `Project.batches`: `project(where: {id: $projectId}) { batches(after: $from,
   * first: $first) { nodes {…} pageInfo { endCursor } } }`, `experimental=True`].
   */
  'project.batches': {
    kind: 'query',
    experimental: true,
    document: new RegExp(
      `${PROJECT_BY_ID}batches\\s*\\(\\s*after\\s*:\\s*\\$from\\s*,\\s*first\\s*:\\s*\\$first\\s*\\)\\s*\\{\\s*nodes\\b`,
    ),
    variables: z
      .object({
        projectId: id,
        from: z.string().nullable().optional(),
        first: z.number().int().min(1).max(MAX_PAGE),
      })
      .strict(),
  },
  /**
   * Connects an ontology to a project: a mutation of the project, not a root mutation
   * [V project.py `Project.connect_ontology`: `project(where: {id: $projectId})
   * {connectOntology(ontologyId: $ontologyId) {id}}`].
   */
  'project.connectOntology': {
    kind: 'mutation',
    document: new RegExp(
      `${PROJECT_BY_ID}connectOntology\\s*\\(\\s*ontologyId\\s*:\\s*\\$ontologyId\\s*\\)`,
    ),
    variables: z.object({ projectId: id, ontologyId: id }).strict(),
  },
  /**
   * A batch of data rows in a project, sent to the experimental endpoint; it answers
   * `{batch {…} failedDataRowIds}` [V project.py `Project._create_batch_sync`:
   * `project(where: {id: $projectId}) {createBatchV2(input: $batchInput) {batch {…}
   * failedDataRowIds}}`, `batchInput: {name, dataRowIds, globalKeys, priority,
   * consensusSettings}`, `experimental=True`]; a row is in at most one batch [D].
   */
  'project.createBatchV2': {
    kind: 'mutation',
    experimental: true,
    document: new RegExp(
      `${PROJECT_BY_ID}createBatchV2\\s*\\(\\s*input\\s*:\\s*\\$batchInput\\s*\\)\\s*\\{[^}]*\\bbatch\\s*\\{`,
    ),
    variables: z
      .object({
        projectId: id,
        batchInput: z
          .object({
            name: z.string().min(1),
            dataRowIds: z.array(id).min(1),
            globalKeys: z.array(z.string()).nullable().optional(),
            priority: z.number().int().min(1).max(5).optional(),
            consensusSettings: z.record(z.string(), z.unknown()).nullable().optional(),
          })
          .strict(),
      })
      .strict(),
  },
  /**
   * Deletes a batch (not used by annoflow: a project is deleted whole) [V batch.py
   * `Batch.delete`: `project(where: {id: $projectId}) {deleteBatch(batchId: $batchId)
   * {deletedBatchId}}`, `experimental=True`].
   */
  'project.deleteBatch': {
    kind: 'mutation',
    experimental: true,
    document: new RegExp(`${PROJECT_BY_ID}deleteBatch\\s*\\(\\s*batchId\\s*:\\s*\\$batchId\\s*\\)`),
    variables: z.object({ projectId: id, batchId: id }).strict(),
  },
  /**
   * A soft delete [V as `updateDataset`: `Project` is `Deletable` and does not override it].
   */
  updateProject: {
    kind: 'mutation',
    document: softDelete('updateProject', 'projectId'),
    variables: z.object({ projectId: id }).strict(),
  },
  /**
   * A project's webhook [V webhook.py `Webhook.create`: `createWebhook(data: {project: {id},
   * topics: {set: [LABEL_CREATED …]}, url, secret})`, the topics written as enum values; the
   * secret must be non-empty]. The SDK writes url and secret into the document too; as
   * variables they are the same arguments, and a secret is never pasted into a document. An
   * organization-wide webhook (no project) is not used by annoflow.
   */
  createWebhook: {
    kind: 'mutation',
    document:
      /\bcreateWebhook\s*\(\s*data\s*:\s*\{\s*project\s*:\s*\{\s*id\s*:\s*\$projectId\s*\}\s*,?\s*topics\s*:\s*\{\s*set\s*:\s*\[(?<topics>[A-Z_,\s]*)\]\s*\}\s*,?\s*url\s*:\s*\$url\s*,?\s*secret\s*:\s*\$secret\s*\}\s*\)/,
    variables: z
      .object({
        projectId: id,
        topics: z
          .string()
          .transform((set) => set.split(/[\s,]+/).filter(Boolean))
          .pipe(z.array(z.enum(WEBHOOK_TOPICS)).min(1)),
        url: z.url({ protocol: /^https?$/ }),
        secret: z.string().min(1),
      })
      .strict(),
  },
  /**
   * [V webhook.py `Webhook.update`/`Webhook.delete`: `updateWebhook(where: {id: "…"}
   * data: {status: INACTIVE})`, the status an enum value; deleting a webhook is making it
   * `INACTIVE`].
   */
  updateWebhook: {
    kind: 'mutation',
    document:
      /\bupdateWebhook\s*\(\s*where\s*:\s*\{\s*id\s*:\s*\$webhookId\s*\}\s*,?\s*data\s*:\s*\{\s*status\s*:\s*(?<status>[A-Z]+)\s*\}\s*\)/,
    variables: z
      .object({ webhookId: id, status: z.enum(['ACTIVE', 'INACTIVE', 'REVOKED']) })
      .strict(),
  },
  /**
   * Export v2 of a project's data rows, filtered by batch, with the input the SDK builds
   * [V project.py `Project._export` (used by `export_v2` and `export`):
   * `exportDataRowsInProject(input: $input) {taskId isStreamable}`, `input: {taskName,
   * isStreamableReady: True, filters: {projectId, searchQuery: {scope: None, query}},
   * params: {mediaTypeOverride, includeAttachments, includeEmbeddings, includeMetadata,
   * includeDataRowDetails, includeProjectDetails, includePerformanceDetails,
   * includeLabelDetails, includeInterpolatedFrames}, streamable}`; a batch filter is
   * `{ids, operator: "is", type: "batch"}`, at most 2000 ids (export_filters.py
   * `build_filters`, `SEARCH_LIMIT_PER_EXPORT_V2`)]. The old `projectId`, `filters.batchIds`
   * and unprefixed `params` keys are refused.
   */
  exportDataRowsInProject: {
    kind: 'mutation',
    variables: z.object({
      input: z
        .object({
          taskName: z.string().nullable().optional(),
          isStreamableReady: z.boolean().optional(),
          filters: z
            .object({
              projectId: id,
              searchQuery: z
                .object({
                  scope: z.null(),
                  query: z.array(
                    z
                      .object({
                        ids: z.array(id).min(1).max(2000),
                        operator: z.literal('is'),
                        type: z.literal('batch'),
                      })
                      .strict(),
                  ),
                })
                .strict(),
            })
            .strict(),
          params: z
            .object({
              mediaTypeOverride: z.string().nullable().optional(),
              includeAttachments: z.boolean().optional(),
              includeEmbeddings: z.boolean().optional(),
              includeMetadata: z.boolean().optional(),
              includeDataRowDetails: z.boolean().optional(),
              includeProjectDetails: z.boolean().optional(),
              includePerformanceDetails: z.boolean().optional(),
              includeLabelDetails: z.boolean().optional(),
              includeInterpolatedFrames: z.boolean().optional(),
            })
            .strict(),
          streamable: z.boolean().optional(),
        })
        .strict(),
    }),
  },
  /**
   * An async task: `IN_PROGRESS` → `COMPLETE` or `FAILED`; `result` is a string, the URL of
   * the result [V task.py `Task`: `status`, `result_url = Field.String("result_url",
   * "result")`; `Task._fetch_remote_json` reads it with a bare `requests.get(url)`, no API
   * key]. The root `task(where: $where)` with `$where: WhereUniqueIdInput` [V export_task.py
   * `ExportTask._get_metadata_header`]; the SDK itself polls through `user { createdTasks }`
   * (`Task.get_task`), so reading `status`/`result` off the root `task` is [I]. The old
   * `result { url }` selection is refused.
   */
  task: {
    kind: 'query',
    document: /\btask\s*\(\s*where\s*:\s*\$where\s*\)\s*\{[^{}]*\bresult\b[^{}]*\}/,
    variables: z.object({ where }).strict(),
  },
  /**
   * A streamable export's size [V export_task.py `ExportTask._get_metadata_header`:
   * `task(where: $where) {exportMetadataHeader(streamType: $streamType) {totalSize
   * totalLines}}`, `$streamType: TaskStreamType!` `RESULT` or `ERRORS`].
   */
  'task.exportMetadataHeader': {
    kind: 'query',
    document: /exportMetadataHeader\s*\(\s*streamType\s*:\s*\$streamType\s*\)/,
    variables: z.object({ where, streamType: z.enum(EXPORT_STREAMS) }).strict(),
  },
  /**
   * The file of a streamable export that holds byte `offset` [V export_task.py
   * `_BufferedFileRetrieverByOffset.get_next_chunk`: `task(where: $where)
   * {exportFileFromOffset(streamType: $streamType, offset: $offset) {offsets {start end}
   * lines {start end} file}}`, `offset` sent as a string (`UInt64!`); the file is read with a
   * bare `requests.get`, no API key, and must hold `end - start + 1` bytes].
   */
  'task.exportFileFromOffset': {
    kind: 'query',
    document:
      /exportFileFromOffset\s*\(\s*streamType\s*:\s*\$streamType\s*,\s*offset\s*:\s*\$offset\s*\)/,
    variables: z
      .object({ where, streamType: z.enum(EXPORT_STREAMS), offset: z.string().regex(/^\d+$/) })
      .strict(),
  },
} as const satisfies Record<string, OperationAssumption>;
export type Operation = keyof typeof operations;

/**
 * Task states [V task.py `Task.wait_till_done` waits while `IN_PROGRESS`, `Task.result` fails
 * on `FAILED`; export_task.py reads a result only when `COMPLETE`].
 */
export const TASK_STATUSES = ['IN_PROGRESS', 'COMPLETE', 'FAILED'] as const;

// ---------------------------------------------------------------------------------------
// Export v2 NDJSON: one line per data row [V keys from SDK tests; the rest I]

const xy = z.object({ x: z.number(), y: z.number() });

/** A classification answer on an object or the whole row [V keys, I nesting]. */
export type ExportClassification = {
  feature_id?: string;
  name: string;
  value?: string;
  radio_answer?: { name: string; value: string; classifications?: ExportClassification[] };
  checklist_answers?: Array<{ name: string; value: string }>;
  text_answer?: { content: string };
};
export const exportClassificationSchema: z.ZodType<ExportClassification> = z.lazy(() =>
  z
    .object({
      feature_id: z.string().optional(),
      name: z.string().min(1),
      value: z.string().optional(),
      radio_answer: z
        .object({
          name: z.string(),
          value: z.string(),
          classifications: z.array(exportClassificationSchema).optional(),
        })
        .optional(),
      checklist_answers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      text_answer: z.object({ content: z.string() }).optional(),
    })
    .refine(
      (c) =>
        [c.radio_answer, c.checklist_answers, c.text_answer].filter((a) => a !== undefined)
          .length === 1,
      'exactly one of radio_answer, checklist_answers, text_answer',
    ),
);

const objectBase = {
  feature_id: z.string().optional(),
  name: z.string().min(1),
  value: z.string().optional(),
  classifications: z.array(exportClassificationSchema).default([]),
};

/** Object kinds and their geometry; coordinates are absolute pixels [V §3.2; masks I]. */
export const exportObjectSchema = z.discriminatedUnion('annotation_kind', [
  z.object({
    ...objectBase,
    annotation_kind: z.literal('ImageBoundingBox'),
    bounding_box: z.object({
      top: z.number(),
      left: z.number(),
      height: z.number().nonnegative(),
      width: z.number().nonnegative(),
    }),
  }),
  z.object({
    ...objectBase,
    annotation_kind: z.literal('ImagePolygon'),
    polygon: z.array(xy).min(3),
  }),
  z.object({
    ...objectBase,
    annotation_kind: z.literal('ImagePolyline'),
    line: z.array(xy).min(2),
  }),
  z.object({ ...objectBase, annotation_kind: z.literal('ImagePoint'), point: xy }),
  /** [I] A mask as a PNG URL fetched with the API key; non-zero pixels are the object. */
  z.object({
    ...objectBase,
    annotation_kind: z.literal('ImageSegmentationMask'),
    mask: z.object({ url: z.url() }),
  }),
]);
export type ExportObject = z.infer<typeof exportObjectSchema>;

/** Which ontology tool draws which annotation kind [I]. */
export const KIND_OF_TOOL = {
  rectangle: 'ImageBoundingBox',
  polygon: 'ImagePolygon',
  line: 'ImagePolyline',
  point: 'ImagePoint',
  'raster-segmentation': 'ImageSegmentationMask',
} as const;

/** Workflow states of a data row in a project [I: export v2 `workflow_status`]. */
export const WORKFLOW_STATUSES = ['TO_LABEL', 'IN_REVIEW', 'IN_REWORK', 'DONE'] as const;

/** Video kinds, one per image kind [I: export v2 `annotation_kind` values for video]. */
export const VIDEO_KIND = {
  ImageBoundingBox: 'VideoBoundingBox',
  ImagePolygon: 'VideoPolygon',
  ImagePolyline: 'VideoPolyline',
  ImagePoint: 'VideoPoint',
  ImageSegmentationMask: 'VideoSegmentationMask',
} as const;

/** An object on one frame of a video: the image geometry under a video kind [I]. */
export const exportVideoObjectSchema = z.object({
  ...objectBase,
  feature_id: z.string(),
  annotation_kind: z.enum(Object.values(VIDEO_KIND) as [string, ...string[]]),
  bounding_box: z
    .object({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })
    .optional(),
  polygon: z.array(xy).optional(),
  line: z.array(xy).optional(),
  point: xy.optional(),
  mask: z.object({ url: z.url() }).optional(),
});
export type ExportVideoObject = z.infer<typeof exportVideoObjectSchema>;

/**
 * A video label [I: export v2 video layout]: per 1-based frame number, the objects keyed by
 * feature id (one feature id per track, across frames) and the frame's classifications;
 * `segments` and `key_frame_feature_map` summarize each track's frames.
 */
export const exportVideoAnnotationsSchema = z.object({
  frames: z.record(
    z.string().regex(/^[1-9]\d*$/),
    z.object({
      objects: z.record(z.string(), exportVideoObjectSchema),
      classifications: z.array(exportClassificationSchema),
    }),
  ),
  segments: z.record(z.string(), z.array(z.tuple([z.number().int(), z.number().int()]))),
  key_frame_feature_map: z.record(z.string(), z.array(z.number().int())),
  classifications: z.array(exportClassificationSchema),
});
export type ExportVideoAnnotations = z.infer<typeof exportVideoAnnotationsSchema>;

export const exportLabelSchema = z.object({
  id: z.string(),
  label_details: z.object({ created_at: z.iso.datetime(), updated_at: z.iso.datetime() }), // [I]
  annotations: z.union([
    z.object({
      objects: z.array(exportObjectSchema),
      classifications: z.array(exportClassificationSchema),
      relationships: z.array(z.unknown()),
    }),
    exportVideoAnnotationsSchema,
  ]),
});

export const exportLineSchema = z.object({
  data_row: z.object({
    id: z.string(),
    global_key: z.string().nullable(),
    external_id: z.string().nullable().optional(),
    row_data: z.string(),
  }),
  /** [I] width/height in pixels once Labelbox has read the media. */
  media_attributes: z
    .object({ width: z.number().optional(), height: z.number().optional() })
    .loose()
    .optional(),
  projects: z.record(
    z.string(),
    z.object({
      name: z.string(),
      labels: z.array(exportLabelSchema),
      project_details: z.object({
        workflow_status: z.enum(WORKFLOW_STATUSES),
        batch_id: z.string(),
      }),
    }),
  ),
});
export type ExportLine = z.infer<typeof exportLineSchema>;

// ---------------------------------------------------------------------------------------
// Webhook deliveries

/**
 * Headers of a delivery [D: the SDK repository's official example,
 * examples/project_configuration/webhooks.ipynb @ebdb097, checks `X-Hub-Signature` ==
 * `"sha1=" + hmac.new(secret, msg=payload, digestmod=hashlib.sha1).hexdigest()` over the raw
 * body, and reads `X-Labelbox-Id` (delivery id) and `X-Labelbox-Event` (topic); the SDK itself
 * receives no webhooks, so nothing is [V]]. `X-Hub-Signature-256` = `sha256=<hex
 * HMAC-SHA256>` [D, unconfirmed: a docs Lambda example]; the emulator sends it unless told not
 * to.
 */
export const WEBHOOK_HEADERS = {
  signature: 'X-Hub-Signature',
  signature256: 'X-Hub-Signature-256',
  deliveryId: 'X-Labelbox-Id',
  event: 'X-Labelbox-Event',
} as const;

/**
 * The body: NOT verified anywhere (reference §3.3). [I] A label event names the label, its
 * data row and its project; receivers must treat it as a notification and re-fetch. This is
 * the shape the emulator sends; a client should read only `project.id` from it.
 */
export const webhookBodySchema = z.object({
  id: z.string(),
  event: z.enum(WEBHOOK_TOPICS),
  project: z.object({ id: z.string(), name: z.string() }),
  data_row: z.object({ id: z.string(), global_key: z.string().nullable() }),
  updated_at: z.iso.datetime(),
});
export type WebhookBody = z.infer<typeof webhookBodySchema>;
