import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleFigure, staticallyLoaded } from '../../../bench/bundle.js';
import { FUNCTION_ENTRIES } from '../../../cdk/function-entries.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

type Output = Metafile['outputs'][string];
const output = (imports: Output['imports']): Output => ({
  bytes: 1,
  inputs: {},
  imports,
  exports: [],
});

describe('bench/bundle', () => {
  it('bundles a handler as the CDK does and times its import in a fresh process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'annoflow-bench-test-'));
    dirs.push(dir);

    const figure = await bundleFigure('api', FUNCTION_ENTRIES.api, dir, 1);

    expect(figure.loadedBytes).toBeGreaterThan(10_000);
    // The backends and clients loaded on first use are in the asset, not in the import.
    expect(figure.loadedBytes).toBeLessThan(figure.bytes);
    expect(figure.importMs.median).toBeGreaterThan(0);
    expect(figure.importWithSourceMapsMs.median).toBeGreaterThan(0);
  });

  it('counts as loaded the entry and its static imports, transitively, not its import() calls', () => {
    const metafile: Metafile = {
      inputs: {},
      outputs: {
        'out/index.mjs': output([
          { path: 'out/chunks/shared.mjs', kind: 'import-statement' },
          { path: 'out/chunks/lazy.mjs', kind: 'dynamic-import' },
          { path: 'node:fs', kind: 'import-statement', external: true },
        ]),
        'out/chunks/shared.mjs': output([
          { path: 'out/chunks/deep.mjs', kind: 'import-statement' },
        ]),
        'out/chunks/deep.mjs': output([]),
        'out/chunks/lazy.mjs': output([{ path: 'out/chunks/deep.mjs', kind: 'import-statement' }]),
      },
    };

    expect(staticallyLoaded(metafile, 'out/index.mjs').sort()).toEqual([
      'out/chunks/deep.mjs',
      'out/chunks/shared.mjs',
      'out/index.mjs',
    ]);
  });
});
