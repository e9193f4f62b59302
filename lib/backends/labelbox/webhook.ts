import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../../errors/index.js';
import type { WebhookEvent, WebhookRequest } from '../backend.js';
import { headerValue, timingSafeEqualText } from '../webhook.js';

export const SIGNATURE_HEADER = 'X-Hub-Signature';
export const SIGNATURE_256_HEADER = 'X-Hub-Signature-256';

/**
 * The topics annoflow subscribes to: any change to a label may finish a task. Every topic
 * Labelbox has (labelbox-python webhook.py `Webhook.Topic`); they are written into the
 * `createWebhook` document as enum values, so only these may be.
 */
export const WEBHOOK_TOPICS = [
  'LABEL_CREATED',
  'LABEL_UPDATED',
  'LABEL_DELETED',
  'WORKFLOW_ACTION',
] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

/** Where a project's webhook secret is kept in the secret store. */
export function webhookSecretName(projectId: string): string {
  return `labelbox/webhook/project/${projectId}`;
}

/**
 * Whether a delivery is signed with `secret`: `X-Hub-Signature` must be
 * `sha1=<hex HMAC-SHA1(secret, raw body)>`, and when Labelbox also sends
 * `X-Hub-Signature-256` it must match too (a forger cannot strip the stronger one to
 * downgrade: the SHA-1 one is required either way). Compared in constant time.
 */
export function signatureMatches(secret: string, request: WebhookRequest): boolean {
  const sha1 = headerValue(request, SIGNATURE_HEADER);
  if (sha1 === undefined) return false;
  const expected1 = `sha1=${createHmac('sha1', secret).update(request.rawBody, 'utf8').digest('hex')}`;
  let ok = timingSafeEqualText(sha1.trim().toLowerCase(), expected1);
  const sha256 = headerValue(request, SIGNATURE_256_HEADER);
  if (sha256 !== undefined) {
    const expected256 = `sha256=${createHmac('sha256', secret).update(request.rawBody, 'utf8').digest('hex')}`;
    ok = timingSafeEqualText(sha256.trim().toLowerCase(), expected256) && ok;
  }
  return ok;
}

/**
 * The body is unverified (reference §3.3): only the project id is read from it, to find the
 * secret and name the task; everything else is re-fetched through the export. Both spellings
 * a GraphQL-minded and a REST-minded payload might use are accepted.
 */
const notificationSchema = z
  .looseObject({
    project: z.looseObject({ id: z.string().min(1) }).optional(),
    projectId: z.string().min(1).optional(),
  })
  .transform((body) => body.project?.id ?? body.projectId);

const timeSchema = z.looseObject({
  updated_at: z.string().min(1).optional(),
  updatedAt: z.string().min(1).optional(),
});

/** The project a delivery is about, or `undefined` when the body names none. */
export function projectOf(rawBody: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const parsed = notificationSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A delivery as events: a label changed in the project that is the task, so the task was
 * `updated`; whether it is finished is for `status` to say (the body cannot: it is one
 * label's news). The revision comes from the signed body only: the label's update time, else
 * the body's hash. Not the delivery id header, though Labelbox keeps it across redeliveries
 * [D]: the signature does not cover headers, so a captured delivery resent with a new id
 * would pass as a new event and start another load.
 *
 * @throws InvalidInputError `INVALID_INPUT` (a 400) when the body names no project.
 */
export function parseLabelboxWebhook(request: WebhookRequest): WebhookEvent[] {
  const projectId = projectOf(request.rawBody);
  if (projectId === undefined) {
    throw new InvalidInputError('Labelbox webhook body is not JSON naming a project (project.id)', {
      backend: 'labelbox',
    });
  }
  const revision =
    updateTime(request.rawBody) ??
    `sha256:${createHash('sha256').update(request.rawBody, 'utf8').digest('hex')}`;
  return [{ type: 'task.updated', backendTaskId: projectId, revision }];
}

function updateTime(rawBody: string): string | undefined {
  const parsed = timeSchema.safeParse(JSON.parse(rawBody));
  return parsed.success ? (parsed.data.updated_at ?? parsed.data.updatedAt) : undefined;
}
