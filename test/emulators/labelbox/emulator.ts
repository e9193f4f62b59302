import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { encodePng } from '../../../lib/local/png.js';
import {
  authorizationSchema,
  contentTypeSchema,
  DELETE_ONTOLOGY,
  EXPERIMENTAL_GRAPHQL_PATH,
  type ExportClassification,
  type ExportObject,
  type ExportVideoAnnotations,
  exportClassificationSchema,
  exportObjectSchema,
  exportVideoObjectSchema,
  GRAPHQL_PATH,
  graphqlRequestSchema,
  KIND_OF_TOOL,
  NESTED_FIELD,
  type Ontology,
  type Operation,
  type OperationAssumption,
  operations,
  REST_PATH,
  ROOT_FIELD,
  UPLOAD_CONTENT_TYPE,
  UPLOAD_FILENAMES,
  UPLOAD_FORM_FIELDS,
  uploadMapSchema,
  uploadOperationsSchema,
  VIDEO_KIND,
  WEBHOOK_HEADERS,
  type WebhookBody,
  type WebhookTopic,
} from './assumptions.js';
import { finishImports, GraphqlError, type ResolverContext, resolvers } from './resolvers.js';
import {
  type DataRowRecord,
  type ImportEnding,
  LabelboxState,
  type LabelRecord,
  type ProjectRecord,
} from './state.js';

export interface LabelboxEmulatorOptions {
  /** The API key requests must carry as `Authorization: Bearer <key>`. */
  readonly apiKey?: string;
  /** Polls an export task stays `IN_PROGRESS` before it completes (default 1). */
  readonly exportPolls?: number;
  /** Whether deliveries carry `X-Hub-Signature-256` besides `X-Hub-Signature` (default yes). */
  readonly sha256Header?: boolean;
  /**
   * Whether an export asked for with `isStreamableReady` is streamable, its result read as
   * files through `exportFileFromOffset` (default yes); otherwise through the task's `result`.
   */
  readonly streamableExports?: boolean;
  /** Lines per file of a streamed export (default 2, so results span several files). */
  readonly exportLinesPerFile?: number;
  /**
   * Polls (`createdTasks`) a data row import still answers `IN_PROGRESS` before it completes
   * (default 0: the first poll finds it done; `upsertDataRows` itself always answers
   * `IN_PROGRESS`). `Infinity` keeps imports running until {@link LabelboxEmulator.finishImports}.
   */
  readonly importPolls?: number;
  /**
   * How a data row import ends once those polls are spent (default `COMPLETE`; `FAILED` and
   * `LOST`, a task polls stop finding, are what a client must survive).
   */
  readonly importEnds?: ImportEnding;
}

/** An object as an annotator draws it: export shape, without the ids Labelbox assigns. */
type Drawn<T> = T extends unknown ? Omit<T, 'feature_id' | 'value'> : never;
export type DrawnObject =
  | Drawn<Exclude<z.input<typeof exportObjectSchema>, { annotation_kind: 'ImageSegmentationMask' }>>
  | {
      name: string;
      annotation_kind: 'ImageSegmentationMask';
      /** Rows of 0/1 over the whole image; served as a PNG URL in the export. */
      pixels: number[][];
      classifications?: ExportClassification[];
    };

export interface SubmittedLabel {
  projectId: string;
  globalKey: string;
  objects?: DrawnObject[];
  classifications?: ExportClassification[];
}

export interface SubmittedVideoLabel {
  projectId: string;
  globalKey: string;
  frames: Record<
    string,
    { objects?: Array<DrawnObject & { track: string }>; classifications?: ExportClassification[] }
  >;
}

export interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number | 'dropped' | 'failed';
}

/**
 * A stateful Labelbox stand-in on `node:http`: the GraphQL endpoint and export v2 as the
 * annoflow client uses them, an annotator API to label data rows, and webhooks sent as
 * Labelbox sends them. What it assumes of the real API is all in `assumptions.ts`; every
 * request is checked against it, and departures are listed by {@link violations}.
 */
