import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticallyLoaded } from '../../bench/bundle.js';
import {
  buildFunction,
  ESM_REQUIRE_BANNER,
  FROM_JSON_SCHEMA_LEFT_OUT,
  functionBuildOptions,
} from '../../cdk/function-build.js';
import { PROJECT_ROOT } from '../../cdk/project-function.js';
import { isOwnSource, type SourceMapV3 } from '../../cdk/source-maps.js';

const run = promisify(execFile);

let outDir: string;
let metafile: Metafile;
/** Source paths (relative to the repository) in the code `import(index.mjs)` loads. */
let loadedSources: string[];
/** Source paths in any output of the asset. */
let allSources: string[];

// One build of the api function (the one that reaches every backend and client), ~2-4 s.
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'annoflow-function-build-'));
  metafile = await buildFunction({
    entry: join(PROJECT_ROOT, 'functions/api/handler.ts'),
    outDir,
    backendModules: { echo: join(PROJECT_ROOT, 'test/fixtures/backends/echo-backend.ts') },
  });
  const sourcesOf = (outputs: string[]) =>
    outputs.flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
  loadedSources = sourcesOf(staticallyLoaded(metafile, relative(process.cwd(), indexFile())));
  allSources = sourcesOf(Object.keys(metafile.outputs));
}, 60_000);

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

const indexFile = () => join(outDir, 'index.mjs');

/** The annotate function's sources: in any output, and in what `import(index.mjs)` loads. */
let annotate: Promise<{ all: string[]; loaded: string[] }> | undefined;

async function buildAnnotate(): Promise<{ all: string[]; loaded: string[] }> {
  const dir = join(outDir, 'annotate');
  const built = await buildFunction({
    entry: join(PROJECT_ROOT, 'functions/annotate/handler.ts'),
    outDir: dir,
  });
  const sourcesOf = (outputs: string[]) =>
    outputs.flatMap((path) => Object.keys(built.outputs[path]?.inputs ?? {}));
  return {
    all: sourcesOf(Object.keys(built.outputs)),
    loaded: sourcesOf(staticallyLoaded(built, relative(process.cwd(), join(dir, 'index.mjs')))),
  };
}

