import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CvatClient, cvatParamsSchema } from '../../../../lib/backends/cvat/index.js';

/** A misbehaving server: each path answers what the test needs. */
let server: Server;
let url = '';
const routes = new Map<string, (request: IncomingMessage, response: ServerResponse) => void>();
beforeAll(async () => {
  server = createServer((request, response) => {
    const handler = routes.get(new URL(request.url ?? '/', url).pathname);
    if (handler) handler(request, response);
    else response.writeHead(404).end('{"detail": "Not found."}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (status: number, body: string) => (_: IncomingMessage, response: ServerResponse) =>
  response.writeHead(status, { 'content-type': 'application/vnd.cvat+json' }).end(body);
const client = (params: Record<string, unknown> = { token: 'secret-token' }) =>
  new CvatClient(cvatParamsSchema.parse({ url: `${url}/`, ...params }));
const item = z.looseObject({ id: z.number() });

describe('CVAT client: broken answers are typed errors naming the call', () => {
  it('reports an error status with the method and path, not the credentials', async () => {
    routes.set('/api/tasks/1', json(500, '{"detail": "boom"}'));
    const failure = client().request('GET', '/api/tasks/1');
    await expect(failure).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'CVAT GET /api/tasks/1 answered 500: {"detail": "boom"}',
    });
    await expect(failure).rejects.not.toThrow(/secret-token/);
  });

  it.each([
    [403, 'BACKEND_REQUEST_FAILED'],
    [404, 'BACKEND_REQUEST_FAILED'],
    [429, 'BACKEND_UNAVAILABLE'],
    [502, 'BACKEND_UNAVAILABLE'],
    [503, 'BACKEND_UNAVAILABLE'],
  ])(
    'calls an answer %i %s: only an unavailable tool is worth asking again',
    async (status, code) => {
      routes.set('/api/tasks/9', json(status, '{}'));
      await expect(client().request('GET', '/api/tasks/9')).rejects.toMatchObject({ code });
    },
  );

  it('reports a body that is not JSON', async () => {
    routes.set('/api/tasks/2', json(200, '<html>'));
    await expect(client().request('GET', '/api/tasks/2', { schema: item })).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: 'CVAT GET /api/tasks/2 answered with a body that is not JSON',
    });
  });

  it('reports a body of the wrong shape with the path of the problem', async () => {
    routes.set('/api/tasks/3', json(200, '{"id": "three"}'));
    await expect(client().request('GET', '/api/tasks/3', { schema: item })).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: expect.stringMatching(
        /^CVAT GET \/api\/tasks\/3 answered with an unexpected body at 'id'/,
      ),
    });
  });

  it('accepts the statuses a caller expects, such as 404 on a delete', async () => {
    routes.set('/api/tasks/4', json(404, '{}'));
    await expect(client().request('DELETE', '/api/tasks/4', { accept: [404] })).resolves.toEqual({
      status: 404,
      data: undefined,
    });
  });

  it('follows absolute next links but never to another server', async () => {
    routes.set('/api/jobs', (request, response) => {
      const page = new URL(request.url ?? '', url).searchParams.get('page');
      const body =
        page === '2'
          ? { count: 3, next: 'http://elsewhere.example/api/jobs?page=3', results: [{ id: 2 }] }
          : { count: 3, next: `${url}/api/jobs?page=2`, results: [{ id: 1 }] };
      json(200, JSON.stringify(body))(request, response);
    });
    await expect(client().list('/api/jobs', item)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: expect.stringContaining('another server (http://elsewhere.example)'),
    });
  });

  it('says which credentials are missing', async () => {
    await expect(client({}).request('GET', '/api/tasks/1')).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: expect.stringContaining('set `token`, or `username` and `password`'),
    });
  });

  it('reports a refused login without echoing the password', async () => {
    routes.set('/api/auth/login', json(400, '{"non_field_errors": ["hunter2 is wrong"]}'));
    const failure = client({ username: 'admin', password: 'hunter2' }).request(
      'GET',
      '/api/tasks/1',
    );
    await expect(failure).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: "CVAT login as 'admin' was refused (400)",
    });
  });

  it('reports an unreachable server', async () => {
    const unreachable = new CvatClient(
      cvatParamsSchema.parse({ url: 'http://127.0.0.1:1', token: 't' }),
    );
    await expect(unreachable.request('GET', '/api/tasks/1')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/^CVAT GET \/api\/tasks\/1 failed: /),
    });
  });
});
