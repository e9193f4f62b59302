import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../../errors/index.js';
import type { WebhookEvent, WebhookRequest } from '../backend.js';
import type { BackendSecretStore } from '../secrets.js';
import { headerValue, timingSafeEqualText } from '../webhook.js';
import { webhookListSchema, webhookSchema } from './api-schemas.js';
import type { LabelStudioClient } from './client.js';

/**
 * Label Studio signs nothing (reference §2.5): it sends the headers a webhook was configured
 * with, so each project's hook carries a random secret in this header.
 */
export const WEBHOOK_HEADER = 'X-Annoflow-Webhook-Token';

/** The actions annoflow listens to: annotations saved (one, or in bulk) and tasks deleted. */
export const WEBHOOK_ACTIONS = [
  'ANNOTATION_CREATED',
  'ANNOTATION_UPDATED',
  'ANNOTATIONS_CREATED',
  'TASKS_DELETED',
] as const;

export function webhookSecretName(projectId: number): string {
  return `labelstudio/webhook/project/${projectId}`;
}

/**
 * Points the project's webhook at `url` with a fresh secret header, creating the hook or
 * rewriting the one already there (a retried open), so the hook and the stored secret agree.
 * The secret goes to the secret store only: never a run record, a log line or an error.
 */
export async function registerProjectWebhook(
  client: LabelStudioClient,
  secrets: BackendSecretStore,
  projectId: number,
  url: string,
): Promise<void> {
  const name = webhookSecretName(projectId);
  const secret = (await secrets.get(name)) ?? randomBytes(32).toString('base64url');
  await secrets.put(name, secret);
  const hooks = await client.request('GET', '/api/webhooks/', {
    query: { project: projectId },
    schema: webhookListSchema,
  });
  const body = {
    url,
    project: projectId,
    send_payload: true,
    send_for_all_actions: false,
    is_active: true,
    headers: { [WEBHOOK_HEADER]: secret },
    actions: [...WEBHOOK_ACTIONS],
  };
  const existing = hooks.find((hook) => hook.url === url && hook.project === projectId);
  if (existing) {
    const { project: _project, ...patch } = body;
    await client.request('PATCH', `/api/webhooks/${existing.id}/`, {
      body: patch,
      schema: webhookSchema,
    });
    return;
  }
  await client.request('POST', '/api/webhooks/', { body, schema: webhookSchema });
}

const idSchema = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const annotationRefSchema = z.looseObject({
  id: idSchema,
  task: z.union([idSchema, z.looseObject({ id: idSchema })]).optional(),
  updated_at: z.string().optional(),
  was_cancelled: z.boolean().optional(),
});
const taskRefSchema = z.looseObject({
  id: idSchema,
  total_annotations: z.number().int().optional(),
  is_labeled: z.boolean().optional(),
});
const projectRefSchema = z.looseObject({
  id: idSchema,
  maximum_annotations: z.number().int().positive().optional(),
});
const oneOrMany = <S extends z.ZodType>(schema: S) =>
  z.union([schema, z.array(schema)]).transform((value) => (Array.isArray(value) ? value : [value]));

/** A delivery's body (reference §2.5): `ANNOTATIONS_CREATED` has a list under `annotation`. */
const deliverySchema = z.looseObject({
  action: z.string().min(1),
  project: projectRefSchema.nullable().optional(),
  annotation: oneOrMany(annotationRefSchema).optional(),
  task: oneOrMany(taskRefSchema).optional(),
  tasks: z.array(z.looseObject({ id: idSchema })).optional(),
});

/** The project a delivery names, or undefined when its body does not name one. */
export function projectIdOfDelivery(rawBody: string): number | undefined {
  try {
    const body = JSON.parse(rawBody) as unknown;
    const parsed = z.looseObject({ project: projectRefSchema }).safeParse(body);
    return parsed.success ? parsed.data.project.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a delivery carries the secret of the project its body names, compared in constant
 * time. A body naming no project, a project without a secret or a missing header is false.
 */
export async function verifyDelivery(
  secrets: BackendSecretStore | undefined,
  request: WebhookRequest,
): Promise<boolean> {
  const given = headerValue(request, WEBHOOK_HEADER);
  const projectId = projectIdOfDelivery(request.rawBody);
  if (secrets === undefined || given === undefined || projectId === undefined) return false;
  const secret = await secrets.get(webhookSecretName(projectId));
  if (secret === undefined) return false;
  return timingSafeEqualText(given, secret);
}

/**
 * A delivery's events. A task whose non-cancelled annotations reach the project's
 * `maximum_annotations` (default 1) is `task.completed`, else `task.updated`; the revision is
 * the latest annotation's id and update time, so a duplicated delivery names the same state.
 *
 * @throws InvalidInputError `INVALID_INPUT` when the body is not JSON or not Label Studio's shape
 *   (the webhook route answers it 400).
 */
export function parseDelivery(request: WebhookRequest): WebhookEvent[] {
  let raw: unknown;
  try {
    raw = JSON.parse(request.rawBody);
  } catch (error) {
    throw new InvalidInputError('Label Studio webhook body is not JSON', {}, { cause: error });
  }
  const parsed = deliverySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `Label Studio webhook body is invalid at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? 'invalid'}`,
      { issues: parsed.error.issues.slice(0, 10) },
      { cause: parsed.error },
    );
  }
  const delivery = parsed.data;
  if (delivery.action === 'TASKS_DELETED') {
    return (delivery.tasks ?? []).map((task) => ({
      type: 'task.deleted',
      backendTaskId: String(task.id),
    }));
  }
  if (
    !['ANNOTATION_CREATED', 'ANNOTATION_UPDATED', 'ANNOTATIONS_CREATED'].includes(delivery.action)
  ) {
    return [];
  }
  const needed = delivery.project?.maximum_annotations ?? 1;
  const annotations = delivery.annotation ?? [];
  const tasks = delivery.task ?? [];
  if (tasks.length === 0) {
    throw new InvalidInputError(`Label Studio ${delivery.action} webhook names no task`, {
      action: delivery.action,
    });
  }
  return tasks.map((task) => {
    const mine = annotations.filter((annotation) => taskIdOf(annotation) === task.id);
    const latest = (mine.length > 0 ? mine : tasks.length === 1 ? annotations : []).at(-1);
    const done = task.total_annotations ?? (task.is_labeled ? needed : 0);
    return {
      type: done >= needed ? 'task.completed' : 'task.updated',
      backendTaskId: String(task.id),
      ...(latest ? { revision: `${latest.id}@${latest.updated_at ?? ''}` } : {}),
    };
  });
}

function taskIdOf(annotation: z.output<typeof annotationRefSchema>): number | undefined {
  const { task } = annotation;
  return typeof task === 'object' ? task.id : task;
}

/** Cleanup's part: the secret of a deleted project's hook (Label Studio deletes the hook). */
export async function forgetProjectWebhook(
  secrets: BackendSecretStore | undefined,
  projectId: number,
): Promise<void> {
  await secrets?.delete(webhookSecretName(projectId));
}

export function requireSecrets(secrets: BackendSecretStore | undefined): BackendSecretStore {
  if (secrets) return secrets;
  throw new InvalidInputError(
    'Label Studio webhooks need a secret store for their tokens, and this service has none; unset webhook_url to rely on polling',
  );
}
