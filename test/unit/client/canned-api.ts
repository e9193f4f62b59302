import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  /** Path and query as sent (still percent-encoded). */
  readonly url: string;
  readonly body: unknown;
}

/** An answer, or a function of how many times this route was asked before (0, 1, …). */
export type Answer =
  | { status: number; body?: unknown }
  | ((call: number) => { status: number; body?: unknown });

/**
 * A real HTTP server on 127.0.0.1 answering `"METHOD /path"` (query left out) with canned
 * JSON: the client's side of the wire, without the service behind it. Unknown routes: 404
 * with the API's error body.
 */
export async function startCannedApi(answers: Record<string, Answer>) {
  const received: Received[] = [];
  const calls = new Map<string, number>();
  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    const url = request.url ?? '/';
    received.push({
      method: request.method ?? '',
      url,
      body: text === '' ? undefined : JSON.parse(text),
    });
    const route = `${request.method} ${decodeURIComponent(url.split('?')[0] ?? '')}`;
    const answer = answers[route];
    const call = calls.get(route) ?? 0;
    calls.set(route, call + 1);
    const { status, body } =
      answer === undefined
        ? { status: 404, body: { error: { code: 'ROUTE_NOT_FOUND', message: route, details: {} } } }
        : typeof answer === 'function'
          ? answer(call)
          : answer;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
