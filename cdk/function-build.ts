/**
 * How every Lambda is bundled: the one definition `ProjectFunction` deploys (run at synth
 * through `build-function-cli.ts`) and `bench/bundle.ts` measures. Our own esbuild build
 * rather than `NodejsFunction`'s, because the two levers that cut the cold start need it
 * (bench/README.md, "bench/bundle"):
 *
 * - code splitting: what a function reaches only through `import()` (the backends it does
 *   not run, Secrets Manager and Step Functions until first used) becomes a chunk loaded on
 *   first use instead of code parsed at every cold start. `NodejsFunction` always writes one
 *   file.
 * - plugins (the esbuild CLI `NodejsFunction` runs has none): one keeps zod's English
 *   messages only (`import { z } from 'zod'` re-exports every locale through `z.locales`,
 *   ~190 KiB of each bundle that nothing here reads); one resolves the SDK's credential
 *   chain to the environment, where Lambda puts a function's credentials (below).
 */
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { z } from 'zod';
import { trimSourceMaps } from './source-maps.js';

/**
 * ESM bundles have no `require`; bundled CommonJS dependencies that call it (directly or via
 * esbuild's `__require` shim) need one. Aliased so it cannot collide with bundled names.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __annoflowCreateRequire } from 'node:module'; const require = __annoflowCreateRequire(import.meta.url);";

/** The handler's file in the asset (`index.mjs`): Lambda's handler is `index.<export>`. */
export const HANDLER_MODULE = 'index';

/** Where a bundled user backend module lives in the asset (`backends/<name>.mjs`). */
export const BACKENDS_DIR = 'backends';

/** What `z.fromJSONSchema` throws in a function's bundle. */
export const FROM_JSON_SCHEMA_LEFT_OUT =
  'z.fromJSONSchema is left out of annoflow function bundles (cdk/function-build.ts)';

/**
 * zod's classic entry registers English itself (`classic/schemas.js` imports `locales/en.js`
 * directly); `z.locales` keeps `en` so `z.config(z.locales.en())` still works.
 *
 * It also leaves out `z.fromJSONSchema` (12 KiB parsed at every cold start, building its
 * keyword tables at import): nothing here turns JSON Schema into zod, so the export stays but
 * throws, naming why. Validation is untouched (`toJSONSchema` stays too).
 */
export const zodEnglishOnly: Plugin = {
  name: 'annoflow-zod-english-only',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: join(args.path, '..'),
      loader: 'js',
    }));
    builder.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]classic[\\/]from-json-schema\.js$/ }, () => ({
      contents: `export function fromJSONSchema() { throw new Error(${JSON.stringify(FROM_JSON_SCHEMA_LEFT_OUT)}); }`,
      loader: 'js',
    }));
  },
};

export const functionBuildRequestSchema = z.object({
  /** Absolute path of the handler's source. */
  entry: z.string().min(1),
  /** Directory the asset is written to (created; existing files are overwritten). */
  outDir: z.string().min(1),
  /** Users' backend modules, name → absolute path, bundled as `backends/<name>.mjs`. */
  backendModules: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.string().min(1)).default({}),
});
export type FunctionBuildRequest = z.input<typeof functionBuildRequestSchema>;

/**
 * Lambda gives a function its role's credentials in environment variables
 * (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the first place the
 * SDK's default chain looks, so the rest of the chain (shared ini files, SSO, web identity,
 * processes, container and instance metadata) never runs there. It was still bundled, with the
 * nested STS/SSO/sign-in clients it needs: ~85 KiB of every asset, as chunks loaded only if
 * the environment had no credentials. In a function's asset the SDK's `defaultProvider` is the
 * environment provider; the CLI and client, which run on users' machines, keep the full chain.
 * A function without credentials in its environment fails on its first AWS call, saying so
 * (`CredentialsProviderError: Unable to find environment variable credentials`).
 */
export const lambdaCredentialsOnly: Plugin = {
  name: 'annoflow-lambda-credentials-only',
  setup(builder) {
    builder.onLoad(
      { filter: /[\\/]@aws-sdk[\\/]credential-provider-node[\\/]dist-es[\\/]index\.js$/ },
      (args) => ({
        contents: 'export { fromEnv as defaultProvider } from "@aws-sdk/credential-provider-env";',
        resolveDir: join(args.path, '..'),
        loader: 'js',
      }),
    );
  },
};

/**
 * The esbuild options of a function's asset: Node 22 ESM (the `require` banner for bundled
 * CommonJS), minified (class and function names too: `keepNames` cost 6% of every bundle, and
 * every error class names itself), source maps without `sourcesContent`, UTF-8 output,
 * the AWS SDK bundled (~2.4x faster module init than the runtime's, PERFORMANCE.md §1.3-1.4,
 * and the version we test against), split into `index.mjs` plus `chunks/`. Users' backend
 * modules are entry points of the same build, so they share its chunks: one zod, one copy of
 * our error classes (the registry's `instanceof BackendError` holds for their errors too).
 */
export function functionBuildOptions(request: FunctionBuildRequest): BuildOptions {
  const { entry, outDir, backendModules } = functionBuildRequestSchema.parse(request);
  return {
    entryPoints: {
      [HANDLER_MODULE]: entry,
      ...Object.fromEntries(
        Object.entries(backendModules).map(([name, source]) => [`${BACKENDS_DIR}/${name}`, source]),
      ),
    },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // Non-ASCII text as UTF-8, not \uXXXX escapes.
    charset: 'utf8',
    // The AWS SDK is bundled. `bowser` is not: a browser user-agent parser that the SDK's
    // core reaches only through its browser helpers' `import()`, never under Node (38 KiB).
    external: ['bowser'],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    plugins: [zodEnglishOnly, lambdaCredentialsOnly],
  };
}

/**
 * Builds a function's asset into `request.outDir`; its metafile says what went where. The
 * source maps are then trimmed to our own code (`./source-maps.ts`).
 */
export async function buildFunction(request: FunctionBuildRequest): Promise<Metafile> {
  const options = functionBuildOptions(request);
  const result = await build({ ...options, metafile: true });
  await trimSourceMaps(options.outdir as string);
  return result.metafile;
}