export class LabelboxEmulator {
  readonly state = new LabelboxState();
  readonly deliveries: Delivery[] = [];
  /**
   * The operation of every GraphQL request received, in order (its root field, or
   * `root.field` for a nested one): what a call costs.
   */
  readonly calls: string[] = [];
  readonly #violations: string[] = [];
  readonly #apiKey: string;
  readonly #exportPolls: number;
  readonly #sha256Header: boolean;
  readonly #streamableExports: boolean;
  readonly #exportLinesPerFile: number;
  /**
   * Polls a data row import started from now on answers `IN_PROGRESS` (the option of that
   * name); a test may change it between calls, e.g. to let a retry's import finish.
   */
  importPolls: number;
  /** How a data row import started from now on ends (the option of that name). */
  importEnds: ImportEnding;
  #server: Server | undefined;
  #baseUrl = '';
  #tick = 0;
  #drop = 0;
  #duplicate = 0;

  constructor(options: LabelboxEmulatorOptions = {}) {
    this.#apiKey = options.apiKey ?? 'lb-test-key';
    this.#exportPolls = options.exportPolls ?? 1;
    this.#sha256Header = options.sha256Header ?? true;
    this.#streamableExports = options.streamableExports ?? true;
    this.#exportLinesPerFile = options.exportLinesPerFile ?? 2;
    this.importPolls = options.importPolls ?? 0;
    this.importEnds = options.importEnds ?? 'COMPLETE';
  }

  get apiKey(): string {
    return this.#apiKey;
  }

