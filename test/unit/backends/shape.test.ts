import { describe, expect, it } from 'vitest';
import type { AnnotationBackend, BackendTask } from '../../../lib/backends/backend.js';
import { assertBackendShape, guardBackend } from '../../../lib/backends/shape.js';
import { FILES_CAPABILITIES } from '../../../lib/schema/capabilities.js';

const TASK: BackendTask = { taskId: 't1', backendTaskId: 'b1', sampleIds: ['s1'] };
const CTX = { run: { dataset: 'd', annoKey: 'k', labelSchema: {} }, media: [] };

/** The smallest backend there is: every method, doing nothing. */
function backend(extra: Partial<AnnotationBackend> = {}): AnnotationBackend {
  return {
    capabilities: { ...FILES_CAPABILITIES, name: 'tiny' },
    upload: async () => ({ tasks: [] }),
    download: async () => ({}),
    status: async () => ({ state: 'open' }),
    cleanup: async () => undefined,
    registerWebhooks: async () => undefined,
    verifyWebhook: () => false,
    parseWebhook: () => [],
    ...extra,
  };
}

describe('guardBackend: an optional refreshMedia', () => {
  it('stays absent when the backend has none, so callers can tell', () => {
    expect(guardBackend(backend(), 'tiny').refreshMedia).toBeUndefined();
  });

  it('passes a valid refresh result through', async () => {
    const guarded = guardBackend(
      backend({ refreshMedia: async () => ({ expiresAt: '2026-03-08T12:00:00.000Z' }) }),
      'tiny',
    );
    expect(await guarded.refreshMedia?.(CTX, TASK)).toEqual({
      expiresAt: '2026-03-08T12:00:00.000Z',
    });
  });

  it("refuses a result that is not an expiry time, naming the backend's method", async () => {
    const guarded = guardBackend(
      backend({ refreshMedia: async () => ({ expiresAt: 'next week' }) as never }),
      'tiny',
    );
    await expect(guarded.refreshMedia?.(CTX, TASK)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("backend 'tiny'.refreshMedia()"),
    });
  });
});

describe('assertBackendShape: refreshMedia', () => {
  it('accepts a backend without it', () => {
    expect(() => assertBackendShape(backend(), 'module x')).not.toThrow();
  });

  it('refuses one that is not a function, naming it', () => {
    expect(() => assertBackendShape({ ...backend(), refreshMedia: 'soon' }, 'module x')).toThrow(
      /'refreshMedia' must be a function/,
    );
  });
});

describe('guardBackend: an optional checkRun', () => {
  it('stays absent when the backend has none, so callers can tell', () => {
    expect(guardBackend(backend(), 'tiny').checkRun).toBeUndefined();
  });

  it("passes the backend's refusal through unchanged", async () => {
    const refusal = new Error('no such project');
    const guarded = guardBackend(
      backend({
        checkRun: async () => {
          throw refusal;
        },
      }),
      'tiny',
    );

    await expect(guarded.checkRun?.(CTX)).rejects.toBe(refusal);
  });
});

describe('assertBackendShape: checkRun', () => {
  it('refuses one that is not a function, naming it', () => {
    expect(() => assertBackendShape({ ...backend(), checkRun: true }, 'module x')).toThrow(
      /'checkRun' must be a function/,
    );
  });
});
