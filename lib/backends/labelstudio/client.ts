import type { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { requestFailureCode } from '../unavailable.js';
import { tokenRefreshSchema } from './api-schemas.js';

export interface LabelStudioClientOptions {
  /** The server's base URL, e.g. `http://localhost:8080`. */
  readonly url: string;
  /** A legacy token or a personal access token (JWT refresh token). */
  readonly apiKey: string;
  /** Per request; Label Studio answers API calls quickly, a stuck one should fail the step. */
  readonly timeoutMs?: number;
}

export interface RequestOptions<S extends z.ZodType> {
  readonly query?: Readonly<Record<string, string | number | boolean>>;
  readonly body?: unknown;
  /** The response body's schema; without one the body is not read. */
  readonly schema?: S;
  /** A 404 answers `undefined` instead of failing: a missing task, the end of a listing. */
  readonly allow404?: boolean;
}

/** A personal access token is a JWT (three base64url parts); a legacy token is hex. */
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Label Studio's REST API over `fetch` (reference §2.1). Legacy tokens go out as
 * `Authorization: Token <key>`; a personal access token is exchanged for a short-lived
 * access token (`POST /api/token/refresh/`), sent as `Bearer`, and exchanged again when the
 * server says it expired. Error messages name the call and the status, never a credential.
 */
export class LabelStudioClient {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  #access: string | undefined;

  constructor(options: LabelStudioClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  get usesPersonalAccessToken(): boolean {
    return JWT.test(this.#apiKey);
  }

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: RequestOptions<S> & { allow404: true },
  ): Promise<z.output<S> | undefined>;
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    options?: RequestOptions<S>,
  ): Promise<z.output<S>>;
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    options: RequestOptions<S> = {},
  ): Promise<z.output<S> | undefined> {
    let response = await this.#send(method, path, options, await this.#authorization(false));
    if (response.status === 401 && this.usesPersonalAccessToken) {
      // The access token expired: one fresh exchange, one retry.
      response = await this.#send(method, path, options, await this.#authorization(true));
    }
    if (response.status === 404 && options.allow404) return undefined;
    if (!response.ok) throw await failure(method, path, response);
    if (options.schema === undefined) return undefined;
    return parseBody(method, path, response, options.schema);
  }

  async #authorization(refresh: boolean): Promise<string> {
    if (!this.usesPersonalAccessToken) return `Token ${this.#apiKey}`;
    if (this.#access === undefined || refresh) {
      const path = '/api/token/refresh/';
      const response = await this.#send('POST', path, { body: { refresh: this.#apiKey } });
      if (!response.ok) throw await failure('POST', path, response);
      this.#access = (await parseBody('POST', path, response, tokenRefreshSchema)).access;
    }
    return `Bearer ${this.#access}`;
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions<z.ZodType>,
    authorization?: string,
  ): Promise<Response> {
    const url = new URL(`${this.#base}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `Label Studio did not answer ${method} ${path}: ${reason}`,
        { method, path },
        { cause: error },
      );
    }
  }
}

async function failure(method: string, path: string, response: Response): Promise<BackendError> {
  const text = await response.text().catch(() => '');
  const detail = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return new BackendError(
    requestFailureCode(response.status),
    `Label Studio answered ${response.status} to ${method} ${path}${detail ? `: ${detail}` : ''}`,
    { method, path, status: response.status },
  );
}

async function parseBody<S extends z.ZodType>(
  method: string,
  path: string,
  response: Response,
  schema: S,
): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `Label Studio's answer to ${method} ${path} is not JSON`,
      { method, path, status: response.status },
      { cause: error },
    );
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : '';
  throw new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `Label Studio's answer to ${method} ${path} is not what its API promises${where}: ${issue?.message ?? 'invalid'}`,
    { method, path, status: response.status, issues: parsed.error.issues.slice(0, 10) },
    { cause: parsed.error },
  );
}