  /** `http://127.0.0.1:<port>`; the GraphQL endpoint is `<url>/graphql`. */
  get url(): string {
    return this.#baseUrl;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.#violations.push(`emulator crashed: ${String(error)}`);
        send(res, 500, { message: 'internal error' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** Requests that broke the assumed contract, and self-checks that failed. */
  violations(): string[] {
    return [...this.#violations];
  }

  /** What the organization still holds; all zero after a clean cleanup. */
  counts(): Record<string, number> {
    const { state } = this;
    return {
      datasets: state.datasets.size,
      dataRows: state.dataRows.size,
      ontologies: state.ontologies.size,
      projects: state.projects.size,
      activeWebhooks: [...state.webhooks.values()].filter((hook) => hook.status === 'ACTIVE')
        .length,
    };
  }

  /**
   * Completes every data row import still running, as Labelbox does whether anyone polls or
   * not: what a client that gave up waiting finds made when it tries again.
   */
  finishImports(): void {
    finishImports(this.state, () => this.#now());
  }

  // --- webhook controls ---------------------------------------------------------------

  /** The next `n` deliveries are lost (the event happens, nobody is told). */
  dropNextDeliveries(n = 1): void {
    this.#drop += n;
  }

  /** The next `n` deliveries are sent twice with the same delivery id. */
  duplicateNextDeliveries(n = 1): void {
    this.#duplicate += n;
  }

  // --- annotator API ------------------------------------------------------------------

  projectsWhere(predicate: (project: ProjectRecord) => boolean): ProjectRecord[] {
    return [...this.state.projects.values()].filter(predicate);
  }

  dataRow(globalKey: string): DataRowRecord {
    const row = this.state.dataRowByGlobalKey(globalKey);
    if (!row) throw new Error(`No data row has global key ${globalKey}`);
    return row;
  }

  /** What Labelbox learns when it reads the media; the export reports it. */
  setMediaAttributes(globalKey: string, size: { width: number; height: number }): void {
    this.dataRow(globalKey).mediaAttributes = size;
  }

  /**
   * Creates or replaces the label of a data row in a project, as an annotator saving in the
   * editor; the objects must use the project's ontology. Sends LABEL_CREATED/LABEL_UPDATED.
   */
  async submitLabel(input: SubmittedLabel): Promise<string> {
    const { project, ontology } = this.#projectWithOntology(input.projectId);
    const objects = (input.objects ?? []).map((drawn) => this.#object(ontology, drawn));
    const classifications = this.#answers(ontology, input.classifications);
    return this.#save(project, input.globalKey, { objects, classifications });
  }

  /**
   * The video counterpart of {@link submitLabel}: objects per 1-based frame number, where a
   * `track` names the same object across frames (Labelbox gives a track one feature id).
   */
  async submitVideoLabel(input: SubmittedVideoLabel): Promise<string> {
    const { project, ontology } = this.#projectWithOntology(input.projectId);
    const trackIds = new Map<string, string>();
    const video: ExportVideoAnnotations = {
      frames: {},
      segments: {},
      key_frame_feature_map: {},
      classifications: [],
    };
    for (const [frame, content] of Object.entries(input.frames)) {
      const objects: ExportVideoAnnotations['frames'][string]['objects'] = {};
      for (const { track, ...drawn } of content.objects ?? []) {
        const featureId = trackIds.get(track) ?? this.state.newId('ft');
        trackIds.set(track, featureId);
        const object = this.#object(ontology, drawn);
        objects[featureId] = exportVideoObjectSchema.parse({
          ...object,
          feature_id: featureId,
          annotation_kind: VIDEO_KIND[object.annotation_kind],
        });
        const number = Number(frame);
        video.segments[featureId] = [...(video.segments[featureId] ?? []), [number, number]];
        video.key_frame_feature_map[featureId] = [
          ...(video.key_frame_feature_map[featureId] ?? []),
          number,
        ];
      }
      video.frames[frame] = {
        objects,
        classifications: this.#answers(ontology, content.classifications),
      };
    }
    return this.#save(project, input.globalKey, { objects: [], classifications: [], video });
  }

  #projectWithOntology(projectId: string) {
    const project = this.state.projects.get(projectId);
    if (!project) throw new Error(`No project ${projectId}`);
    const ontology = project.ontologyId
      ? this.state.ontologies.get(project.ontologyId)?.normalized
      : undefined;
    if (!ontology) throw new Error(`Project ${project.id} has no ontology`);
    return { project, ontology };
  }

  #answers(ontology: Ontology, answers: ExportClassification[] = []): ExportClassification[] {
    return answers.map((c) => {
      if (!ontology.classifications.some((g) => g.name === c.name)) {
        throw new Error(`The ontology has no classification named ${c.name}`);
      }
      return exportClassificationSchema.parse({ ...c, feature_id: this.state.newId('ft') });
    });
  }

  async #save(
    project: ProjectRecord,
    globalKey: string,
    content: Pick<LabelRecord, 'objects' | 'classifications' | 'video'>,
  ): Promise<string> {
    const { row, entry } = this.#rowOf(project.id, globalKey);
    const now = this.#now();
    const existing = entry.label;
    entry.label = {
      id: existing?.id ?? this.state.newId('lb'),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      ...content,
    };
    if (entry.status === 'TO_LABEL') entry.status = 'IN_REVIEW';
    await this.#notify(project, row, entry.label.id, existing ? 'LABEL_UPDATED' : 'LABEL_CREATED');
    return entry.label.id;
  }

  /** Moves a labeled data row to `DONE` (review accepted). Sends WORKFLOW_ACTION. */
  async markDone(projectId: string, globalKey: string): Promise<void> {
    const { project, row, entry } = this.#rowOf(projectId, globalKey);
    if (!entry.label) throw new Error(`Data row ${globalKey} has no label to accept`);
    entry.status = 'DONE';
    entry.label.updatedAt = this.#now();
    await this.#notify(project, row, entry.label.id, 'WORKFLOW_ACTION');
  }

  #rowOf(projectId: string, globalKey: string) {
    const project = this.state.projects.get(projectId);
    if (!project) throw new Error(`No project ${projectId}`);
    const row = this.dataRow(globalKey);
    const entry = project.rows.get(row.id);
    if (!entry) throw new Error(`Data row ${globalKey} is in no batch of project ${projectId}`);
    return { project, row, entry };
  }

  #object(ontology: Ontology, drawn: DrawnObject): ExportObject {
    const tool = ontology.tools.find((t) => t.name === drawn.name);
    if (!tool) throw new Error(`The ontology has no tool named ${drawn.name}`);
    if (KIND_OF_TOOL[tool.tool] !== drawn.annotation_kind) {
      throw new Error(`Tool ${drawn.name} is a ${tool.tool}, not ${drawn.annotation_kind}`);
    }
    const feature_id = this.state.newId('ft');
    const value = drawn.name.toLowerCase().replace(/\W+/g, '_');
    if (drawn.annotation_kind === 'ImageSegmentationMask') {
      const maskId = this.state.newId('mk');
      const { pixels } = drawn;
      const png = encodePng(pixels[0]?.length ?? 0, pixels.length, (x, y) => {
        const on = (pixels[y]?.[x] ?? 0) !== 0 ? 255 : 0;
        return [on, on, on];
      });
      this.state.masks.set(maskId, png);
      return exportObjectSchema.parse({
        feature_id,
        name: drawn.name,
        value,
        annotation_kind: 'ImageSegmentationMask',
        mask: { url: `${this.#baseUrl}/masks/${maskId}.png` },
        classifications: drawn.classifications ?? [],
      });
    }
    return exportObjectSchema.parse({ ...drawn, feature_id, value });
  }

  // Timestamps advance a second per event, so every update has a later `updated_at`.
  #now(): string {
    this.#tick += 1;
    return new Date(Date.UTC(2026, 0, 1) + this.#tick * 1000).toISOString();
  }

  async #notify(
    project: ProjectRecord,
    row: DataRowRecord,
    labelId: string,
    event: WebhookTopic,
  ): Promise<void> {
    const body: WebhookBody = {
      id: labelId,
      event,
      project: { id: project.id, name: project.name },
      data_row: { id: row.id, global_key: row.globalKey },
      updated_at: this.#now(),
    };
    const raw = JSON.stringify(body);
    for (const hook of this.state.webhooks.values()) {
      if (hook.status !== 'ACTIVE' || !hook.topics.includes(event)) continue;
      if (hook.projectId !== undefined && hook.projectId !== project.id) continue;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        [WEBHOOK_HEADERS.signature]: `sha1=${createHmac('sha1', hook.secret).update(raw).digest('hex')}`,
        [WEBHOOK_HEADERS.deliveryId]: randomUUID(),
        [WEBHOOK_HEADERS.event]: event,
      };
      if (this.#sha256Header) {
        headers[WEBHOOK_HEADERS.signature256] =
          `sha256=${createHmac('sha256', hook.secret).update(raw).digest('hex')}`;
      }
      if (this.#drop > 0) {
        this.#drop -= 1;
        this.deliveries.push({ url: hook.url, headers, body: raw, status: 'dropped' });
        continue;
      }
      const times = this.#duplicate > 0 ? 2 : 1;
      if (this.#duplicate > 0) this.#duplicate -= 1;
      for (let i = 0; i < times; i += 1) {
        const status = await fetch(hook.url, { method: 'POST', headers, body: raw })
          .then((res) => res.status)
          .catch(() => 'failed' as const);
        this.deliveries.push({ url: hook.url, headers, body: raw, status });
      }
    }
  }

