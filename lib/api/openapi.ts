import { z } from 'zod';
import type { AnyRoute } from './route.js';

/** The body of every error response: `{ error: { code, message, details } }`. */
export const ERROR_BODY = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});

/**
 * The API's OpenAPI 3.1 document, generated from the routes' zod schemas so the contract
 * and the validation cannot disagree.
 */
export function openApiDocument<Deps>(
  routes: ReadonlyArray<AnyRoute<Deps>>,
  info: { title: string; version: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const params = z.toJSONSchema(route.params, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
    };
    const query = z.toJSONSchema(route.query, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    const parameters = [
      ...Object.entries(params.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'path',
        required: true,
        schema,
      })),
      ...Object.entries(query.properties ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: query.required?.includes(name) ?? false,
        schema,
      })),
    ];
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      parameters,
      security: [{ sigv4: [] }],
      responses: {
        [String(route.status ?? 200)]:
          route.status === 204
            ? { description: 'No content' }
            : {
                description: 'Success',
                content: {
                  'application/json': {
                    schema: z.toJSONSchema(route.response, {
                      io: 'output',
                      unrepresentable: 'any',
                    }),
                  },
                },
              },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: z.toJSONSchema(ERROR_BODY) } },
        },
      },
    };
    if (route.body !== null) {
      operation.requestBody = {
        // A body with defaults for everything (e.g. a load's `{ cleanup: false }`) may be left out.
        required: !route.body.safeParse(undefined).success,
        content: {
          'application/json': {
            schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }),
          },
        },
      };
    }
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
