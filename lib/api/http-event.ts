import { z } from 'zod';

/**
 * The part of an API Gateway HTTP API (payload 2.0) event the API reads. The local gateway
 * builds the same shape, so the handler cannot tell the two apart.
 */
export const httpEventSchema = z.object({
  version: z.literal('2.0'),
  routeKey: z.string(),
  rawPath: z.string(),
  rawQueryString: z.string().optional().default(''),
  headers: z.record(z.string(), z.string()).optional().default({}),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
  pathParameters: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional().default(false),
  requestContext: z.looseObject({
    requestId: z.string(),
    http: z.looseObject({ method: z.string(), path: z.string() }),
  }),
});
export type HttpEvent = z.input<typeof httpEventSchema>;

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function jsonResponse(statusCode: number, payload: unknown): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: statusCode === 204 ? '' : JSON.stringify(payload),
  };
}