  // --- HTTP ---------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (req.method === 'GET' && path.startsWith('/exports/'))
      return this.#serveExport(req, res, url);
    const auth = authorizationSchema.safeParse(req.headers.authorization);
    if (!auth.success || auth.data !== `Bearer ${this.#apiKey}`) {
      send(res, 401, { message: 'Unauthorized' });
      return;
    }
    if (req.method === 'GET' && path.startsWith('/masks/')) {
      const png = this.state.masks.get(path.slice('/masks/'.length).replace(/\.png$/, ''));
      if (!png) return send(res, 404, { message: 'Not found' });
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(png);
      return;
    }
    if (path.startsWith(`${REST_PATH}/`)) {
      this.#rest(req, res, path);
      return;
    }
    const experimental = path === EXPERIMENTAL_GRAPHQL_PATH;
    if (req.method !== 'POST' || (path !== GRAPHQL_PATH && !experimental)) {
      this.#violations.push(`${req.method} ${path}: no such endpoint`);
      return send(res, 404, { message: 'Not found' });
    }
    if (/^multipart\/form-data\b/.test(req.headers['content-type'] ?? '')) {
      return send(res, 200, await this.#upload(req, path));
    }
    if (!contentTypeSchema.safeParse(req.headers['content-type']).success) {
      this.#violations.push(`POST ${path}: content-type ${req.headers['content-type']}`);
    }
    const raw = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      this.#violations.push(`POST ${path}: body is not JSON`);
      return send(res, 400, { message: 'Bad request' });
    }
    const request = graphqlRequestSchema.safeParse(json);
    if (!request.success) {
      this.#violations.push(`POST ${path}: ${request.error.message}`);
      return send(res, 400, { message: 'Bad request' });
    }
    send(res, 200, this.#execute(request.data.query, request.data.variables ?? {}, experimental));
  }

