import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { requestFailureCode } from '../unavailable.js';
import { pageSchema, tokenSchema } from './api.js';
import type { CvatParams } from './params.js';

type Query = Record<string, string | number | undefined>;

interface RequestOptions<S extends z.ZodType> {
  query?: Query;
  body?: unknown;
  schema?: S;
  /** Statuses that are answers, not failures (e.g. 404 on a delete). */
  accept?: readonly number[];
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Session = { cookie: string; csrf: string };

/**
 * Sessions by server and credentials, for the process: every workflow step makes a new
 * backend, and a warm Lambda should not log in for each. Keyed by a hash, so no password
 * sits in a key.
 */
const SESSIONS = new Map<string, Promise<Session>>();
const PAGE_SIZE = 100;

/**
 * CVAT's REST API v2 over `fetch` (reference §1.1–1.2): token auth, or a password login
 * whose session cookie needs the CSRF token on unsafe requests; `X-Organization`; paging
 * through absolute `next` links. Errors are `BackendError`s naming the call, never the
 * credentials. One client per backend instance, so a warm Lambda logs in once.
 */
export class CvatClient {
  readonly #params: CvatParams;

  constructor(params: CvatParams) {
    this.#params = params;
  }

  async request<S extends z.ZodType = z.ZodUnknown>(
    method: string,
    path: string,
    options: RequestOptions<S> = {},
  ): Promise<{ status: number; data: z.output<S> | undefined }> {
    const url = path.startsWith('http') ? new URL(path) : new URL(`${this.#params.url}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const what = `CVAT ${method} ${url.pathname}`;
    let response: Response;
    try {
      response = await this.send(method, url, options.body);
      if (response.status === 401 && !this.#params.token) {
        // The session expired: log in again, once.
        SESSIONS.delete(this.sessionKey());
        await response.arrayBuffer();
        response = await this.send(method, url, options.body);
      }
    } catch (error) {
      if (error instanceof BackendError) throw error;
      throw new BackendError(
        'BACKEND_UNAVAILABLE',
        `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
        { method, path: url.pathname },
        { cause: error },
      );
    }
    const text = await response.text();
    if (!response.ok && !(options.accept ?? []).includes(response.status)) {
      throw new BackendError(
        requestFailureCode(response.status),
        `${what} answered ${response.status}: ${text.slice(0, 300)}`,
        { method, path: url.pathname, status: response.status },
      );
    }
    if (!response.ok || options.schema === undefined)
      return { status: response.status, data: undefined };
    return { status: response.status, data: parseBody(options.schema, text, what) };
  }

  private async send(method: string, url: URL, body: unknown): Promise<Response> {
    const headers = await this.headers(method);
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  /** Every item of a DRF-paged list, following `next` links (only to the same server). */
  async list<S extends z.ZodType>(
    path: string,
    item: S,
    query: Query = {},
  ): Promise<z.output<S>[]> {
    const schema = pageSchema(item);
    const origin = new URL(this.#params.url).origin;
    const items: z.output<S>[] = [];
    let next: string | undefined = path;
    let first = true;
    while (next !== undefined) {
      const answer: { data: { next?: string | null; results: unknown[] } | undefined } =
        await this.request('GET', next, {
          schema,
          ...(first ? { query: { page_size: PAGE_SIZE, ...query } } : {}),
        });
      first = false;
      const data = answer.data;
      if (!data) break;
      items.push(...(data.results as z.output<S>[]));
      const link = data.next;
      if (link && new URL(link).origin !== origin) {
        throw new BackendError(
          'BACKEND_RESPONSE_INVALID',
          `CVAT GET ${path} gave a next page on another server (${new URL(link).origin}); not followed`,
          { path },
        );
      }
      next = link ?? undefined;
    }
    return items;
  }

  private async headers(method: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.cvat+json, application/json',
    };
    Object.assign(headers, this.#params.headers ?? {});
    if (this.#params.organization) headers['X-Organization'] = this.#params.organization;
    if (this.#params.token) {
      headers.authorization = `Token ${this.#params.token}`;
      return headers;
    }
    const session = await this.login();
    headers.cookie = session.cookie;
    if (UNSAFE.has(method)) {
      // Django checks the CSRF token on unsafe session requests, and the Referer over HTTPS.
      headers['X-CSRFToken'] = session.csrf;
      headers.referer = `${this.#params.url}/api/auth/login`;
    }
    return headers;
  }

  private sessionKey(): string {
    const { url, username, email, password } = this.#params;
    return createHash('sha256')
      .update(JSON.stringify([url, username, email, password, this.#params.headers]))
      .digest('hex');
  }

  private login(): Promise<Session> {
    const key = this.sessionKey();
    const cached = SESSIONS.get(key);
    if (cached) return cached;
    const session = (async () => {
      const { username, email, password, url } = this.#params;
      if ((!username && !email) || password === undefined) {
        throw new BackendError(
          'BACKEND_REQUEST_FAILED',
          'CVAT needs credentials: set `token`, or `username` and `password` (FIFTYONE_CVAT_USERNAME, FIFTYONE_CVAT_PASSWORD)',
          { url },
        );
      }
      const response = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.#params.headers ?? {}) },
        body: JSON.stringify({
          ...(username ? { username } : {}),
          ...(email ? { email } : {}),
          password,
        }),
      }).catch((error: unknown) => {
        throw new BackendError(
          'BACKEND_UNAVAILABLE',
          `CVAT login at ${url} failed: ${String(error)}`,
          {
            url,
          },
        );
      });
      const text = await response.text();
      if (!response.ok) {
        // The body may echo what was sent; only the status is reported.
        throw new BackendError(
          requestFailureCode(response.status),
          `CVAT login as '${username ?? email}' was refused (${response.status})`,
          { url, status: response.status },
        );
      }
      parseBody(tokenSchema, text, 'CVAT POST /api/auth/login');
      const cookies = new Map<string, string>();
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, ...value] = (pair ?? '').split('=');
        if (name) cookies.set(name.trim(), value.join('='));
      }
      const csrf = cookies.get('csrftoken') ?? '';
      const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      return { cookie, csrf };
    })();
    SESSIONS.set(key, session);
    // A failed login is not cached: the next call tries again.
    session.catch(() => SESSIONS.delete(key));
    return session;
  }
}

function parseBody<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `${what} answered with a body that is not JSON`,
      {
        call: what,
      },
    );
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : '';
  throw new BackendError(
    'BACKEND_RESPONSE_INVALID',
    `${what} answered with an unexpected body${where}: ${issue?.message ?? 'invalid'}`,
    {
      call: what,
      issues: parsed.error.issues
        .slice(0, 5)
        .map((each) => ({ path: each.path.join('.'), message: each.message })),
    },
  );
}