describe('Function: buildFunction', () => {
  it("keeps zod's English messages and no other locale", () => {
    const locales = allSources.filter((path) => /zod\/v4\/locales\/(?!index)/.test(path));

    expect(locales.map((path) => path.replace(/.*\//, ''))).toEqual(['en.js']);
  });

  it("leaves out zod's fromJSONSchema, whose stand-in throws naming why", async () => {
    const fromJsonSchema = Object.entries(metafile.inputs).find(([path]) =>
      path.endsWith('zod/v4/classic/from-json-schema.js'),
    );
    const code = await Promise.all(
      Object.keys(metafile.outputs)
        .filter((path) => path.endsWith('.mjs'))
        .map((path) => readFile(path, 'utf8')),
    );

    expect(fromJsonSchema?.[1].bytes).toBeLessThan(300);
    expect(code.some((text) => text.includes(FROM_JSON_SCHEMA_LEFT_OUT))).toBe(true);
  });

  it.each([
    ['the cvat backend', 'lib/backends/cvat/'],
    ['the labelstudio backend', 'lib/backends/labelstudio/'],
    ['the labelbox backend', 'lib/backends/labelbox/'],
    ['the files backend', 'lib/backends/files/files-backend.ts'],
    ['the Step Functions client', '@aws-sdk/client-sfn/'],
    ['the Secrets Manager client', '@aws-sdk/client-secrets-manager/'],
    ['the S3 client', '@aws-sdk/client-s3/'],
    ['the S3 presigner', '@aws-sdk/s3-request-presigner/'],
  ])('ships %s as a chunk loaded on first use, not at import', (_what, source) => {
    expect(allSources.some((path) => path.includes(source))).toBe(true);
    expect(loadedSources.filter((path) => path.includes(source))).toEqual([]);
  });

  it("bundles the environment's credential provider and none of the rest of the SDK's chain", () => {
    const stub = 'node_modules/@aws-sdk/credential-provider-node/dist-es/index.js';
    const chain = allSources.filter(
      (path) =>
        path !== stub &&
        /@aws-sdk\/(credential-provider-(?!env\/)[a-z-]+|nested-clients)\//.test(path),
    );

    expect(chain).toEqual([]);
    expect(metafile.inputs[stub]?.bytes).toBeLessThan(200);
    expect(allSources.some((path) => path.includes('@aws-sdk/credential-provider-env/'))).toBe(
      true,
    );
  });

  it.each([
    ['takes the credentials Lambda puts in the environment', true, 'AKIDFROMENV'],
    [
      'fails without them, though a shared credentials file has some',
      false,
      'environment variable',
    ],
  ])(
    "gives a function's SDK clients credentials from the environment only: %s",
    async (_what, withEnv, expected) => {
      const dir = join(outDir, 'credentials-probe');
      await buildFunction({
        entry: join(PROJECT_ROOT, 'test/fixtures/functions/credentials-probe.ts'),
        outDir: dir,
      });
      // A profile the full chain would find in ~/.aws/credentials.
      await mkdir(join(dir, 'home', '.aws'), { recursive: true });
      await writeFile(
        join(dir, 'home', '.aws', 'credentials'),
        '[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = secret\n',
      );
      const script = `const { handler } = await import(process.argv[1]); console.log(await handler().catch((error) => error.message));`;

      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', script, pathToFileURL(join(dir, 'index.mjs')).href],
        {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: join(dir, 'home'),
            ...(withEnv
              ? { AWS_ACCESS_KEY_ID: 'AKIDFROMENV', AWS_SECRET_ACCESS_KEY: 'secret' }
              : {}),
          },
        },
      );

      expect(stdout.trim()).toContain(expected);
    },
  );

  it('writes the handler as index.mjs with the require banner and a source map', async () => {
    const code = await readFile(indexFile(), 'utf8');

    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.mjs.map')).toBe(true);
    expect(metafile.outputs[relative(process.cwd(), `${indexFile()}.map`)]).toBeDefined();
  });

  it('maps our own code only: no source under node_modules in any of its source maps', async () => {
    const maps = (await readdir(outDir, { recursive: true })).filter((name) =>
      name.endsWith('.map'),
    );
    const sources = await Promise.all(
      maps.map(async (name) => {
        const map = JSON.parse(await readFile(join(outDir, name), 'utf8')) as SourceMapV3;
        return map.sources;
      }),
    );

    expect(maps.length).toBeGreaterThan(1);
    expect(sources.flat().filter((source) => !isOwnSource(source))).toEqual([]);
    expect(sources.flat().some((source) => source.endsWith('functions/api/handler.ts'))).toBe(true);
  });

  it("bundles a user's backend module as backends/<name>.mjs sharing the handler's chunks", async () => {
    const echo = relative(process.cwd(), join(outDir, 'backends', 'echo.mjs'));
    const shared = metafile.outputs[echo]?.imports.filter((each) => !each.external) ?? [];

    expect(await readFile(join(outDir, 'backends', 'echo.mjs'), 'utf8')).toMatch(
      /export\s*\{[^}]*createBackend/,
    );
    expect(shared.length).toBeGreaterThan(0);
  });

  it('imports every file of the asset in a fresh Node process (the chunks resolve)', async () => {
    const files = (await readdir(outDir, { recursive: true, encoding: 'utf8' }))
      .filter((name) => name.endsWith('.mjs'))
      .map((name) => pathToFileURL(join(outDir, name)).href);
    const script = `for (const file of JSON.parse(process.argv[1])) await import(file); console.log('ok');`;

    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(files)],
      { env: { PATH: process.env.PATH ?? '' } },
    );

    expect(files.length).toBeGreaterThan(5);
    expect(stdout.trim()).toBe('ok');
  });

  it.each(['prepare-annotate', 'upload-page', 'open-run', 'fail-annotate', 'await-completion'])(
    'ships the annotate step %s as a chunk loaded by its first invocation',
    async (step) => {
      annotate ??= buildAnnotate();
      const { all, loaded } = await annotate;

      expect(all).toContain(`lib/workflows/${step}.ts`);
      expect(loaded).not.toContain(`lib/workflows/${step}.ts`);
    },
  );

  it('rejects a backend module name that cannot be an env var suffix, naming it', () => {
    expect(() =>
      functionBuildOptions({ entry: 'e.ts', outDir: 'o', backendModules: { 'My-Tool': 'm.ts' } }),
    ).toThrow(/backendModules[\s\S]*My-Tool/);
  });
});
