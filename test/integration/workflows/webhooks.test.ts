import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { serveWebhook } from '../../../lib/api/webhook.js';
import type { WebhookRequest } from '../../../lib/backends/backend.js';
import { webhookEventsSchema } from '../../../lib/backends/backend.js';
import { createFilesBackend } from '../../../lib/backends/files/index.js';
import { BackendRegistry, timingSafeEqualText } from '../../../lib/backends/index.js';
import { parseInput } from '../../../lib/errors/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { awaitCompletion, cleanupRun, receiveWebhook } from '../../../lib/workflows/index.js';
import { detection, detections } from '../../support/builders.js';
import { httpEvent } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';
import { useLocalWorkflows } from '../../support/local-workflows.js';
import {
  A,
  annotateFirstTask,
  annotateRun,
  clock,
  DATASET,
  deliver,
  loadRun,
  REQUEST,
  redeliverWithoutBicycle,
  seedDataset,
  snapshot,
} from './run-support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();

const SECRET = 'test-webhook-secret';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

/**
 * A tool that signs its webhooks (HMAC-SHA256 in `x-test-signature`, like CVAT's) and keeps
 * its tasks as the files backend does; its body lists normalized events.
 */
function signedRegistry(): BackendRegistry {
  return new BackendRegistry().register('signed', ({ objects }) => {
    const files = createFilesBackend({ objects });
    return {
      ...files,
      capabilities: { ...files.capabilities, name: 'signed' },
      verifyWebhook: (request: WebhookRequest) => {
        const given = request.headers['x-test-signature'];
        return given !== undefined && timingSafeEqualText(given, sign(request.rawBody));
      },
      parseWebhook: (request: WebhookRequest) =>
        parseInput(webhookEventsSchema, JSON.parse(request.rawBody), 'test webhook'),
    };
  });
}

const TASK_0 = 'street/gt_review/gt_review-00000';
const TASK_1 = 'street/gt_review/gt_review-00001';

/** A run whose two tasks the annotator has finished (result files delivered), unannounced. */
async function openRun(options: { autoLoad: boolean; finished?: boolean }) {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps: WorkflowDeps = {
    store: local.store,
    backends: signedRegistry(),
    config: { defaultBackend: 'signed', backends: { signed: {} } },
    clock,
    engine: workflows.engine,
  };
  await annotateRun(deps, { ...REQUEST, backend: 'signed', autoLoad: options.autoLoad });
  if (options.finished !== false) {
    await deliver(local, 'gt_review-00000');
    await deliver(local, 'gt_review-00001');
  }
  return { local, deps };
}

const delivery = (events: unknown[], signature?: string): WebhookRequest => {
  const rawBody = JSON.stringify(events);
  return { headers: { 'x-test-signature': signature ?? sign(rawBody) }, rawBody };
};
const completed = (backendTaskId: string, revision: string) =>
  delivery([{ type: 'task.completed', backendTaskId, revision }]);

async function taskStatuses(deps: WorkflowDeps) {
  const { items } = await deps.store.tasks.listByRun(DATASET, 'gt_review');
  return Object.fromEntries(items.map((task) => [task.backendTaskId, task.status]));
}
const loadsOf = async (prefix: string) =>
  (await workflows.executions('load')).filter((execution) => execution.name.startsWith(prefix));

