import { describe, expect, it } from 'vitest';
import { parseCvatWebhook, verifyCvatWebhook } from '../../../../lib/backends/cvat/index.js';
import { memorySecretStore } from '../../../../lib/backends/index.js';

// Reference §4: secret `mykey`, the body exactly as CVAT serializes it (232 bytes).
const BODY =
  '{"event": "update:job", "job": {"id": 42, "task_id": 7, "stage": "annotation", "state": "completed", "status": "annotation"}, "sender": {"id": 1, "username": "annotator1"}, "before_update": {"state": "in progress"}, "webhook_id": 3}';
const SIGNATURE = 'sha256=cf6fa3011a6f4ced112e4d2ff09662e1dcc26bef047a5b8aed958e92b6e68a19';

async function secrets() {
  const store = memorySecretStore();
  await store.put('cvat/webhook/3', 'mykey');
  return store;
}

describe('CVAT webhooks: verify', () => {
  it('accepts the worked example of reference §4', async () => {
    expect(BODY).toHaveLength(232);
    const request = { headers: { 'X-Signature-256': SIGNATURE }, rawBody: BODY };
    expect(await verifyCvatWebhook(request, await secrets())).toBe(true);
  });

  it('reads the header whatever its case (API Gateway lower-cases it)', async () => {
    const request = { headers: { 'x-signature-256': SIGNATURE }, rawBody: BODY };
    expect(await verifyCvatWebhook(request, await secrets())).toBe(true);
  });

  it.each([
    ['a re-serialized body', { 'X-Signature-256': SIGNATURE }, JSON.stringify(JSON.parse(BODY))],
    ['a forged signature', { 'X-Signature-256': `sha256=${'0'.repeat(64)}` }, BODY],
    ['the bare hex without sha256=', { 'X-Signature-256': SIGNATURE.slice(7) }, BODY],
    ['no signature header', {}, BODY],
    [
      'an unknown webhook',
      { 'X-Signature-256': SIGNATURE },
      BODY.replace('"webhook_id": 3', '"webhook_id": 4'),
    ],
    ['a body that is not JSON', { 'X-Signature-256': SIGNATURE }, '{"event": '],
    ['a body that is not a CVAT payload', { 'X-Signature-256': SIGNATURE }, '[1, 2]'],
  ])('refuses %s', async (_name, headers, rawBody) => {
    expect(await verifyCvatWebhook({ headers, rawBody }, await secrets())).toBe(false);
  });

  it('refuses everything without a secret store', async () => {
    expect(
      await verifyCvatWebhook(
        { headers: { 'X-Signature-256': SIGNATURE }, rawBody: BODY },
        undefined,
      ),
    ).toBe(false);
  });
});

const payload = (body: Record<string, unknown>) => ({ headers: {}, rawBody: JSON.stringify(body) });
const job = (stage: string, state: string) => ({
  id: 42,
  task_id: 7,
  stage,
  state,
  type: 'annotation',
  updated_date: '2026-01-02T03:04:05.000000Z',
});

describe('CVAT webhooks: parse', () => {
  it('reads the worked example as the task finished', () => {
    expect(parseCvatWebhook({ headers: {}, rawBody: BODY }, 'completed')).toEqual([
      { type: 'task.completed', backendTaskId: '7', revision: 'job-42@annotation/completed' },
    ]);
  });

  it.each([
    [
      'a finished job',
      job('annotation', 'completed'),
      { state: 'in progress' },
      'completed',
      'task.completed',
    ],
    [
      'a job moved to acceptance',
      job('acceptance', 'new'),
      { stage: 'validation' },
      'completed',
      'task.completed',
    ],
    [
      'a job completed but not accepted, under accepted',
      job('annotation', 'completed'),
      { state: 'new' },
      'accepted',
      'task.updated',
    ],
    [
      'an accepted job, under accepted',
      job('acceptance', 'completed'),
      { state: 'new' },
      'accepted',
      'task.completed',
    ],
    [
      'a reopened job',
      job('annotation', 'in progress'),
      { state: 'completed' },
      'completed',
      'task.updated',
    ],
  ] as const)('reads %s', (_name, jobRead, before, rule, type) => {
    const events = parseCvatWebhook(
      payload({ event: 'update:job', job: jobRead, before_update: before, webhook_id: 1 }),
      rule,
    );
    expect(events).toEqual([
      { type, backendTaskId: '7', revision: 'job-42@2026-01-02T03:04:05.000000Z' },
    ]);
  });

  it('ignores saves, which change only updated_date', () => {
    const body = {
      event: 'update:job',
      job: job('annotation', 'completed'),
      before_update: { updated_date: 'x' },
    };
    expect(parseCvatWebhook(payload(body), 'completed')).toEqual([]);
  });

  it('gives a duplicate delivery the same revision', () => {
    const body = payload({
      event: 'update:job',
      job: job('annotation', 'completed'),
      before_update: { state: 'new' },
    });
    expect(parseCvatWebhook(body, 'completed')).toEqual(parseCvatWebhook({ ...body }, 'completed'));
  });

  it('reads ping, a task whose status became completed, and a deleted task', () => {
    expect(parseCvatWebhook(payload({ event: 'ping', webhook: { id: 3 } }), 'completed')).toEqual([
      { type: 'ping' },
    ]);
    expect(
      parseCvatWebhook(
        payload({
          event: 'update:task',
          task: { id: 7, status: 'completed', updated_date: 'd' },
          before_update: { status: 'validation' },
        }),
        'completed',
      ),
    ).toEqual([{ type: 'task.completed', backendTaskId: '7', revision: 'task-7@d' }]);
    expect(
      parseCvatWebhook(payload({ event: 'delete:task', task: { id: 7 } }), 'completed'),
    ).toEqual([{ type: 'task.deleted', backendTaskId: '7', revision: 'task-7@deleted' }]);
  });

  it.each([
    ['not JSON', '{"event"'],
    ['not an object', '"update:job"'],
    ['an update:job without its job', '{"event": "update:job", "before_update": {"state": "new"}}'],
  ])('throws a typed error for a body that is %s', (_name, rawBody) => {
    expect(() => parseCvatWebhook({ headers: {}, rawBody }, 'completed')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
