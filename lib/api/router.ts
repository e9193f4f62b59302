import { toHttpError } from '../errors/http.js';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { refuseProtoNames } from '../schema/proto-names.js';
import { type HttpEvent, type HttpResponse, httpEventSchema, jsonResponse } from './http-event.js';
import { type AnyRoute, routeKey } from './route.js';

/**
 * Serves one HTTP API event: finds the route by its route key, validates path, query and
 * body with the route's schemas, calls it, and maps every failure through the one
 * error-to-HTTP table. Unknown failures become a bare 500 (their messages may hold internals).
 */
export async function serveHttp<Deps>(
  routes: ReadonlyArray<AnyRoute<Deps>>,
  deps: Deps,
  rawEvent: unknown,
  log: (entry: Record<string, unknown>) => void = () => {},
): Promise<HttpResponse> {
  try {
    const event = parseInput(httpEventSchema, rawEvent, 'HTTP event');
    const route = routes.find((candidate) => routeKey(candidate) === event.routeKey);
    if (!route) {
      return jsonResponse(404, {
        error: { code: 'ROUTE_NOT_FOUND', message: `No route for ${event.routeKey}`, details: {} },
      });
    }
    const params = parseInput(route.params, event.pathParameters ?? {}, 'path parameters');
    const query = parseInput(route.query, event.queryStringParameters ?? {}, 'query string');
    const body =
      route.body === null ? undefined : parseInput(route.body, readJsonBody(event), 'request body');
    const result = await route.handle(deps, { params, query, body });
    return jsonResponse(route.status ?? 200, route.status === 204 ? null : result);
  } catch (error) {
    const { statusCode, body } = toHttpError(error);
    if (statusCode >= 500) log({ level: 'error', message: 'request failed', error: String(error) });
    return jsonResponse(statusCode, body);
  }
}

function readJsonBody(event: { body?: string | undefined; isBase64Encoded?: boolean }): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
  // JSON.parse copes with any depth, but code after it walks bodies recursively: a few KB of
  // brackets would overflow its stack. No request of this API nests anywhere near this deep.
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    throw new InvalidInputError(
      `Invalid request body: nested deeper than ${MAX_BODY_DEPTH} levels`,
      {},
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `Invalid request body: not JSON (${(error as Error).message})`,
      {},
      { cause: error },
    );
  }
  // zod drops own `__proto__` keys, so a sample field or attribute of that name would vanish.
  // The key can only be spelled plainly or with \u escapes: other bodies skip the walk.
  if (text.includes('__proto__') || text.includes('\\u')) refuseProtoNames(body, 'request body');
  return body;
}

const MAX_BODY_DEPTH = 128;

/** Whether JSON text opens more than `limit` arrays and objects at once (strings skipped). */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i += 1;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) inString = true;
    else if (char === OPEN_BRACKET || char === OPEN_BRACE) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === CLOSE_BRACKET || char === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export type { HttpEvent };
