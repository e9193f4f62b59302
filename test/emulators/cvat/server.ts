import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ContractViolation, OpenApiContract } from '../openapi-contract.js';
import { cvatRoutes, type Route, type RouteResult } from './routes.js';
import type { CvatState } from './state.js';
import type { WebhookSender } from './webhooks.js';

const SPEC_PATH =
  process.env.CVAT_OPENAPI_SPEC ??
  fileURLToPath(new URL('../contracts/cvat-openapi.yml', import.meta.url));

let contract: Promise<OpenApiContract> | undefined;

/**
 * The published CVAT schema, compiled once per process (it takes seconds). Some of its paths
 * end with `/` (`/api/tasks/{id}/annotations/`), which openapi-backend never matches since it
 * strips the request's trailing slash; CVAT serves both forms, so the paths are loaded
 * without it; and its `application/vnd.cvat+json` bodies are declared as JSON, so responses
 * are checked too. Nothing else of the document changes.
 */
export function cvatContract(): Promise<OpenApiContract> {
  contract ??= (async () => {
    const source = readFileSync(SPEC_PATH, 'utf8');
    const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
    // One normalized copy per schema version, shared by test processes; written atomically.
    // `v2`: the normalization below changed (media types); an older copy must not be reused.
    const normalized = join(tmpdir(), `cvat-openapi-v2-${digest}.json`);
    if (!existsSync(normalized)) {
      const document = parse(source) as { paths: Record<string, unknown> };
      document.paths = Object.fromEntries(
        Object.entries(document.paths).map(([path, item]) => [path.replace(/(.)\/$/, '$1'), item]),
      );
      const partial = `${normalized}.${process.pid}`;
      // CVAT declares every body as `application/vnd.cvat+json`; the validator builds response
      // checks from `application/json` only, so without this no response would be checked.
      writeFileSync(
        partial,
        JSON.stringify(document).replaceAll('application/vnd.cvat+json', 'application/json'),
      );
      renameSync(partial, normalized);
    }
    return OpenApiContract.load(normalized);
  })();
  return contract;
}

/** A request as the emulator received it, for tests that count calls. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  /** How the caller authenticated. */
  auth: 'token' | 'session' | 'none';
  organization: string | undefined;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MEDIA_TYPE = 'application/vnd.cvat+json';

/**
 * CVAT's HTTP surface: `/api` routes with or without the trailing slash, token and session
 * auth (CSRF on unsafe session requests), `X-Organization`, and every request and response
 * checked against the published schema; a mismatch is recorded and answered with 500.
 */
export class CvatHttpServer {
  readonly requests: LoggedRequest[] = [];
  readonly violations: ContractViolation[] = [];
  readonly tokens = new Map<string, number>();
  /** Operations that answer 500 instead of running, with how many times left. */
  readonly faults = new Map<string, number>();
  readonly #sessions = new Map<string, { userId: number; csrf: string }>();
  readonly #routes: Route[];
  #server: Server | undefined;
  #url = '';

  constructor(
    private readonly state: CvatState,
    webhooks: WebhookSender,
    private readonly api: OpenApiContract,
    version: string,
  ) {
    this.#routes = cvatRoutes(state, webhooks, version);
  }

  get url(): string {
    return this.#url;
  }