describe('Webhooks: verified, deduplicated, one load per (run, task, revision)', () => {
  it('refuses a forged delivery with WEBHOOK_SIGNATURE_INVALID and changes nothing', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const before = await taskStatuses(deps);
    const executions = (await workflows.executions('load')).length;
    const forged = delivery(
      [{ type: 'task.completed', backendTaskId: TASK_0, revision: 'r1' }],
      sign('other'),
    );
    await expect(receiveWebhook(deps, 'signed', forged)).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    });
    expect(await taskStatuses(deps)).toEqual(before);
    expect(await workflows.executions('load')).toHaveLength(executions);
  });

  it('refuses an unsigned delivery the same way', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const unsigned = { headers: {}, rawBody: JSON.stringify([{ type: 'ping' }]) };
    await expect(receiveWebhook(deps, 'signed', unsigned)).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    });
  });

  it('refuses a signed but malformed delivery with INVALID_INPUT, changing nothing', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const before = await taskStatuses(deps);
    await expect(
      receiveWebhook(deps, 'signed', delivery([{ type: 'task.exploded', backendTaskId: TASK_0 }])),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await taskStatuses(deps)).toEqual(before);
  });

  it('answers a task it does not know with unknown-task and starts nothing', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const outcomes = await receiveWebhook(deps, 'signed', completed('street/other/task-9', 'r1'));
    expect(outcomes).toEqual([
      { type: 'task.completed', backendTaskId: 'street/other/task-9', outcome: 'unknown-task' },
    ]);
  });

  it('marks a finished task completed and starts its load once, however often it is delivered', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const before = await workflows.executions('load');
    const outcomes = [];
    for (let i = 0; i < 5; i += 1)
      outcomes.push(...(await receiveWebhook(deps, 'signed', completed(TASK_0, 'rev-a'))));
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual([
      'load-started',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect((await taskStatuses(deps))[TASK_0]).toBe('completed');
    const after = await workflows.executions('load');
    expect(after.length - before.length).toBe(1);
  });

  it('starts nothing new when the same load is started again under its name (a lost delivery record)', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const [first] = await receiveWebhook(deps, 'signed', completed(TASK_1, 'rev-x'));
    await workflows.settled();
    const name = (first?.executionArn ?? '').split(':').pop() ?? '';
    const again = await workflows.engine.start('load', name, {
      dataset: DATASET,
      annoKey: 'gt_review',
      backendTaskId: TASK_1,
    });
    expect(first?.outcome).toBe('load-started');
    expect(again).toEqual({ executionArn: first?.executionArn, started: false });
    expect(await loadsOf(name)).toHaveLength(1);
  });

  it('starts a second load for a new revision of the same task', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const a = await receiveWebhook(deps, 'signed', completed(TASK_0, 'rev-1'));
    const b = await receiveWebhook(deps, 'signed', completed(TASK_0, 'rev-2'));
    expect([a[0]?.outcome, b[0]?.outcome]).toEqual(['load-started', 'load-started']);
    expect(a[0]?.executionArn).not.toBe(b[0]?.executionArn);
  });

  it('records nothing when the tool says the task is not finished after all (a partial "finished")', async () => {
    const { deps } = await openRun({ autoLoad: true, finished: false });
    const before = (await workflows.executions('load')).length;
    const outcomes = await receiveWebhook(deps, 'signed', completed(TASK_0, 'early'));
    expect(outcomes[0]?.outcome).toBe('not-finished');
    expect((await taskStatuses(deps))[TASK_0]).toBe('open');
    expect(await workflows.executions('load')).toHaveLength(before);
  });

  it('treats a task update as a possible finish and lets the tool decide (Labelbox only notifies)', async () => {
    const finished = await openRun({ autoLoad: true });
    const [done] = await receiveWebhook(
      finished.deps,
      'signed',
      delivery([{ type: 'task.updated', backendTaskId: TASK_0, revision: 'u1' }]),
    );
    expect([done?.type, done?.outcome]).toEqual(['task.updated', 'load-started']);
    const open = await openRun({ autoLoad: true, finished: false });
    const [notYet] = await receiveWebhook(
      open.deps,
      'signed',
      delivery([{ type: 'task.updated', backendTaskId: TASK_0, revision: 'u1' }]),
    );
    expect(notYet?.outcome).toBe('not-finished');
  });

  it('only records the task when the run does not load automatically', async () => {
    const { deps } = await openRun({ autoLoad: false });
    const outcomes = await receiveWebhook(deps, 'signed', completed(TASK_0, 'rev-1'));
    expect(outcomes[0]?.outcome).toBe('recorded');
    expect((await taskStatuses(deps))[TASK_0]).toBe('completed');
  });

  it('records a task deleted in the tool', async () => {
    const { local, deps } = await openRun({ autoLoad: false, finished: false });
    await local.store.media.delete('runs/street/gt_review/tasks/gt_review-00001.json');

    await receiveWebhook(
      deps,
      'signed',
      delivery([{ type: 'task.deleted', backendTaskId: TASK_1, revision: 'd1' }]),
    );

    expect((await taskStatuses(deps))[TASK_1]).toBe('deleted');
  });

  it('does not record a task deleted while the tool still has it: the tool is asked', async () => {
    const { deps } = await openRun({ autoLoad: false, finished: false });

    const [outcome] = await receiveWebhook(
      deps,
      'signed',
      delivery([{ type: 'task.deleted', backendTaskId: TASK_1, revision: 'd1' }]),
    );

    expect(outcome?.outcome).toBe('not-deleted');
    expect((await taskStatuses(deps))[TASK_1]).toBe('open');
  });

  it('wakes a workflow waiting on the run once every task is finished, and only then', async () => {
    const { deps } = await openRun({ autoLoad: false });
    const started = await workflows.engine.start('annotate', `wait-${Date.now()}`, {});
    await vi_waitFor(() => workflows.tokens.length > 0);
    const token = workflows.tokens.at(-1) as string;
    expect(
      await awaitCompletion(deps, { dataset: DATASET, annoKey: 'gt_review', taskToken: token }),
    ).toEqual({ waiting: true });
    await receiveWebhook(deps, 'signed', completed(TASK_0, 'w1'));
    expect((await workflows.engine.describe(started.executionArn)).status).toBe('RUNNING');
    await receiveWebhook(deps, 'signed', completed(TASK_1, 'w1'));
    await workflows.settled();
    const execution = await workflows.engine.describe(started.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ dataset: DATASET, annoKey: 'gt_review', tasks: 2 });
    expect((await deps.store.runs.get(DATASET, 'gt_review')).waiting).toBeUndefined();
  });

  it('wakes a workflow waiting on the run when the run is cleaned up, its tasks gone', async () => {
    const { deps } = await openRun({ autoLoad: false, finished: false });
    const started = await workflows.engine.start('annotate', `wait-clean-${Date.now()}`, {});
    await vi_waitFor(() => workflows.tokens.length > 0);
    const token = workflows.tokens.at(-1) as string;
    await awaitCompletion(deps, { dataset: DATASET, annoKey: 'gt_review', taskToken: token });

    await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    await workflows.settled();

    const execution = await workflows.engine.describe(started.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ annoKey: 'gt_review', status: 'cleaned' });
  });

  it('answers over HTTP: 401 forged, 400 malformed, 404 for the files backend, 200 with outcomes', async () => {
    const { deps } = await openRun({ autoLoad: false });
    const post = async (backend: string, request: WebhookRequest) => {
      const event = httpEvent('POST /webhooks/{backend}', {
        params: { backend },
        rawBody: request.rawBody,
      });
      return serveWebhook(deps, { ...event, headers: { ...event.headers, ...request.headers } });
    };
    const ok = completed(TASK_0, 'h1');
    expect(
      (await post('signed', { ...ok, headers: { 'x-test-signature': sign('x') } })).statusCode,
    ).toBe(401);
    expect((await post('signed', delivery([{ type: 'nope' }]))).statusCode).toBe(400);
    expect((await post('files', ok)).statusCode).toBe(404);
    const answer = await post('signed', ok);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body).events[0].outcome).toBe('recorded');
  });
});

