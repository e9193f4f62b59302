import type { z } from 'zod';
import { ERROR_BODY } from '../api/openapi.js';
import type { Route } from '../api/route.js';
import { createDataset, deleteDataset, getDataset, listDatasets } from '../api/routes/datasets.js';
import type { ApiDeps } from '../api/routes/deps.js';
import type { listRunExecutions } from '../api/routes/executions.js';
import {
  deleteAnnotationRun,
  getAnnotationRun,
  listAnnotationRuns,
  renameAnnotationRun,
} from '../api/routes/runs.js';
import { getSample, importSamples, listSamples } from '../api/routes/samples.js';
import type {
  getExecution,
  getLoadReport,
  getRunStatus,
  getUnexpectedLabels,
  startAnnotation,
  startLoad,
} from '../api/routes/workflows.js';
import { AnnoflowApiError, codeForStatus } from './errors.js';
import { type BatchLimits, importBatches } from './import-batches.js';
import {
  createSigV4Signer,
  hasUserInfo,
  isLoopback,
  type RequestSigner,
  regionOfEndpoint,
} from './signer.js';

// Every request and response type comes from the routes' own schemas. Bodies are what the
// API accepts (z.input: defaults may be left out). Queries are the parsed form (z.output:
// `limit` a number, `tags` a list), which the client writes back onto the wire; the
// query schemas' input side is the wire's strings. Responses are z.output, and are parsed.
type AnyApiRoute = Route<ApiDeps, z.ZodType, z.ZodType, z.ZodType, z.ZodType>;
type BodyOf<R extends AnyApiRoute> = z.input<NonNullable<R['body']>>;
type QueryOf<R extends AnyApiRoute> = z.output<R['query']>;
type ResponseOf<R extends AnyApiRoute> = z.output<R['response']>;

export type CreateDatasetRequest = BodyOf<typeof createDataset>;
export type Dataset = ResponseOf<typeof createDataset>;
export type ListDatasetsQuery = QueryOf<typeof listDatasets>;
export type DatasetPage = ResponseOf<typeof listDatasets>;
export type DatasetDetail = ResponseOf<typeof getDataset>;
export type ListSamplesQuery = QueryOf<typeof listSamples>;
export type SamplePage = ResponseOf<typeof listSamples>;
export type StoredSample = ResponseOf<typeof getSample>;
export type ImportSamplesRequest = BodyOf<typeof importSamples>;
export type ImportSamplesResult = ResponseOf<typeof importSamples>;
export type ListRunsQuery = QueryOf<typeof listAnnotationRuns>;
export type RunList = ResponseOf<typeof listAnnotationRuns>;
export type RunSummary = RunList['items'][number];
export type AnnotationRun = ResponseOf<typeof getAnnotationRun>;
export type AnnotateRunRequest = BodyOf<typeof startAnnotation>;
/** What a start answers: the workflow started and the execution to follow. */
export type StartedWorkflow = ResponseOf<typeof startAnnotation>;
export type LoadRunOptions = BodyOf<typeof startLoad>;
export type RunTaskStatus = ResponseOf<typeof getRunStatus>;
export type LoadReport = ResponseOf<typeof getLoadReport>;
export type UnexpectedLabels = ResponseOf<typeof getUnexpectedLabels>;
export type Execution = ResponseOf<typeof getExecution>;
export type ListRunExecutionsQuery = QueryOf<typeof listRunExecutions>;
export type RunExecutionPage = ResponseOf<typeof listRunExecutions>;

export interface WaitOptions {
  /** Between two looks at the execution; default 1 s. */
  readonly intervalMs?: number;
  /** Give up (`WAIT_TIMEOUT`) after this long; default: never. */
  readonly timeoutMs?: number;
  /** Called with every look at the execution, the last one included. */
  readonly onProgress?: (execution: Execution) => void;
  /** Stops waiting (the execution goes on) with the signal's reason. */
  readonly signal?: AbortSignal;
}

export interface AnnoflowClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` or `https://….execute-api.…/prod`. */
  readonly endpoint: string;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
  /**
   * Signs each request. Default: none for a loopback endpoint (the local runtime has no
   * auth), otherwise SigV4 for `execute-api` with the default credential chain, in the
   * endpoint's region (or `AWS_REGION`). `false`: never sign.
   */
  readonly signer?: RequestSigner | false;
  /** Per-request timeout; default 60 s (API Gateway gives up after 29 s). */
  readonly timeoutMs?: number;
}

