import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnnotationStack } from '../../cdk/annotation-stack.js';
import { ESM_REQUIRE_BANNER } from '../../cdk/function-build.js';
import { FUNCTION_ENTRIES } from '../../cdk/function-entries.js';
import { TEST_ENV, testApp } from './support.js';

// The one test that runs esbuild (~5-10 s): everything else skips bundling.
describe('Synth: AnnotationStack with bundling', () => {
  it('bundles every function locally (no Docker) as minified ESM with source maps, handler index.mjs', () => {
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
      Resources: Record<
        string,
        { Type: string; Metadata?: Record<string, string>; Properties?: { Handler?: string } }
      >;
    };

    for (const entry of Object.values(FUNCTION_ENTRIES)) {
      const fn = Object.values(template.Resources).find(
        (r) => r.Metadata?.['aws:cdk:path'] === `Annoflow/Service/${entry.id}/Function/Resource`,
      );
      const assetPath = fn?.Metadata?.['aws:asset:path'];
      expect(assetPath, entry.id).toBeDefined();
      expect(fn?.Properties?.Handler).toBe(`index.${entry.handler}`);
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
      // PERFORMANCE.md P1: ≤ 1 MB minified, counting every chunk (the user's backend aside).
      const assetJs = javascriptFiles(dir)
        .filter((file) => !file.startsWith(join(dir, 'backends')))
        .reduce((sum, file) => sum + statSync(file).size, 0);
      expect(assetJs, `${entry.id} asset's JavaScript exceeds 1 MB`).toBeLessThanOrEqual(1_000_000);
    }
  }, 180_000);
});

function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => join(dir, name));
}
