import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../../errors/index.js';
import type { WebhookEvent, WebhookRequest } from '../backend.js';
import type { BackendSecretStore } from '../secrets.js';
import { headerValue, timingSafeEqualText } from '../webhook.js';
import { type CvatParams, isJobFinished } from './params.js';

/** The events a run's project webhook subscribes to. */
export const CVAT_WEBHOOK_EVENTS = ['update:job', 'update:task', 'delete:task'] as const;

/** Where a webhook's signing secret is kept: by webhook id, which every delivery names. */
export const webhookSecretName = (webhookId: number): string => `cvat/webhook/${webhookId}`;

const idSchema = z.number().int().nonnegative();
const payloadSchema = z.looseObject({
  event: z.string().min(1),
  webhook_id: idSchema.optional(),
  webhook: z.looseObject({ id: idSchema }).optional(),
  job: z
    .looseObject({
      id: idSchema,
      task_id: idSchema,
      stage: z.string(),
      state: z.string(),
      type: z.string().optional(),
      updated_date: z.string().optional(),
    })
    .optional(),
  task: z
    .looseObject({
      id: idSchema,
      status: z.string().optional(),
      updated_date: z.string().optional(),
    })
    .optional(),
  before_update: z.record(z.string(), z.unknown()).optional(),
});
type Payload = z.infer<typeof payloadSchema>;

function readPayload(rawBody: string): Payload | undefined {
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(rawBody));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a delivery is CVAT's: the (unverified) body names its webhook (`webhook_id`, or
 * `webhook.id` on a ping), whose secret signs the raw body as `X-Signature-256:
 * sha256=<hex HMAC-SHA256>` (reference §1.6, §4). Unknown webhook, no header, a body that is
 * not a CVAT payload: false.
 */
export async function verifyCvatWebhook(
  request: WebhookRequest,
  secrets: BackendSecretStore | undefined,
): Promise<boolean> {
  const signature = headerValue(request, 'x-signature-256');
  if (signature === undefined || secrets === undefined) return false;
  const payload = readPayload(request.rawBody);
  const webhookId = payload?.webhook_id ?? payload?.webhook?.id;
  if (webhookId === undefined) return false;
  const secret = await secrets.get(webhookSecretName(webhookId));
  if (!secret) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(request.rawBody, 'utf8').digest('hex')}`;
  return timingSafeEqualText(signature, expected);
}

/**
 * A verified delivery's events. `update:job` means a finished task only when the job's
 * stage or state changed and it is now finished under the run's rule (reference §1.5; every
 * annotation save also sends `update:job`, with only `updated_date` changed): it is reported
 * as `task.completed` of the job's task, and the load then checks every job. The revision
 * is the job and its `updated_date`, so a duplicate delivery names the same revision.
 *
 * @throws InvalidInputError when the body is not a CVAT webhook payload.
 */
export function parseCvatWebhook(
  request: WebhookRequest,
  rule: CvatParams['finished_when'],
): WebhookEvent[] {
  const payload = readPayload(request.rawBody);
  if (!payload) {
    throw new InvalidInputError('Invalid CVAT webhook: the body is not a CVAT event payload', {
      bytes: request.rawBody.length,
    });
  }
  const before = payload.before_update ?? {};
  switch (payload.event) {
    case 'ping':
      return [{ type: 'ping' }];
    case 'update:job': {
      const job = payload.job;
      if (!job) throw missing('job', payload.event);
      const transition = 'state' in before || 'stage' in before;
      if (!transition || (job.type ?? 'annotation') !== 'annotation') return [];
      return [
        {
          type: isJobFinished(job, rule) ? 'task.completed' : 'task.updated',
          backendTaskId: String(job.task_id),
          revision: `job-${job.id}@${job.updated_date ?? `${job.stage}/${job.state}`}`,
        },
      ];
    }
    case 'update:task': {
      const task = payload.task;
      if (!task) throw missing('task', payload.event);
      if (!('status' in before) || task.status !== 'completed') return [];
      return [
        {
          type: 'task.completed',
          backendTaskId: String(task.id),
          revision: `task-${task.id}@${task.updated_date ?? 'completed'}`,
        },
      ];
    }
    case 'delete:task': {
      const task = payload.task;
      if (!task) throw missing('task', payload.event);
      return [
        {
          type: 'task.deleted',
          backendTaskId: String(task.id),
          revision: `task-${task.id}@deleted`,
        },
      ];
    }
    default:
      return [];
  }
}

function missing(key: string, event: string): InvalidInputError {
  return new InvalidInputError(`Invalid CVAT webhook: '${event}' without '${key}'`, { event });
}