const STRICT_ENCODE = (value: string): string =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/** Query values as the API's query schemas read them: lists comma-joined, numbers as text. */
function queryString(query: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${STRICT_ENCODE(name)}=${STRICT_ENCODE(text)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/**
 * A typed client for annoflow's HTTP API, one method per route. Every response is checked
 * against the route's schema; every failure is an {@link AnnoflowApiError}.
 */
export class AnnoflowClient {
  readonly endpoint: URL;
  readonly #fetch: typeof fetch;
  readonly #signer: RequestSigner | undefined;
  readonly #timeoutMs: number;

  constructor(options: AnnoflowClientOptions) {
    const endpoint = new URL(options.endpoint);
    if (hasUserInfo(endpoint)) {
      // Not echoed: every error message names the request's URL.
      throw new Error(
        'The endpoint must not carry a user or password (user:password@): requests are signed instead',
      );
    }
    if (!endpoint.pathname.endsWith('/')) endpoint.pathname = `${endpoint.pathname}/`;
    this.endpoint = endpoint;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    if (options.signer === false || (options.signer === undefined && isLoopback(endpoint))) {
      this.#signer = undefined;
    } else if (options.signer !== undefined) {
      this.#signer = options.signer;
    } else {
      const region = regionOfEndpoint(endpoint) ?? process.env.AWS_REGION;
      if (!region) {
        throw new Error(
          `Cannot tell the region to sign requests to ${endpoint.origin} for: set AWS_REGION or pass a signer`,
        );
      }
      this.#signer = createSigV4Signer({ region });
    }
  }

  readonly datasets = {
    /** @throws AnnoflowApiError `DATASET_EXISTS`, `INVALID_INPUT` */
    create: (request: CreateDatasetRequest): Promise<Dataset> =>
      this.#call(createDataset, { body: request }),
    /** One page of datasets, by name. */
    list: (query: ListDatasetsQuery = {}): Promise<DatasetPage> =>
      this.#call(listDatasets, { query }),
    /** Every dataset, following cursors. */
    iterate: (query: Omit<ListDatasetsQuery, 'cursor'> = {}): AsyncGenerator<Dataset> =>
      paginate((cursor) => this.datasets.list({ ...query, ...(cursor ? { cursor } : {}) })),
    /** With its field schema and sample count. @throws AnnoflowApiError `DATASET_NOT_FOUND` */
    get: (name: string): Promise<DatasetDetail> =>
      this.#call(getDataset, { params: { dataset: name } }),
    /** @throws AnnoflowApiError `DATASET_NOT_FOUND` */
    delete: async (name: string): Promise<void> => {
      await this.#call(deleteDataset, { params: { dataset: name } });
    },
  };

  readonly samples = {
    /**
     * One page of samples. `tags` and `hasField` filter within the page, so a page may hold
     * fewer than `limit` items while a `cursor` still follows.
     */
    list: (dataset: string, query: ListSamplesQuery = {}): Promise<SamplePage> =>
      this.#call(listSamples, { params: { dataset }, query }),
    /** Every (matching) sample of the dataset, page after page. */
    iterate: (
      dataset: string,
      query: Omit<ListSamplesQuery, 'cursor'> = {},
    ): AsyncGenerator<StoredSample> =>
      paginate((cursor) => this.samples.list(dataset, { ...query, ...(cursor ? { cursor } : {}) })),
    /** @throws AnnoflowApiError `SAMPLE_NOT_FOUND`, `DATASET_NOT_FOUND` */
    get: (dataset: string, id: string): Promise<StoredSample> =>
      this.#call(getSample, { params: { dataset, id } }),
    /** A FiftyOne export or COCO file; re-importing the same file rewrites the same samples. */
    import: (dataset: string, request: ImportSamplesRequest): Promise<ImportSamplesResult> =>
      this.#call(importSamples, { params: { dataset }, body: request }),
    /**
     * A document of any size, as requests the API accepts ({@link importBatches}), one after
     * another; `onBatch` before the first and after each. A refused batch stops the import: the batches before it
     * stay imported, and importing the file again rewrites them in place.
     */
    importAll: async (
      dataset: string,
      request: ImportSamplesRequest,
      options: BatchLimits & {
        onBatch?: (progress: { done: number; total: number }) => void;
      } = {},
    ): Promise<ImportSamplesResult> => {
      const batches = importBatches(request, options);
      const total = batches.reduce((sum, batch) => sum + batch.size, 0);
      let result: ImportSamplesResult = { imported: 0, fields: {} };
      let done = 0;
      options.onBatch?.({ done, total });
      for (const batch of batches) {
        const answer = await this.samples.import(dataset, batch.request);
        result = { imported: result.imported + answer.imported, fields: answer.fields };
        done += batch.size;
        options.onBatch?.({ done, total });
      }
      return result;
    },
  };

  /** Annotation runs of a dataset (FiftyOne's run management, SEMANTICS §7). */
  readonly runs = {
    /**
     * The runs sorted by key, optionally only those with `backend` and/or `status`.
     * @throws AnnoflowApiError `DATASET_NOT_FOUND`, `INVALID_INPUT`
     */
    list: (dataset: string, query: ListRunsQuery = {}): Promise<RunList> =>
      this.#call(listAnnotationRuns, { params: { dataset }, query }),
    /**
     * The run record: config (label schema, redacted params), status, counters, timestamps.
     * @throws AnnoflowApiError `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`, `INVALID_ANNO_KEY`
     */
    get: (dataset: string, annoKey: string): Promise<AnnotationRun> =>
      this.#call(getAnnotationRun, { params: { dataset, annoKey } }),
    /**
     * Returns the renamed run; renaming again after success returns it again.
     * @throws AnnoflowApiError `RUN_KEY_EXISTS`, `RUN_NOT_FOUND`, `INVALID_ANNO_KEY`,
     *   `DATASET_NOT_FOUND`, `VERSION_CONFLICT`
     */
    rename: (dataset: string, annoKey: string, newKey: string): Promise<AnnotationRun> =>
      this.#call(renameAnnotationRun, { params: { dataset, annoKey }, body: { newKey } }),
    /**
     * Deletes the run record and its task records; merged labels and the tool's tasks stay.
     * @throws AnnoflowApiError `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`, `INVALID_ANNO_KEY`
     */
    delete: async (dataset: string, annoKey: string): Promise<void> => {
      await this.#call(deleteAnnotationRun, { params: { dataset, annoKey } });
    },
    /**
     * Starts AnnotateWorkflow (FiftyOne's `annotate`). The answer comes as soon as the
     * execution has started: follow it with {@link AnnoflowClient.executions}, or the run's
     * status with `runs.get`. With `waitForCompletion` the execution keeps RUNNING until every
     * task is finished (annotators' time), so wait for the run to leave `registered` and
     * `uploading` to know its tasks are open.
     * @throws AnnoflowApiError `RUN_KEY_EXISTS`, `INVALID_ANNO_KEY`, `INVALID_INPUT`,
     *   `DATASET_NOT_FOUND`
     */
    annotate: async (dataset: string, request: AnnotateRunRequest): Promise<StartedWorkflow> =>
      this.#call((await workflowRoutes()).startAnnotation, { params: { dataset }, body: request }),
    /**
     * Starts LoadWorkflow (FiftyOne's `load_annotations`): every finished task is merged and
     * the load's report written; `cleanup` deletes the tool's tasks after.
     * @throws AnnoflowApiError `INVALID_RUN_TRANSITION` (the run is not annotating or loaded),
     *   `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`
     */
    load: async (
      dataset: string,
      annoKey: string,
      options: LoadRunOptions = {},
    ): Promise<StartedWorkflow> =>
      this.#call((await workflowRoutes()).startLoad, {
        params: { dataset, annoKey },
        body: options,
      }),
    /**
     * Starts CleanupWorkflow (FiftyOne's `results.cleanup()`): the tool's tasks are deleted;
     * merged labels and the run record stay.
     * @throws AnnoflowApiError `INVALID_RUN_TRANSITION`, `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`
     */
    cleanup: async (dataset: string, annoKey: string): Promise<StartedWorkflow> =>
      this.#call((await workflowRoutes()).startCleanup, { params: { dataset, annoKey } }),
    /**
     * Each task as annoflow records it and as the tool reports it now (`backend`: null once
     * the task is deleted or the run cleaned).
     * @throws AnnoflowApiError `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`
     */
    status: async (dataset: string, annoKey: string): Promise<RunTaskStatus> =>
      this.#call((await workflowRoutes()).getRunStatus, { params: { dataset, annoKey } }),
    /**
     * The last load's report: totals, per-field counts, each task's merge.
     * @throws AnnoflowApiError `REPORT_NOT_FOUND` (never loaded), `RUN_NOT_FOUND`
     */
    report: async (dataset: string, annoKey: string): Promise<LoadReport> =>
      this.#call((await workflowRoutes()).getLoadReport, { params: { dataset, annoKey } }),
    /**
     * The labels of unexpected types the last load returned (`unexpected: 'return'`) and
     * each task's refusals.
     * @throws AnnoflowApiError `REPORT_NOT_FOUND` (never loaded), `RUN_NOT_FOUND`
     */
    unexpected: async (dataset: string, annoKey: string): Promise<UnexpectedLabels> =>
      this.#call((await workflowRoutes()).getUnexpectedLabels, { params: { dataset, annoKey } }),
    /**
     * One page of the run's workflow executions, newest first: the starts made through the
     * API and the loads finished tasks started, each with its current status.
     * @throws AnnoflowApiError `RUN_NOT_FOUND`, `DATASET_NOT_FOUND`
     */
    executions: async (
      dataset: string,
      annoKey: string,
      query: ListRunExecutionsQuery = {},
    ): Promise<RunExecutionPage> =>
      this.#call((await executionRoutes()).listRunExecutions, {
        params: { dataset, annoKey },
        query,
      }),
  };

  /** Workflow executions started through the API (the `executionArn` of a start). */
  readonly executions = {
    /** Its status (`RUNNING`, `SUCCEEDED`, `FAILED`, `ABORTED`, `TIMED_OUT`), output or error. */
    get: async (executionArn: string): Promise<Execution> =>
      this.#call((await workflowRoutes()).getExecution, { query: { arn: executionArn } }),
    /**
     * Looks at the execution every `intervalMs` until it is no longer RUNNING and returns
     * that last look, whatever its status: a FAILED execution is an answer, not an error.
     * @throws AnnoflowApiError `WAIT_TIMEOUT` after `timeoutMs`; any error of `get`.
     */
    wait: async (executionArn: string, options: WaitOptions = {}): Promise<Execution> => {
      const {
        intervalMs = 1000,
        timeoutMs = Number.POSITIVE_INFINITY,
        onProgress,
        signal,
      } = options;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        signal?.throwIfAborted();
        const execution = await this.executions.get(executionArn);
        onProgress?.(execution);
        if (execution.status !== 'RUNNING') return execution;
        if (Date.now() + intervalMs > deadline) {
          throw new AnnoflowApiError(
            'WAIT_TIMEOUT',
            `${executionArn} is still RUNNING after ${timeoutMs} ms`,
            { status: 0, details: { executionArn, timeoutMs } },
          );
        }
        await sleep(intervalMs, signal);
      }
    },
  };

  async #call<R extends AnyApiRoute>(
    route: R,
    input: { params?: Record<string, string>; query?: object; body?: unknown },
  ): Promise<ResponseOf<R>> {
    const path = route.path
      .replace(/^\//, '')
      .replace(/\{(\w+)\}/g, (_match, name: string) => STRICT_ENCODE(input.params?.[name] ?? ''));
    const url = new URL(
      `${path}${queryString((input.query ?? {}) as Record<string, unknown>)}`,
      this.endpoint,
    );
    const body = input.body === undefined ? undefined : JSON.stringify(input.body);
    const unsigned: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const request = { method: route.method, url, headers: unsigned, body };

    let headers = unsigned;
    if (this.#signer) {
      try {
        headers = await this.#signer(request);
      } catch (error) {
        throw new AnnoflowApiError(
          'SIGNING_FAILED',
          `Cannot sign ${route.method} ${url.href}: ${(error as Error).message}`,
          { status: 0, cause: error },
        );
      }
    }
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: route.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new AnnoflowApiError(
        'NETWORK_ERROR',
        `${route.method} ${url.href} failed: ${describeNetworkError(error)}`,
        { status: 0, cause: error },
      );
    }

    const json = parseJson(text);
    if (!response.ok) {
      const parsed = ERROR_BODY.safeParse(json);
      if (parsed.success) {
        const { code, message, details } = parsed.data.error;
        throw new AnnoflowApiError(code, message, { status: response.status, details });
      }
      const message =
        typeof (json as { message?: unknown } | undefined)?.message === 'string'
          ? (json as { message: string }).message
          : text.slice(0, 200) || response.statusText;
      throw new AnnoflowApiError(codeForStatus(response.status), message, {
        status: response.status,
      });
    }
    const parsed = route.response.safeParse(route.status === 204 ? null : json);
    if (!parsed.success) {
      throw new AnnoflowApiError(
        'INVALID_RESPONSE',
        `${route.operationId}: the response is not the documented shape (${parsed.error.issues[0]?.message ?? 'unknown'})`,
        { status: response.status, details: { issues: parsed.error.issues } },
      );
    }
    return parsed.data as ResponseOf<R>;
  }
}

/**
 * The workflow routes, loaded on first use: they bring the workflow steps' schemas, which
 * commands that never start a run should not pay for at start-up.
 */
let workflowRoutesModule: Promise<typeof import('../api/routes/workflows.js')> | undefined;
const workflowRoutes = () => {
  workflowRoutesModule ??= import('../api/routes/workflows.js');
  return workflowRoutesModule;
};
let executionRoutesModule: Promise<typeof import('../api/routes/executions.js')> | undefined;
const executionRoutes = () => {
  executionRoutesModule ??= import('../api/routes/executions.js');
  return executionRoutesModule;
};

async function* paginate<T>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string | undefined }>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const current = await page(cursor);
    yield* current.items;
    cursor = current.cursor;
  } while (cursor);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}