  /**
   * A file upload: a GraphQL multipart request with `uploadFile`, checked against the SDK's
   * `Client.upload_data` (see `UPLOAD_FILE_DOCUMENT`); the file is kept for the import that
   * names the URL answered.
   */
  async #upload(req: IncomingMessage, path: string): Promise<unknown> {
    this.calls.push('uploadFile');
    const refused = (why: string) => {
      this.#violations.push(`uploadFile: ${why}`);
      return graphqlError('GRAPHQL_VALIDATION_FAILED', `uploadFile: ${why}`);
    };
    if (path !== GRAPHQL_PATH) return refused(`sent to ${path}, not ${GRAPHQL_PATH}`);
    let form: FormData;
    try {
      const body = await readBytes(req);
      form = await new Response(body, {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
    } catch {
      return refused('the body is not multipart/form-data');
    }
    const fields = [...form.keys()];
    if (fields.join() !== UPLOAD_FORM_FIELDS.join()) {
      return refused(`form fields ${fields.join(', ')}, not ${UPLOAD_FORM_FIELDS.join(', ')}`);
    }
    const operations = uploadOperationsSchema.safeParse(safeJson(form.get('operations')));
    if (!operations.success) return refused(`operations: ${operations.error.message}`);
    const map = uploadMapSchema.safeParse(safeJson(form.get('map')));
    if (!map.success) return refused(`map: ${map.error.message}`);
    const file = form.get('1');
    if (!(file instanceof File)) return refused('part 1 is not a file');
    if (!(UPLOAD_FILENAMES as readonly string[]).includes(file.name)) {
      return refused(`a file named ${file.name}, not as the SDK names its uploads`);
    }
    if (!file.type.startsWith(UPLOAD_CONTENT_TYPE)) {
      return refused(`a file of type ${file.type}, not ${UPLOAD_CONTENT_TYPE}`);
    }
    const bytes = Buffer.from(await file.arrayBuffer());
    const { contentLength } = operations.data.variables;
    if (bytes.length !== contentLength) {
      return refused(`contentLength ${contentLength}, but the file holds ${bytes.length} bytes`);
    }
    const url = `${this.#baseUrl}/uploads/${this.state.newId('up')}/${file.name}`;
    this.state.uploads.set(url, { url, filename: file.name, contentType: file.type, bytes });
    return { data: { uploadFile: { url, filename: file.name } } };
  }

  /** The REST API: only the ontology deletion annoflow needs. */
  #rest(req: IncomingMessage, res: ServerResponse, path: string): void {
    const id = DELETE_ONTOLOGY.exec(path)?.[1];
    if (req.method !== 'DELETE' || id === undefined) {
      this.#violations.push(`${req.method} ${path}: no such endpoint`);
      send(res, 404, { message: 'Not found' });
      return;
    }
    this.calls.push('DELETE /ontologies');
    const ontologyId = decodeURIComponent(id);
    if (!this.state.ontologies.has(ontologyId)) {
      send(res, 404, { message: `Ontology ${ontologyId} not found` });
    } else if ([...this.state.projects.values()].some((p) => p.ontologyId === ontologyId)) {
      send(res, 409, { message: `Ontology ${ontologyId} is used by a project` });
    } else {
      this.state.ontologies.delete(ontologyId);
      res.writeHead(204).end();
    }
  }