  async listen(): Promise<void> {
    const server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': MEDIA_TYPE });
        response.end(JSON.stringify({ detail: String(error) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', this.#url);
    const raw = await readBody(request);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return this.send(response, undefined, {
          status: 400,
          body: { detail: 'JSON parse error' },
        });
      }
    }
    const cookies = parseCookies(request.headers.cookie);
    const tokenHeader = /^Token (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const session = cookies.sessionid ? this.#sessions.get(cookies.sessionid) : undefined;
    const orgSlug = header(request, 'x-organization') ?? url.searchParams.get('org') ?? undefined;
    this.requests.push({
      method,
      path: url.pathname,
      query: url.search,
      auth: tokenHeader ? 'token' : session ? 'session' : 'none',
      organization: orgSlug,
    });

    let operationId: string;
    try {
      operationId = this.operation(method, url, request, raw.length > 0 ? body : undefined);
    } catch (error) {
      return this.violated(response, error);
    }

    const fault = this.faults.get(operationId) ?? 0;
    if (fault > 0) {
      this.faults.set(operationId, fault - 1);
      return this.send(response, undefined, { status: 500, body: { detail: 'injected fault' } });
    }
    if (operationId === 'auth_create_login') return this.login(response, operationId, body);
    const userId = tokenHeader !== undefined ? this.tokens.get(tokenHeader) : session?.userId;
    if (userId === undefined && operationId !== 'server_retrieve_about') {
      return this.send(response, undefined, {
        status: 401,
        body: { detail: 'Authentication credentials were not provided.' },
      });
    }
    // Django's CSRF check applies to session authentication only, not to token auth.
    if (!tokenHeader && session && UNSAFE.has(method)) {
      if (header(request, 'x-csrftoken') !== session.csrf) {
        return this.send(response, undefined, {
          status: 403,
          body: { detail: 'CSRF Failed: CSRF token missing or incorrect.' },
        });
      }
    }
    let organization: number | null = null;
    if (orgSlug !== undefined) {
      const found = this.state.organizations.get(orgSlug);
      if (found === undefined) {
        return this.send(response, undefined, {
          status: 404,
          body: { detail: `Organization '${orgSlug}' not found` },
        });
      }
      organization = found;
    }

    const path = url.pathname.replace(/\/+$/, '');
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;
      const params = Object.fromEntries(
        route.names.map((name, index) => [name, Number(match[index + 1])]),
      );
      const result = await route.handler({
        userId: userId ?? 0,
        organization,
        params,
        query: url.searchParams,
        body,
        selfUrl: `${this.#url}${url.pathname}`,
      });
      return this.send(response, operationId, result);
    }
    return this.send(response, undefined, { status: 404, body: { detail: 'Not found.' } });
  }

  /** The schema's operation, trying the other trailing-slash form (CVAT routes accept both). */
  private operation(method: string, url: URL, request: IncomingMessage, body: unknown): string {
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const path = url.pathname;
    const other = path.endsWith('/') ? path.replace(/\/+$/, '') : `${path}/`;
    const candidate = { method, query, headers: request.headers, body };
    let first: unknown;
    for (const each of [path, other]) {
      try {
        return this.api.checkRequest({ ...candidate, path: each });
      } catch (error) {
        first ??= error;
        const unmatched =
          error instanceof ContractViolation &&
          error.problems.some((problem) => problem.startsWith('no operation'));
        if (!unmatched) throw error;
      }
    }
    throw first;
  }

  private login(response: ServerResponse, operationId: string, body: Record<string, unknown>) {
    const user = [...this.state.users.values()].find(
      (each) =>
        (each.username === body.username || (body.email && each.email === body.email)) &&
        each.password === body.password,
    );
    if (!user) {
      return this.send(response, undefined, {
        status: 400,
        body: { non_field_errors: ['Unable to log in with provided credentials.'] },
      });
    }
    const sessionId = randomBytes(16).toString('hex');
    const csrf = randomBytes(16).toString('hex');
    this.#sessions.set(sessionId, { userId: user.id, csrf });
    const key = [...this.tokens.entries()].find(([, id]) => id === user.id)?.[0] ?? '';
    response.setHeader('set-cookie', [
      `sessionid=${sessionId}; HttpOnly; Path=/; SameSite=Lax`,
      `csrftoken=${csrf}; Path=/; SameSite=Lax`,
    ]);
    return this.send(response, operationId, { status: 200, body: { key } });
  }

  private send(response: ServerResponse, operationId: string | undefined, result: RouteResult) {
    // Error answers are the emulator's own; the schema declares success bodies only.
    if (operationId !== undefined && result.status < 300 && result.body !== undefined) {
      try {
        this.api.checkResponse(operationId, result.status, result.body);
      } catch (error) {
        return this.violated(response, error);
      }
    }
    if (result.body === undefined) {
      response.writeHead(result.status);
      response.end();
      return;
    }
    response.writeHead(result.status, { 'content-type': MEDIA_TYPE });
    response.end(JSON.stringify(result.body));
  }

  private violated(response: ServerResponse, error: unknown) {
    if (!(error instanceof ContractViolation)) throw error;
    this.violations.push(error);
    response.writeHead(500, { 'content-type': MEDIA_TYPE });
    response.end(JSON.stringify({ detail: error.message }));
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseCookies(cookie: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name) out[name] = rest.join('=');
  }
  return out;
}
