/**
 * Every assumption the Labelbox emulator makes about the real Labelbox API, in one place.
 *
 * No machine-readable contract is published (`../shared/reference/README.md` §3), so each
 * schema below says where it comes from, with the reference's tags:
 * - [V] verified in source (labelbox-python @5140584, FiftyOne labelbox.py @00081f70),
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
 * The root field a document asks for, read from its text: the first field of the first
 * selection set [I: our client sends one root field per document, as the SDK does].
 */
export const ROOT_FIELD = /^\s*(?:query|mutation)\b[^{]*\{\s*([A-Za-z_]\w*)/;

/**
 * Errors come back as HTTP 200 with `{"errors": [{"message", "extensions": {"code"}}]}`
 * [I: GraphQL convention; the SDK maps codes such as `RESOURCE_NOT_FOUND` to exceptions].
 */
export const ERROR_CODES = {
  notFound: 'RESOURCE_NOT_FOUND',
  conflict: 'RESOURCE_CONFLICT',
  invalid: 'INVALID_ARGUMENT',
} as const;

// ---------------------------------------------------------------------------------------
// Ontology (the `normalized` JSON of `upsertOntology`)

/** An answer of a radio/checklist/dropdown classification [I: SDK `Option.asdict`]. */
export const optionSchema = z.object({
  label: z.string().min(1),
  value: z.string().min(1),
  options: z.array(z.unknown()).optional(),
});

/** A classification [I: SDK `Classification.asdict`; `dropdown` is deprecated but accepted]. */
export const classificationSchema = z.object({
  type: z.enum(['radio', 'checklist', 'text', 'dropdown']),
  name: z.string().min(1),
  instructions: z.string().min(1),
  required: z.boolean(),
  options: z.array(optionSchema),
  scope: z.enum(['global', 'index']).optional(),
});

/** A tool [I: SDK `Tool.Type` values; `superpixel` and `named-entity` are not used by us]. */
export const toolSchema = z.object({
  tool: z.enum(['rectangle', 'polygon', 'line', 'point', 'raster-segmentation']),
  name: z.string().min(1),
  required: z.boolean(),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  classifications: z.array(classificationSchema),
});

/** [I: SDK `OntologyBuilder.asdict`]. Feature names are unique within an ontology [I]. */
export const ontologySchema = z.object({
  tools: z.array(toolSchema),
  classifications: z.array(classificationSchema),
});
export type Ontology = z.infer<typeof ontologySchema>;

// ---------------------------------------------------------------------------------------
// GraphQL operations: variables per root field. Labelbox ids are opaque strings (cuids) [V].

/** [V webhook.py Webhook.Topic]. */
export const WEBHOOK_TOPICS = [
  'LABEL_CREATED',
  'LABEL_UPDATED',
  'LABEL_DELETED',
  'WORKFLOW_ACTION',
] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

/** The most items one page of a paginated collection holds [I: SDK page size 100]. */
export const MAX_PAGE = 100;

const id = z.string().min(1);
const where = z.object({ id });
const mediaType = z.enum(['IMAGE', 'VIDEO']); // [V SDK MediaType values]

export const operationSchemas = {
  /** [I: SDK `Client.get_datasets(where=Dataset.name == n)`]. */
  datasets: z.object({ where: z.object({ name: z.string().min(1) }) }),
  /** [V SDK `Client.create_dataset`: `createDataset(data: {name, description})`]. */
  createDataset: z.object({
    data: z.object({ name: z.string().min(1), description: z.string().optional() }),
  }),
  /**
   * A dataset and a page of its data rows, `first`/`skip` as the SDK's paginated collections
   * page them [I: SDK `PaginatedCollection`]; at most {@link MAX_PAGE} rows a page [I].
   */
  dataset: z.object({
    where,
    first: z.number().int().min(1).max(100),
    skip: z.number().int().min(0),
  }),
  /** [I] Soft delete, as the SDK's `Dataset.delete` [I: `updateDataset(... deleted: true)`]. */
  updateDataset: z.object({ where, data: z.object({ deleted: z.literal(true) }) }),
  /**
   * Data rows with `rowData` (a URL Labelbox fetches the media from) and `globalKey`.
   * [I] simplified: the SDK uploads a JSON file and appends it with an async task; this
   * synchronous bulk mutation stands in for both. Global keys are unique in an organization
   * [D: Labelbox docs "Global keys"], so a key held by a live data row is refused.
   */
  createDataRows: z.object({
    data: z.object({
      datasetId: id,
      dataRows: z
        .array(
          z.object({
            rowData: z.url({ protocol: /^https?$/ }),
            globalKey: z.string().min(1),
            mediaType: mediaType.optional(),
          }),
        )
        .min(1),
    }),
  }),
  /**
   * A data row's media URL replaced in place: its id, global key, batch and labels stay.
   * [I: SDK `DataRow.update(row_data=…)` through the generic `update<Type>(where: {id}, data)`
   * of `Updateable`; public client code sends `updateDataRow(where: {id}, data: {rowData})`].
   * No bulk form is known short of the SDK's file-based upsert, so it is one call per row.
   */
  updateDataRow: z.object({
    where,
    data: z.object({ rowData: z.url({ protocol: /^https?$/ }) }),
  }),
  /** [I: SDK `DataRow.bulk_delete` → `deleteDataRows(where: {dataRowIds})`]. */
  deleteDataRows: z.object({ where: z.object({ dataRowIds: z.array(id).min(1) }) }),
  /** [I: SDK `Client.get_ontologies(name)`]. */
  ontologies: z.object({ where: z.object({ name: z.string().min(1) }) }),
  /** [I: SDK `Client.create_ontology` → `upsertOntology(data: {name, normalized, mediaType})`]. */
  upsertOntology: z.object({
    data: z.object({
      name: z.string().min(1),
      normalized: z.string().min(1),
      mediaType: mediaType.optional(),
    }),
  }),
  /** [I: SDK `Client.delete_unused_ontology`]; refused while a live project uses it [I]. */
  deleteOntology: z.object({ id }),
  /** [I: SDK `Client.get_projects(where=Project.name == n)`]. */
  projects: z.object({ where: z.object({ name: z.string().min(1) }) }),
  /** [V SDK `Client.create_project(name, description, media_type)`]. */
  createProject: z.object({
    data: z.object({
      name: z.string().min(1),
      description: z.string().optional(),
      mediaType,
    }),
  }),
  /** A project with its ontology, batches and webhooks [I]; null when it does not exist [I]. */
  project: z.object({ where }),
  /** [I: SDK 5 `Project.connect_ontology`]. */
  connectOntology: z.object({ projectId: id, ontologyId: id }),
  /** [I: SDK `Project.create_batch` → `createBatchV2`]; a row is in at most one batch [D]. */
  createBatchV2: z.object({
    input: z.object({
      projectId: id,
      name: z.string().min(1),
      dataRowIds: z.array(id).min(1),
      priority: z.number().int().min(1).max(5).optional(),
    }),
  }),
  /** [I: SDK `Batch.delete`]. */
  deleteProjectBatch: z.object({ projectId: id, batchId: id }),
  /** [I] Project deletion, as the SDK's `Project.delete` does it. */
  updateProject: z.object({ where, data: z.object({ deleted: z.literal(true) }) }),
  /**
   * [V webhook.py `Webhook.create`: `createWebhook(data: {project: {id}, topics: {set},
   * url, secret})`; the secret must be non-empty; no project = organization-wide].
   */
  createWebhook: z.object({
    data: z.object({
      project: z.object({ id }).optional(),
      topics: z.object({ set: z.array(z.enum(WEBHOOK_TOPICS)).min(1) }),
      url: z.url({ protocol: /^https?$/ }),
      secret: z.string().min(1),
    }),
  }),
  /** [V webhook.py `Webhook.update`: deleting a webhook is `status: INACTIVE`]. */
  updateWebhook: z.object({
    where,
    data: z.object({ status: z.enum(['ACTIVE', 'INACTIVE', 'REVOKED']) }),
  }),
  /**
   * Export v2 of a project's data rows, filtered by batch [I: SDK `Project.export_v2` →
   * `exportDataRowsInProjectPyApi`; the filter and params names follow the SDK's keys].
   */
  exportDataRowsInProject: z.object({
    input: z.object({
      projectId: id,
      filters: z.object({ batchIds: z.array(id).optional() }).optional(),
      params: z
        .object({
          dataRowDetails: z.boolean().optional(),
          mediaAttributes: z.boolean().optional(),
          projectDetails: z.boolean().optional(),
          labelDetails: z.boolean().optional(),
        })
        .optional(),
    }),
  }),
  /** An async task: `IN_PROGRESS` → `COMPLETE` (with `result.url`) or `FAILED` [I]. */
  task: z.object({ where }),
} as const;
export type RootField = keyof typeof operationSchemas;

/** Export task states [I]. */
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
 * Headers of a delivery [D official webhook notebook + docs]: `X-Hub-Signature` =
 * `sha1=<hex HMAC-SHA1(secret, raw body)>`, `X-Labelbox-Id` (delivery id), `X-Labelbox-Event`
 * (topic). `X-Hub-Signature-256` = `sha256=<hex HMAC-SHA256>` [D, unconfirmed: a docs Lambda
 * example]; the emulator sends it unless told not to.
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
