import type { HttpEvent } from '../../lib/api/http-event.js';
import { serveHttp } from '../../lib/api/router.js';
import { API, type ApiDeps } from '../../lib/api/routes/index.js';

export interface RequestParts {
  /** Path parameters, substituted into the route's `{name}` placeholders. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** A value sent as its JSON text. */
  body?: unknown;
  /** Sent as is (e.g. text that is not JSON); wins over `body`. */
  rawBody?: string;
  /** Send the body base64-encoded, as API Gateway does for binary content types. */
  base64?: boolean;
}

/**
 * An API Gateway HTTP API (payload 2.0) event for `routeKey`, shaped as API Gateway and the
 * local gateway deliver it: the route key as declared, the path with its parameters filled
 * in, the query both raw and parsed.
 */
export function httpEvent(routeKey: string, parts: RequestParts = {}): HttpEvent {
  const [method = '', template = ''] = routeKey.split(' ');
  const params = parts.params ?? {};
  const path = template.replace(/\{([^}]+)\}/g, (_match, name: string) =>
    encodeURIComponent(params[name] ?? ''),
  );
  const query = parts.query;
  const text = parts.rawBody ?? (parts.body === undefined ? undefined : JSON.stringify(parts.body));
  const body =
    text !== undefined && parts.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: query ? new URLSearchParams(query).toString() : '',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(query ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: parts.base64 ?? false,
    requestContext: {
      requestId: `test-${Math.random().toString(36).slice(2)}`,
      http: { method, path },
    },
  };
}

/** A response as a test reads it: the status and the parsed JSON body (undefined when empty). */
export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by their documented shape
  body: any;
}

/** Serves one request through the real router and routes, on `deps`. */
export async function request(
  deps: ApiDeps,
  routeKey: string,
  parts: RequestParts = {},
): Promise<ApiResponse> {
  const response = await serveHttp(API, deps, httpEvent(routeKey, parts));
  return {
    status: response.statusCode,
    body: response.body === '' ? undefined : JSON.parse(response.body),
  };
}
