import { z } from 'zod';
import { toHttpError } from '../errors/http.js';
import { parseInput } from '../errors/index.js';
import type { WorkflowDeps } from '../workflows/deps.js';
import { receiveWebhook } from '../workflows/receive-webhook.js';
import { type HttpResponse, httpEventSchema, jsonResponse } from './http-event.js';

/** The webhook route: outside the IAM-signed API, since tools sign their own way. */
export const WEBHOOK_ROUTE = 'POST /webhooks/{backend}' as const;

const webhookParamsSchema = z.object({ backend: z.string().min(1).max(64) });

/**
 * `POST /webhooks/{backend}`: a tool's notification, verified over the raw body exactly as
 * received (base64-decoded when API Gateway encoded it), then handled by `receiveWebhook`.
 * Answers 200 with what became of each event, 401 for a forged or unsigned delivery, 400
 * for a malformed one, 404 for a backend that takes no webhooks; every refusal changes nothing.
 */
export async function serveWebhook(
  deps: WorkflowDeps,
  rawEvent: unknown,
  log: (entry: Record<string, unknown>) => void = () => {},
): Promise<HttpResponse> {
  try {
    const event = parseInput(httpEventSchema, rawEvent, 'HTTP event');
    const { backend } = parseInput(
      webhookParamsSchema,
      event.pathParameters ?? {},
      'path parameters',
    );
    const rawBody =
      event.body === undefined
        ? ''
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    const events = await receiveWebhook(deps, backend, { headers: event.headers, rawBody });
    return jsonResponse(200, { events });
  } catch (error) {
    const { statusCode, body } = toHttpError(error);
    // A refused delivery is worth a line (a misconfigured secret looks just like a forgery);
    // never the body or headers, which may carry the tool's secrets.
    log({
      level: statusCode >= 500 ? 'error' : 'warn',
      message: 'webhook refused',
      code: body.error.code,
      ...(statusCode >= 500 ? { error: String(error) } : {}),
    });
    return jsonResponse(statusCode, body);
  }
}