async function vi_waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Webhooks: a "finished" delivery racing a load of the same task', () => {
  it('does not undo the merge the load recorded on the task while the tool was asked', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    let duringStatus: (() => Promise<void>) | undefined;
    const backends = new BackendRegistry().register('signed', ({ objects }) => {
      const files = createFilesBackend({ objects });
      return {
        ...files,
        capabilities: { ...files.capabilities, name: 'signed' },
        verifyWebhook: (request: WebhookRequest) =>
          timingSafeEqualText(request.headers['x-test-signature'] ?? '', sign(request.rawBody)),
        parseWebhook: (request: WebhookRequest) =>
          parseInput(webhookEventsSchema, JSON.parse(request.rawBody), 'test webhook'),
        async status(ctx, task) {
          const answer = await files.status(ctx, task);
          const hook = duringStatus;
          duringStatus = undefined;
          await hook?.();
          return answer;
        },
      };
    });
    const deps: WorkflowDeps = {
      store: local.store,
      backends,
      config: { defaultBackend: 'signed', backends: { signed: {} } },
      clock,
    };
    await annotateRun(deps, { ...REQUEST, backend: 'signed', autoLoad: false });
    await deliver(local, 'gt_review-00000', annotateFirstTask);

    // While the webhook waits for the tool's answer, a load (POST …/load) merges task 0.
    duringStatus = async () => {
      await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId: TASK_0 });
    };
    const [outcome] = await receiveWebhook(deps, 'signed', completed(TASK_0, 'rev-1'));
    expect(outcome?.outcome).toBe('recorded');

    const task = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000');
    expect(task.status).toBe('merged');
    expect(task.mergedRevision).toBeDefined();

    // The annotator sends task 0 again without the bicycle: it must be deleted.
    await redeliverWithoutBicycle(local);
    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId: TASK_0 });
    expect((await snapshot(local.store)).s1?.sample.ground_truth).toEqual(
      detections(detection(A, 'car')),
    );
  });
});
