import { describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../../cdk/function-entries.js';
import { openApiDocument } from '../../../lib/api/openapi.js';
import { routeKey } from '../../../lib/api/route.js';
import { API } from '../../../lib/api/routes/index.js';

const document = openApiDocument(API, { title: 'annoflow', version: 'test' });

describe('The API and its deployment', () => {
  it('serves exactly the route keys the deployed HTTP API sends to it', () => {
    expect(API.map(routeKey).sort()).toEqual([...API_ROUTES].sort());
  });

  it('serves each route key once', () => {
    const keys = API.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(API.map((route) => [routeKey(route), route] as const))(
    '%s parses exactly the path parameters its path declares',
    (_key, route) => {
      const declared = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect(Object.keys(route.params.shape).sort()).toEqual(declared.sort());
    },
  );
});

describe('The OpenAPI document', () => {
  it.each(API.map((route) => [routeKey(route), route] as const))(
    'documents %s with its operation, path parameters and success status',
    (_key, route) => {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()] as
        | {
            operationId: string;
            parameters: Array<{ name: string; in: string }>;
            responses: object;
          }
        | undefined;
      expect(operation).toMatchObject({ operationId: route.operationId, summary: route.summary });
      const pathParameters = operation?.parameters
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(pathParameters?.sort()).toEqual(Object.keys(route.params.shape).sort());
      expect(Object.keys(operation?.responses ?? {})).toEqual([
        String(route.status ?? 200),
        'default',
      ]);
    },
  );

  it('documents no operation the API does not serve', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(API.map(routeKey).sort());
  });

  it('gives every operation its own operationId', () => {
    const ids = API.map((route) => route.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
