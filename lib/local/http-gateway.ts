import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Lambda handler as the gateway calls it: an API Gateway v2 event in, a v2 result out. */
export type HttpHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}

export interface GatewayRoute {
  /** API Gateway route key, e.g. `GET /datasets/{dataset}`. */
  routeKey: string;
  functionName: string;
  handler: HttpHandler;
}

interface CompiledRoute extends GatewayRoute {
  method: string;
  pattern: RegExp;
  names: string[];
}

function compile(route: GatewayRoute): CompiledRoute {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const names: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      const param = /^\{(\w+)\+?\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return part.endsWith('+}') ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}$`), names };
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BODY_BYTES) throw new Error('payload too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const isText = (contentType: string | undefined): boolean =>
  contentType === undefined ||
  /^(application\/(json|x-www-form-urlencoded)|text\/)/.test(contentType);

/**
 * A local stand-in for an API Gateway HTTP API: matches a request to a route, builds the
 * payload 2.0 event the deployed API would send, calls the same handler, and writes its
 * result back. Binds 127.0.0.1 only: the local API has no authentication.
 */
export async function startHttpGateway(
  routes: ReadonlyArray<GatewayRoute>,
  port = 0,
): Promise<{
  url: string;
  server: Server;
  stop(): Promise<void>;
}> {
  const compiled = routes.map(compile);
  const server = createServer((request, response) => {
    void serve(compiled, request, response);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    stop: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}

async function serve(
  routes: CompiledRoute[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  let match: { route: CompiledRoute; values: string[] } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const found = route.pattern.exec(url.pathname);
    if (found) {
      match = { route, values: found.slice(1) };
      break;
    }
  }
  if (!match) {
    send(
      response,
      404,
      { 'content-type': 'application/json' },
      JSON.stringify({ message: 'Not Found' }),
    );
    return;
  }
  try {
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const text = isText(headers['content-type']);
    const requestId = randomUUID();
    const query = Object.fromEntries(url.searchParams);
    const event = {
      version: '2.0',
      routeKey: match.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      ...(match.route.names.length > 0
        ? {
            pathParameters: Object.fromEntries(
              match.route.names.map((name, index) => [
                name,
                decodeURIComponent(match.values[index] as string),
              ]),
            ),
          }
        : {}),
      ...(body.byteLength > 0
        ? { body: text ? body.toString('utf8') : body.toString('base64') }
        : {}),
      isBase64Encoded: body.byteLength > 0 && !text,
      requestContext: {
        requestId,
        routeKey: match.route.routeKey,
        stage: '$default',
        timeEpoch: Date.now(),
        http: {
          method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
      },
    };
    const deadline = Date.now() + 29_000; // API Gateway's integration timeout
    const result = (await match.route.handler(JSON.parse(JSON.stringify(event)), {
      awsRequestId: requestId,
      functionName: match.route.functionName,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    })) as
      | {
          statusCode?: number;
          headers?: Record<string, string>;
          body?: string;
          isBase64Encoded?: boolean;
        }
      | string;
    if (typeof result === 'string') {
      send(response, 200, { 'content-type': 'application/json' }, result);
      return;
    }
    const payload = result?.body ?? '';
    send(
      response,
      result?.statusCode ?? 200,
      result?.headers ?? {},
      result?.isBase64Encoded ? Buffer.from(payload, 'base64') : payload,
    );
  } catch (error) {
    const tooLarge = (error as Error).message === 'payload too large';
    send(
      response,
      tooLarge ? 413 : 500,
      { 'content-type': 'application/json' },
      JSON.stringify({ message: tooLarge ? 'Request Entity Too Large' : 'Internal Server Error' }),
    );
  }
}

function send(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
): void {
  response.writeHead(status, headers);
  response.end(body);
}
