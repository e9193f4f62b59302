import { describe, expect, it } from 'vitest';
import { BackendError, StoreError } from '../../../lib/errors/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { runStep, TRANSIENT_ERROR } from '../../../lib/workflows/steps.js';

/** Deps whose store rejects every call with `error`: the step under test reaches it first. */
function depsFailingWith(error: Error): WorkflowDeps {
  const failing = new Proxy(
    {},
    {
      get: () => () => Promise.reject(error),
    },
  );
  return { store: new Proxy({}, { get: () => failing }) } as unknown as WorkflowDeps;
}

const RUN_REF = { dataset: 'street', annoKey: 'gt_review' };

describe('runStep: the error a state machine sees', () => {
  it('names a lasting annoflow error by its stable code, keeping its message', async () => {
    const deps = depsFailingWith(new StoreError('RUN_NOT_FOUND', "no run 'gt_review'"));
    await expect(
      runStep('cleanup', deps, { step: 'cleanupRun', input: RUN_REF }),
    ).rejects.toMatchObject({ name: 'RUN_NOT_FOUND', message: "no run 'gt_review'" });
  });

  it('names a step input that fails validation INVALID_INPUT', async () => {
    const deps = depsFailingWith(new Error('unreachable'));
    await expect(
      runStep('cleanup', deps, { step: 'cleanupRun', input: { dataset: 'street' } }),
    ).rejects.toMatchObject({ name: 'INVALID_INPUT' });
  });

  it('names an event that names no step of the function INVALID_INPUT', async () => {
    const deps = depsFailingWith(new Error('unreachable'));
    await expect(
      runStep('cleanup', deps, { step: 'uploadPage', input: RUN_REF }),
    ).rejects.toMatchObject({ name: 'INVALID_INPUT' });
  });

  it(`names anything else ${TRANSIENT_ERROR}, so the state machine retries it`, async () => {
    const deps = depsFailingWith(new Error('socket hang up'));
    await expect(
      runStep('cleanup', deps, { step: 'cleanupRun', input: RUN_REF }),
    ).rejects.toMatchObject({ name: TRANSIENT_ERROR, message: 'Error: socket hang up' });
  });

  it(`names an unavailable tool ${TRANSIENT_ERROR}: a tool down for a minute does not fail the run`, async () => {
    const down = new BackendError('BACKEND_UNAVAILABLE', 'CVAT GET /api/jobs answered 503: busy');
    await expect(
      runStep('cleanup', depsFailingWith(down), { step: 'cleanupRun', input: RUN_REF }),
    ).rejects.toMatchObject({ name: TRANSIENT_ERROR });
  });

  it('names a tool that refused the request by BACKEND_REQUEST_FAILED, not retried', async () => {
    const refused = new BackendError('BACKEND_REQUEST_FAILED', 'CVAT answered 403');
    await expect(
      runStep('cleanup', depsFailingWith(refused), { step: 'cleanupRun', input: RUN_REF }),
    ).rejects.toMatchObject({ name: 'BACKEND_REQUEST_FAILED' });
  });
});
