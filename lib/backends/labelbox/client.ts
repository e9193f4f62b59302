import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { requestFailureCode } from '../unavailable.js';

const graphqlResponseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z
    .array(
      z.looseObject({
        message: z.string(),
        extensions: z.looseObject({ code: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});

/**
 * The `uploadFile` document of the SDK's `Client.upload_data`, byte for byte but for
 * whitespace: a file goes up as the `$file` of a multipart request.
 */
const UPLOAD_FILE =
  'mutation UploadFile($file: Upload!, $contentLength: Int!, $sign: Boolean) { uploadFile(file: $file, contentLength: $contentLength, sign: $sign) {url filename} }';

/** Labelbox's code for an id that names nothing (deleted, or never there). */
export const NOT_FOUND = 'RESOURCE_NOT_FOUND';

export interface LabelboxClientOptions {
  /** From `labelboxEndpoints`: where GraphQL, experimental GraphQL and REST requests go. */
  readonly endpoints: {
    readonly graphql: string;
    readonly experimental: string;
    readonly rest: string;
  };
  readonly apiKey: string;
  /** A request's time limit; Labelbox answers GraphQL in seconds. */
  readonly timeoutMs?: number;
}

/** Options of one GraphQL request. */
export interface RequestOptions {
  /** Sent to the experimental endpoint, as the SDK sends this operation (`experimental=True`). */
  readonly experimental?: boolean;
}

/**
 * Labelbox's API over `fetch`: GraphQL (one document, one operation, the answer parsed with
 * the caller's schema) and the few REST calls the SDK makes. Failures are `BackendError`s
 * naming the operation, never the key.
 */
export class LabelboxClient {
  readonly #endpoints: LabelboxClientOptions['endpoints'];
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: LabelboxClientOptions) {
    this.#endpoints = options.endpoints;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * Runs `document` and returns the answer at `path` (its root field, or the root field and
   * the field under it, for what Labelbox nests, e.g. `['project', 'connectOntology']`),
   * parsed with `schema`.
   * @throws BackendError `BACKEND_REQUEST_FAILED` (HTTP or GraphQL error; `details.code` is
   *   Labelbox's error code), `BACKEND_RESPONSE_INVALID` (an answer of the wrong shape).
   */
  async request<S extends z.ZodType>(
    path: string | readonly string[],
    document: string,
    variables: Record<string, unknown>,
    schema: S,
    options: RequestOptions = {},
  ): Promise<z.output<S>> {
    const keys = typeof path === 'string' ? [path] : path;
    const endpoint = options.experimental ? this.#endpoints.experimental : this.#endpoints.graphql;
    const response = await this.#fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: document, variables }),
    });
    return this.#answer(response, keys, schema);
  }

  /**
   * Uploads a file to Labelbox and returns the URL Labelbox gives it, as the SDK's
   * `Client.upload_data` sends it: a GraphQL multipart request (form fields `operations`,
   * `map`, then the file as part `1` with its name and content type) running `uploadFile`
   * with the content's length and `sign: false`, to the GraphQL endpoint, with the API key.
   * The multipart body sets its own content type, so none is given here.
   * @throws BackendError as {@link request}.
   */
  async uploadFile(content: string, filename: string, contentType: string): Promise<string> {
    const bytes = new TextEncoder().encode(content);
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        variables: { file: null, contentLength: bytes.length, sign: false },
        query: UPLOAD_FILE,
      }),
    );
    form.append('map', JSON.stringify({ '1': ['variables.file'] }));
    form.append('1', new Blob([bytes], { type: contentType }), filename);
    const response = await this.#fetch(this.#endpoints.graphql, {
      method: 'POST',
      headers: { accept: 'application/json' },
      body: form,
    });
    const upload = await this.#answer(
      response,
      ['uploadFile'],
      z.looseObject({ url: z.url(), filename: z.string().nullish() }),
    );
    return upload.url;
  }

  /**
   * A GraphQL answer: its HTTP status, its `errors`, then the value at `keys` parsed with
   * `schema`; failures are `BackendError`s naming the operation.
   */
  async #answer<S extends z.ZodType>(
    response: Response,
    keys: readonly string[],
    schema: S,
  ): Promise<z.output<S>> {
    const field = keys.join('.');
    const text = await response.text();
    if (!response.ok) {
      throw new BackendError(
        requestFailureCode(response.status),
        `Labelbox answered ${field} with HTTP ${response.status}`,
        { operation: field, status: response.status },
      );
    }
    const parsed = graphqlResponseSchema.safeParse(safeJson(text));
    if (!parsed.success) throw invalid(field, parsed.error);
    const error = parsed.data.errors?.[0];
    if (error) {
      const code = error.extensions?.code ?? 'UNKNOWN';
      throw new BackendError(
        'BACKEND_REQUEST_FAILED',
        `Labelbox refused ${field}: ${error.message} (${code})`,
        { operation: field, code },
      );
    }
    let value: unknown = parsed.data.data;
    for (const key of keys) value = isRecord(value) ? value[key] : undefined;
    const checked = schema.safeParse(value);
    if (!checked.success) throw invalid(field, checked.error);
    return checked.data;
  }

  /**
   * `DELETE <REST base><path>`, as the SDK deletes what GraphQL cannot (an unused ontology):
   * 204 is done, anything else is Labelbox saying no; 404 carries {@link NOT_FOUND} so a
   * cleanup can take it as already gone.
   */
  async deleteRest(path: string, what: string): Promise<void> {
    const response = await this.#fetch(`${this.#endpoints.rest}${path}`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    if (response.status === 204) return;
    const reason = restMessage(await response.text());
    const status = response.status;
    throw new BackendError(
      response.ok ? 'BACKEND_RESPONSE_INVALID' : requestFailureCode(status),
      `Labelbox answered the deletion of ${what} with HTTP ${status}${reason ? `: ${reason}` : ''}`,
      { operation: what, status, ...(status === 404 ? { code: NOT_FOUND } : {}) },
    );
  }

  /** A file Labelbox serves to API users with their key (masks), read whole. */
  async download(url: string, what: string): Promise<Uint8Array> {
    return this.#download(url, what, true);
  }

  /**
   * A file behind a signed link (an export's result or one of its files), read whole and
   * without the API key, as the SDK reads it: the link is its own credential, and the key
   * has no business travelling to a storage bucket.
   */
  async downloadSigned(url: string, what: string): Promise<Uint8Array> {
    return this.#download(url, what, false);
  }

  async #download(url: string, what: string, withKey: boolean): Promise<Uint8Array> {
    const response = await this.#fetch(url, { method: 'GET' }, withKey);
    if (!response.ok) {
      throw new BackendError(
        requestFailureCode(response.status),
        `Labelbox answered the download of ${what} with HTTP ${response.status}`,
        { operation: what, status: response.status },
      );
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async #fetch(url: string, init: RequestInit, withKey = true): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          ...(withKey ? { authorization: `Bearer ${this.#apiKey}` } : {}),
        },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `Labelbox cannot be reached at ${new URL(url).origin}: ${reason}`,
        { url: new URL(url).origin },
        { cause: error },
      );
    }
  }
}

/** Whether `error` is Labelbox saying the thing is gone: cleanup treats that as done. */
export function isNotFound(error: unknown): boolean {
  return error instanceof BackendError && error.details.code === NOT_FOUND;
}

function invalid(field: string, error: z.ZodError): BackendError {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? ` at '${first.path.join('.')}'` : '';
  return new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Labelbox's answer to ${field} is not what annoflow expects${where}: ${first?.message ?? 'unknown problem'}`,
    { operation: field, issues: error.issues.slice(0, 10) },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `message` of a REST error body (the SDK reports `response.json()['message']`). */
function restMessage(text: string): string {
  const parsed = z.looseObject({ message: z.string() }).safeParse(safeJson(text));
  return parsed.success ? parsed.data.message.slice(0, 200) : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
