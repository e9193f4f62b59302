import { afterEach, describe, expect, it } from 'vitest';
import { AnnoflowApiError, AnnoflowClient, type Execution } from '../../../lib/client/index.js';
import { type Answer, startCannedApi } from './canned-api.js';

let api: Awaited<ReturnType<typeof startCannedApi>> | undefined;
afterEach(() => api?.stop());

async function clientFor(answers: Record<string, Answer>): Promise<AnnoflowClient> {
  api = await startCannedApi(answers);
  return new AnnoflowClient({ endpoint: api.url });
}

const ARN = 'arn:aws:states:us-east-1:000000000000:execution:Annoflow-LoadWorkflow:load-1';
const started = (workflow: string) => ({
  status: 202,
  body: { dataset: 'd', annoKey: 'prüfung', workflow, executionArn: ARN },
});
const execution = (status: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: { executionArn: ARN, status, startDate: '2026-01-01T00:00:00.000Z', ...extra },
});
const RUN = '/datasets/d/runs/prüfung';

/** Asserts `promise` rejects with an AnnoflowApiError and returns it. */
async function apiError(promise: Promise<unknown>): Promise<AnnoflowApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AnnoflowApiError);
  return error as AnnoflowApiError;
}

describe('AnnoflowClient: starting workflows', () => {
  it('annotate POSTs the request to the dataset’s runs and answers the started execution', async () => {
    const client = await clientFor({ 'POST /datasets/d/runs': started('annotate') });
    const request = {
      annoKey: 'prüfung',
      labelField: 'gt',
      labelType: 'detections',
      classes: ['car'],
      tags: ['val'],
      waitForCompletion: true,
    };

    const answer = await client.runs.annotate('d', request);

    expect(answer).toEqual(started('annotate').body);
    expect(api?.received).toEqual([{ method: 'POST', url: '/datasets/d/runs', body: request }]);
  });

  it.each([
    [
      'load with cleanup',
      (c: AnnoflowClient) => c.runs.load('d', 'prüfung', { cleanup: true }),
      'load',
      { cleanup: true },
    ],
    ['load by default', (c: AnnoflowClient) => c.runs.load('d', 'prüfung'), 'load', {}],
    [
      'cleanup, without a body',
      (c: AnnoflowClient) => c.runs.cleanup('d', 'prüfung'),
      'cleanup',
      undefined,
    ],
  ] as const)('%s POSTs to the run’s encoded path', async (_name, call, workflow, body) => {
    const client = await clientFor({ [`POST ${RUN}/${workflow}`]: started(workflow) });

    expect(await call(client)).toMatchObject({ workflow, executionArn: ARN });
    expect(api?.received).toEqual([
      { method: 'POST', url: `/datasets/d/runs/pr%C3%BCfung/${workflow}`, body },
    ]);
  });
});

describe('AnnoflowClient: following runs', () => {
  it('status answers each task, ours and the tool’s', async () => {
    const status = {
      annoKey: 'prüfung',
      status: 'annotating',
      tasks: [
        {
          taskId: 't0',
          backendTaskId: 'b0',
          status: 'open',
          samples: 3,
          backend: { state: 'open' },
        },
        { taskId: 't1', backendTaskId: 'b1', status: 'deleted', samples: 2, backend: null },
      ],
    };
    const client = await clientFor({ [`GET ${RUN}/status`]: { status: 200, body: status } });

    expect(await client.runs.status('d', 'prüfung')).toEqual(status);
  });

  it('report raises REPORT_NOT_FOUND for a run never loaded', async () => {
    const client = await clientFor({
      [`GET ${RUN}/report`]: {
        status: 404,
        body: { error: { code: 'REPORT_NOT_FOUND', message: 'never loaded', details: {} } },
      },
    });

    const error = await apiError(client.runs.report('d', 'prüfung'));

    expect(error).toMatchObject({ code: 'REPORT_NOT_FOUND', status: 404, message: 'never loaded' });
  });

  it('unexpected answers the returned labels per task', async () => {
    const body = {
      loadId: 'l1',
      tasks: [{ taskId: 't0', unexpected: { s1: { classifications: { gt: {} } } }, refused: [] }],
    };
    const client = await clientFor({ [`GET ${RUN}/unexpected`]: { status: 200, body } });

    expect(await client.runs.unexpected('d', 'prüfung')).toEqual(body);
  });

  it('refuses an answer that is not the documented shape with INVALID_RESPONSE', async () => {
    const client = await clientFor({
      [`GET ${RUN}/status`]: {
        status: 200,
        body: { annoKey: 'prüfung', status: 'sleeping', tasks: [] },
      },
    });

    const error = await apiError(client.runs.status('d', 'prüfung'));

    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toContain('getRunStatus');
  });
});

describe('AnnoflowClient: executions', () => {
  it('get asks /executions with the ARN as the arn query parameter', async () => {
    const client = await clientFor({
      'GET /executions': execution('SUCCEEDED', { output: { ok: 1 } }),
    });

    expect(await client.executions.get(ARN)).toMatchObject({
      status: 'SUCCEEDED',
      output: { ok: 1 },
    });
    expect(api?.received[0]?.url).toBe(`/executions?arn=${encodeURIComponent(ARN)}`);
  });

  it('wait looks until the execution is no longer RUNNING, reporting each look', async () => {
    const client = await clientFor({
      'GET /executions': (call) =>
        call < 2 ? execution('RUNNING') : execution('FAILED', { error: 'E', cause: 'why' }),
    });
    const seen: string[] = [];

    const last = await client.executions.wait(ARN, {
      intervalMs: 5,
      onProgress: (look: Execution) => seen.push(look.status),
    });

    // A failed execution is an answer to wait for, not an error of the wait.
    expect(last).toMatchObject({ status: 'FAILED', error: 'E', cause: 'why' });
    expect(seen).toEqual(['RUNNING', 'RUNNING', 'FAILED']);
  });

  it('wait gives up with WAIT_TIMEOUT while the execution still runs', async () => {
    const client = await clientFor({ 'GET /executions': execution('RUNNING') });
    // The first call loads the route schemas lazily (slow on a busy machine): not timed.
    await client.executions.get(ARN);

    const error = await apiError(client.executions.wait(ARN, { intervalMs: 10, timeoutMs: 1000 }));

    expect(error).toMatchObject({
      code: 'WAIT_TIMEOUT',
      status: 0,
      details: { executionArn: ARN },
    });
    expect(api?.received.length).toBeGreaterThanOrEqual(3);
  });

  it('wait stops when its signal aborts, with the signal’s reason', async () => {
    const client = await clientFor({ 'GET /executions': execution('RUNNING') });
    const controller = new AbortController();
    const reason = new Error('stop');

    const waiting = client.executions.wait(ARN, {
      intervalMs: 10_000,
      signal: controller.signal,
      onProgress: () => setTimeout(() => controller.abort(reason), 5),
    });

    await expect(waiting).rejects.toBe(reason);
  });
});
