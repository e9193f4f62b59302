import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFigure, esbuildOptionsOf } from '../../../bench/bundle.js';
import { FUNCTION_ENTRIES } from '../../../cdk/function-entries.js';
import { PROJECT_BUNDLING } from '../../../cdk/project-function.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('bench/bundle', () => {
  it('bundles a handler as the CDK does and times its import in a fresh process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'annoflow-bench-test-'));
    dirs.push(dir);

    const figure = await bundleFigure('api', FUNCTION_ENTRIES.api, dir, 1);

    expect(figure.bytes).toBeGreaterThan(10_000);
    expect(figure.importMs.median).toBeGreaterThan(0);
    expect(figure.importWithSourceMapsMs.median).toBeGreaterThan(0);
  });

  it('refuses a bundling option it does not know how to translate', () => {
    const bundling = { ...PROJECT_BUNDLING, nodeModules: ['sharp'] };

    expect(() => esbuildOptionsOf(bundling, 'entry.ts', '/tmp/out')).toThrow(/nodeModules/);
  });
});
