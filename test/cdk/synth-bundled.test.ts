import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnnotationStack } from '../../cdk/annotation-stack.js';
import { FUNCTION_ENTRIES } from '../../cdk/function-entries.js';
import { ESM_REQUIRE_BANNER } from '../../cdk/project-function.js';
import { TEST_ENV, testApp } from './support.js';

// The one test that runs esbuild (~5-10 s): everything else skips bundling.
describe('Synth: AnnotationStack with bundling', () => {
  it('bundles every function locally (no Docker) as a minified ESM file with a source map', () => {
    const app = testApp({
      bundling: true,
      appProps: {
        context: {
          'aws:cdk:enable-asset-metadata': true,
          // A user's own backend, declared as users do (cdk.json context, relative path).
          'annoflow:backendModules': { echo: 'test/fixtures/backends/echo-backend.ts' },
        },
      },
    });
    const stack = new AnnotationStack(app, 'Annoflow', { env: TEST_ENV });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };

    for (const entry of Object.values(FUNCTION_ENTRIES)) {
      const fn = Object.values(template.Resources).find(
        (r) => r.Metadata?.['aws:cdk:path'] === `Annoflow/Service/${entry.id}/Function/Resource`,
      );
      const assetPath = fn?.Metadata?.['aws:asset:path'];
      expect(assetPath, entry.id).toBeDefined();
      const dir = join(assembly.directory, String(assetPath));
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      // Every function that runs backends carries the user's, bundled beside the handler.
      const runsBackends = entry.id !== 'Ingest';
      expect(existsSync(join(dir, 'backends', 'echo.mjs')), entry.id).toBe(runsBackends);
      if (runsBackends) {
        const echo = readFileSync(join(dir, 'backends', 'echo.mjs'), 'utf8');
        expect(echo).toMatch(/export\s*\{[^}]*createBackend/);
      }
      // PERFORMANCE.md P1 asks ≤ 1 MB minified. Stated decision: the guard is 1.2 MB for now.
      // ~250 KB of every bundle is zod's message locales, which zod's namespace re-exports
      // keep alive and NodejsFunction's CLI-only esbuild cannot replace (that needs a plugin,
      // i.e. our own esbuild build). Ingest 1.07 MB, api 0.98 MB when this was written.
      expect(
        statSync(join(dir, 'index.mjs')).size,
        `${entry.id} bundle exceeds its 1.2 MB guard (PERFORMANCE.md P1 asks 1 MB)`,
      ).toBeLessThanOrEqual(1_200_000);
    }
  }, 180_000);
});