  /**
   * An export's result (`/exports/<task>.ndjson`) or one file of a streamed one
   * (`/exports/<task>/<n>.ndjson`): signed links, read without the API key as the SDK reads
   * them [V task.py, export_task.py: bare `requests.get`]. A request carrying the key is a
   * violation: the key would travel to wherever the link points.
   */
  #serveExport(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers.authorization !== undefined) {
      this.#violations.push(`GET ${url.pathname}: an export link fetched with the API key`);
    }
    const [, id, index] = /^\/exports\/([^/.]+)(?:\/(\d+))?\.ndjson$/.exec(url.pathname) ?? [];
    const task = id ? this.state.exportTasks.get(id) : undefined;
    const file = index === undefined ? undefined : task?.files[Number(index)];
    if (!task || task.pollsLeft > 0 || task.streamable !== (file !== undefined)) {
      send(res, 404, { message: 'Not found' });
    } else if (url.searchParams.get('signature') !== task.signature) {
      send(res, 403, { message: 'Signature does not match' });
    } else {
      const bytes = Buffer.from(task.ndjson);
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(file ? bytes.subarray(file.start, file.end + 1) : bytes);
    }
  }

  #execute(query: string, variables: Record<string, unknown>, experimental: boolean): unknown {
    const [, kind, root] = ROOT_FIELD.exec(query) ?? [];
    const nested = `${root}.${NESTED_FIELD.exec(query)?.[1]}`;
    const name = Object.hasOwn(operations, nested) ? nested : root;
    if (!root || !name || !Object.hasOwn(operations, name)) {
      this.#violations.push(`GraphQL: unknown root field ${root ?? '(none)'}`);
      return graphqlError('GRAPHQL_VALIDATION_FAILED', `Cannot query field ${root}`);
    }
    const op = name as Operation;
    const assumed: OperationAssumption = operations[op];
    this.calls.push(op);
    const refused = (why: string) => {
      this.#violations.push(`GraphQL ${op}: ${why}`);
      return graphqlError('GRAPHQL_VALIDATION_FAILED', `${op}: ${why}`);
    };
    if (kind !== assumed.kind) return refused(`sent as a ${kind}, not a ${assumed.kind}`);
    if (experimental !== (assumed.experimental === true)) {
      return refused(
        `sent to ${experimental ? EXPERIMENTAL_GRAPHQL_PATH : GRAPHQL_PATH}, not where the SDK sends it`,
      );
    }
    let literals: Record<string, string> = {};
    if (assumed.document) {
      const match = assumed.document.exec(query);
      if (!match) return refused("the document does not have the SDK's shape");
      literals = { ...match.groups };
    }
    const vars = assumed.variables.safeParse({ ...variables, ...literals });
    if (!vars.success) {
      this.#violations.push(`GraphQL ${op}: variables ${vars.error.message}`);
      return graphqlError('INVALID_ARGUMENT', `Invalid variables for ${op}`);
    }
    const ctx: ResolverContext = {
      state: this.state,
      baseUrl: this.#baseUrl,
      now: () => this.#now(),
      exportPolls: this.#exportPolls,
      streamableExports: this.#streamableExports,
      exportLinesPerFile: this.#exportLinesPerFile,
      importPolls: this.importPolls,
      importEnds: this.importEnds,
      violation: (message) => this.#violations.push(message),
    };
    try {
      const resolve = resolvers[op] as (vars: unknown, ctx: ResolverContext) => unknown;
      // A nested operation's resolver answers for its root (`{connectOntology: …}`), so a
      // missing project can be `null` as Labelbox answers it.
      return { data: { [root]: resolve(vars.data, ctx) } };
    } catch (error) {
      if (error instanceof GraphqlError) return graphqlError(error.code, error.message);
      throw error;
    }
  }
}

function graphqlError(code: string, message: string) {
  return { data: null, errors: [{ message, extensions: { code } }] };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function safeJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
