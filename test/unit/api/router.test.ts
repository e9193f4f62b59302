import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument } from '../../../lib/api/openapi.js';
import { defineRoute } from '../../../lib/api/route.js';
import { serveHttp } from '../../../lib/api/router.js';
import { AnnotationRunError } from '../../../lib/errors/index.js';

const echo = defineRoute({
  method: 'POST',
  path: '/things/{name}',
  operationId: 'createThing',
  summary: 'Create a thing',
  params: z.object({ name: z.string().min(2) }),
  query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
  body: z.object({ size: z.number().int() }),
  response: z.object({ name: z.string(), size: z.number() }),
  status: 201,
  handle: async (_deps: null, { params, body }) => ({ name: params.name, size: body.size }),
});
const failing = defineRoute({
  method: 'GET',
  path: '/fail',
  operationId: 'fail',
  summary: 'Always fails',
  params: z.object({}),
  query: z.object({}),
  body: null,
  response: z.object({}),
  handle: async () => {
    throw new AnnotationRunError('RUN_NOT_FOUND', "Dataset has no annotation run key 'x'");
  },
});
const routes = [echo, failing];

function event(
  routeKey: string,
  parts: { pathParameters?: Record<string, string>; body?: string } = {},
) {
  const [method, path] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    requestContext: { requestId: 'r1', http: { method, path } },
    ...parts,
  };
}

describe('Function: serveHttp', () => {
  it('validates the request, calls the route and answers with its status and JSON', async () => {
    const response = await serveHttp(
      routes,
      null,
      event('POST /things/{name}', { pathParameters: { name: 'box' }, body: '{"size":3}' }),
    );
    expect(response).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"name":"box","size":3}',
    });
  });

  it.each([
    ['a body that is not JSON', { pathParameters: { name: 'box' }, body: '{size' }, 'not JSON'],
    [
      'a body that fails its schema',
      { pathParameters: { name: 'box' }, body: '{"size":"big"}' },
      "request body at 'size'",
    ],
    [
      'a path parameter that fails its schema',
      { pathParameters: { name: 'b' }, body: '{"size":1}' },
      "path parameters at 'name'",
    ],
  ])('answers 400 INVALID_INPUT for %s, naming it', async (_name, parts, fragment) => {
    const response = await serveHttp(routes, null, event('POST /things/{name}', parts));
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body);
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.message).toContain(fragment);
  });

  it('maps a typed error to its status and body', async () => {
    const response = await serveHttp(routes, null, event('GET /fail'));
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error.code).toBe('RUN_NOT_FOUND');
  });

  it('answers 404 ROUTE_NOT_FOUND for a route key it does not serve', async () => {
    const response = await serveHttp(routes, null, event('GET /elsewhere'));
    expect(response.statusCode).toBe(404);
  });

  it('answers 400 for an event that is not an HTTP API event', async () => {
    expect((await serveHttp(routes, null, { hello: 'world' })).statusCode).toBe(400);
  });
});

describe('Function: openApiDocument', () => {
  it('documents each route with its parameters, body, response and the error shape', () => {
    const document = openApiDocument(routes, { title: 'test', version: '1' });
    const operation = document.paths['/things/{name}']?.post as Record<string, unknown>;
    expect(operation).toMatchObject({
      operationId: 'createThing',
      parameters: [
        { name: 'name', in: 'path', required: true },
        { name: 'dryRun', in: 'query', required: false },
      ],
      requestBody: { required: true },
    });
    expect(Object.keys(operation.responses as object)).toEqual(['201', 'default']);
  });
});
