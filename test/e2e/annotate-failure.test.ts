import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DATASET, seedDemo } from '../../lib/local/demo.js';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { type Json, serviceHelpers, setEnv, waitFor } from '../support/local-service.js';

const projectRoot = resolve(import.meta.dirname, '..', '..');
const FAILING_BACKEND = resolve(projectRoot, 'test/fixtures/backends/failing-upload-backend.ts');
let service: LocalService;
let restoreEnv: () => void = () => undefined;

beforeAll(async () => {
  // The handlers read the annotation config from the env at each invocation, as on Lambda.
  restoreEnv = setEnv({
    ANNOFLOW_ANNOTATION_BACKENDS: '*,flaky',
    ANNOFLOW_FLAKY_MODULE: FAILING_BACKEND,
  });
  service = await startLocalService({ projectRoot });
  await seedDemo(service.store, () => service.settled());
}, 90_000);
afterAll(async () => {
  await service?.stop();
  restoreEnv();
});

const { api } = serviceHelpers(() => service);
const RUN = `/datasets/${DEMO_DATASET}/runs/doomed`;

describe('e2e: an upload that fails mid-run, through AnnotateWorkflow as synthesized', () => {
  let executionArn = '';

  it('fails the execution when the tool refuses a page after others were uploaded', async () => {
    const started = await api('POST', `/datasets/${DEMO_DATASET}/runs`, {
      annoKey: 'doomed',
      backend: 'flaky',
      labelField: 'ground_truth',
      labelType: 'detections',
      classes: ['car', 'person'],
      pageSize: 1,
    });
    expect(started.status).toBe(202);
    executionArn = String(started.body.executionArn);
    const execution = () => api('GET', `/executions?arn=${encodeURIComponent(executionArn)}`);
    await waitFor(async () => (await execution()).body.status !== 'RUNNING');
    const { body } = await execution();
    expect([body.status, body.error]).toEqual(['FAILED', 'AnnotateFailed']);
  });

  it("marks the run failed with the tool error's stable code and message", async () => {
    const { body } = await api('GET', RUN);
    expect(body.status).toBe('failed');
    expect(body.failure).toMatchObject({ code: 'BACKEND_REQUEST_FAILED' });
    // Pages upload in parallel and a page starts as another ends: whichever refused page
    // (1-5 of the demo's six) fails first is the reason recorded.
    expect(String((body.failure as Json).message)).toMatch(/the tool refused page [1-5]/);
  });

  it('leaves no task open in the tool: every task made before the failure is deleted', async () => {
    await service.idle();
    const { items } = await service.store.tasks.listByRun(DEMO_DATASET, 'doomed');
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((task) => task.status)).toEqual(items.map(() => 'deleted'));
    for (const task of items) {
      expect(
        await service.store.media.read(`runs/${DEMO_DATASET}/doomed/tasks/${task.taskId}.json`),
      ).toBeUndefined();
    }
  });

  it('keeps the key taken: a new run under it is refused 409 RUN_KEY_EXISTS', async () => {
    const again = await api('POST', `/datasets/${DEMO_DATASET}/runs`, {
      annoKey: 'doomed',
      labelField: 'ground_truth',
    });
    expect(again.status).toBe(409);
    expect((again.body.error as Json).code).toBe('RUN_KEY_EXISTS');
  });
});
