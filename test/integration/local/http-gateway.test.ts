import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpGateway } from '../../../lib/local/http-gateway.js';

const seen: Array<Record<string, unknown>> = [];
let gateway: Awaited<ReturnType<typeof startHttpGateway>>;

beforeAll(async () => {
  gateway = await startHttpGateway([
    {
      routeKey: 'GET /datasets/{dataset}/samples/{id}',
      functionName: 'api',
      handler: async (event) => {
        seen.push(event as Record<string, unknown>);
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: '{"ok":true}',
        };
      },
    },
    {
      routeKey: 'POST /upload',
      functionName: 'api',
      handler: async (event) => {
        seen.push(event as Record<string, unknown>);
        return { statusCode: 201, body: '' };
      },
    },
  ]);
});
afterAll(() => gateway.stop());

describe('Function: startHttpGateway', () => {
  it('listens on loopback only', () => {
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('builds a payload 2.0 event with the route key, decoded path parameters and the query', async () => {
    const response = await fetch(`${gateway.url}/datasets/quick/samples/a%20b?limit=5`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({
      version: '2.0',
      routeKey: 'GET /datasets/{dataset}/samples/{id}',
      rawPath: '/datasets/quick/samples/a%20b',
      pathParameters: { dataset: 'quick', id: 'a b' },
      queryStringParameters: { limit: '5' },
      requestContext: { http: { method: 'GET' } },
    });
  });

  it('passes a JSON body as text and a binary body as base64', async () => {
    await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(seen.at(-1)).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    await fetch(`${gateway.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([0x89, 0x50]),
    });
    expect(seen.at(-1)).toMatchObject({ body: 'iVA=', isBase64Encoded: true });
  });

  it('answers 404 for a path no route matches, without calling a handler', async () => {
    const before = seen.length;
    const response = await fetch(`${gateway.url}/nowhere`);
    expect(response.status).toBe(404);
    expect(seen.length).toBe(before);
  });

  it('answers 404 for a known path with another method', async () => {
    expect((await fetch(`${gateway.url}/upload`)).status).toBe(404);
  });
});
