/**
 * Bundle size and fresh-process import time of every Lambda in `FUNCTION_ENTRIES`, built
 * with esbuild from the CDK's own bundling options (`PROJECT_BUNDLING`), translated the way
 * aws-cdk-lib's `NodejsFunction` translates them into esbuild flags.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { FUNCTION_ENTRIES, type FunctionEntry } from '../cdk/function-entries.js';
import { PROJECT_BUNDLING, PROJECT_ROOT } from '../cdk/project-function.js';
import { goalLine, kib, median, quantile, row } from './stats.js';

const run = promisify(execFile);

export const MAX_BUNDLE_BYTES = 1_000_000;
export const MAX_MEDIAN_IMPORT_MS = 150;

/**
 * Options aws-cdk-lib 2.276 accepts but never turns into an esbuild flag (its bundling.js has
 * no `--charset`): the deployed bundle is built without them, so the benchmark is too.
 */
const IGNORED_BY_CDK = ['charset'] as const;

/**
 * The esbuild options `NodejsFunction` derives from `bundling` (aws-lambda-nodejs
 * bundling.js: `--bundle --platform=node`, `index.mjs` for ESM, SDK external unless
 * bundled). An option not handled here throws, so a change to `PROJECT_BUNDLING` cannot make
 * the benchmark measure something other than what is deployed.
 */
export function esbuildOptionsOf(
  bundling: BundlingOptions,
  entry: string,
  outDir: string,
): BuildOptions {
  const handled = new Set<string>([
    'format',
    'target',
    'mainFields',
    'banner',
    'minify',
    'sourceMap',
    'sourcesContent',
    'keepNames',
    'logLevel',
    'bundleAwsSDK',
    'externalModules',
    'esbuildArgs',
    ...IGNORED_BY_CDK,
  ]);
  const unhandled = Object.keys(bundling).filter((key) => !handled.has(key));
  if (unhandled.length > 0) {
    throw new Error(`bench/bundle: translate bundling option(s) ${unhandled.join(', ')} first`);
  }
  const esm = bundling.format === 'esm';
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    outfile: join(outDir, esm ? 'index.mjs' : 'index.js'),
    target: bundling.target ?? 'node22',
    ...(bundling.format ? { format: bundling.format } : {}),
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    keepNames: bundling.keepNames ?? false,
    external: bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ['@aws-sdk/*']),
    logLevel: bundling.logLevel ?? 'warning',
    ...(bundling.esbuildArgs?.['--charset'] === 'utf8' ? { charset: 'utf8' as const } : {}),
  };
}

export interface BundleFigure {
  readonly name: string;
  readonly bytes: number;
  /** Bytes the same bundle would have with `charset: utf8` actually applied. */
  readonly utf8Bytes: number;
  /** The largest contributors to the bundle: npm package (or our top folder) → bytes. */
  readonly top: ReadonlyArray<readonly [string, number]>;
  /** Fresh `node` processes timing `await import(bundle)`, in ms. */
  readonly importMs: ImportTimes;
  /** The same, with `--enable-source-maps` as the Lambda runs it (its NODE_OPTIONS). */
  readonly importWithSourceMapsMs: ImportTimes;
}

// Wall time and CPU time (user + system) of the import: on this shared machine the CPU time
// is the steadier figure, and close to the wall time a Lambda with its own vCPU would see.
const IMPORT_SCRIPT =
  'const t = performance.now(); const c = process.cpuUsage(); await import(process.argv[1]); const u = process.cpuUsage(c); process.stdout.write(JSON.stringify([performance.now() - t, (u.user + u.system) / 1000]));';

interface ImportCase {
  readonly file: string;
  readonly flags: readonly string[];
}

/** Wall-clock median and p90, and the median CPU time, in ms. */
type ImportTimes = { median: number; p90: number; cpuMedian: number };

async function importOnce({ file, flags }: ImportCase): Promise<[number, number]> {
  const { stdout } = await run(
    process.execPath,
    [...flags, '--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(file).href],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  return JSON.parse(stdout) as [number, number];
}

/**
 * Times `await import(file)` in `runs` fresh processes of this Node (the pinned one under
 * `npm run`) per case, with an environment that has nothing but PATH: a handler must not
 * need its configuration to load. The cases take turns, so a busy spell on this shared
 * machine slows all of them alike and their ratios stay meaningful.
 */
export async function importTimes(
  cases: readonly ImportCase[],
  runs: number,
): Promise<ImportTimes[]> {
  const times: Array<Array<[number, number]>> = cases.map(() => []);
  for (let index = 0; index < runs; index += 1) {
    for (const [position, each] of cases.entries()) {
      times[position]?.push(await importOnce(each));
    }
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return times.map((list) => {
    const wall = list.map(([ms]) => ms);
    return {
      median: round(median(wall)),
      p90: round(quantile(wall, 0.9)),
      cpuMedian: round(median(list.map(([, cpu]) => cpu))),
    };
  });
}

interface BuiltBundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  readonly utf8Bytes: number;
  readonly top: ReadonlyArray<readonly [string, number]>;
}

async function buildBundle(name: string, entry: FunctionEntry, workDir: string) {
  const source = join(PROJECT_ROOT, entry.entry);
  const options = esbuildOptionsOf(PROJECT_BUNDLING, source, join(workDir, name));
  const result = await build({ ...options, metafile: true });
  const file = options.outfile as string;
  const utf8 = await build({
    ...esbuildOptionsOf(PROJECT_BUNDLING, source, join(workDir, `${name}-utf8`)),
    charset: 'utf8',
    write: false,
  });
  const utf8Bytes = utf8.outputFiles.find((out) => out.path.endsWith('.mjs'))?.contents.length;
  const built: BuiltBundle = {
    name,
    file,
    bytes: (await stat(file)).size,
    utf8Bytes: utf8Bytes ?? 0,
    top: contributors(result.metafile),
  };
  return built;
}

const SOURCE_MAPS = ['--enable-source-maps'];

/** Builds every bundle, then times them all (with and without source maps) turn by turn. */
async function figuresOf(
  entries: ReadonlyArray<readonly [string, FunctionEntry]>,
  workDir: string,
  runs: number,
  extra: readonly ImportCase[] = [],
): Promise<{ figures: BundleFigure[]; extra: ImportTimes[] }> {
  const built: BuiltBundle[] = [];
  for (const [name, entry] of entries) built.push(await buildBundle(name, entry, workDir));
  const cases = built.flatMap(({ file }) => [
    { file, flags: [] },
    { file, flags: SOURCE_MAPS },
  ]);
  const times = await importTimes([...cases, ...extra], runs);
  const none = { median: 0, p90: 0, cpuMedian: 0 };
  const figures = built.map(({ file: _file, ...bundle }, index) => ({
    ...bundle,
    importMs: times[2 * index] ?? none,
    importWithSourceMapsMs: times[2 * index + 1] ?? none,
  }));
  return { figures, extra: times.slice(cases.length) };
}

export async function bundleFigure(
  name: string,
  entry: FunctionEntry,
  workDir: string,
  runs: number,
): Promise<BundleFigure> {
  const { figures } = await figuresOf([[name, entry]], workDir, runs);
  return figures[0] as BundleFigure;
}

/** Output bytes by npm package (`@scope/name`) or, for our code, its top folder. */
function contributors(metafile: Metafile): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const owner = inPackage?.[1] ?? path.split('/').slice(0, 2).join('/');
      totals.set(owner, (totals.get(owner) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, 5);
}

/** Bundles and times every function entry (or the named ones); prints the table and goals. */
export async function benchBundles(
  options: { runs: number; only?: readonly string[] } = { runs: 15 },
): Promise<BundleFigure[]> {
  const workDir = await mkdtemp(join(tmpdir(), 'annoflow-bundles-'));
  try {
    const empty = join(workDir, 'empty.mjs');
    await writeFile(empty, 'export {};\n');
    const entries = Object.entries(FUNCTION_ENTRIES).filter(
      ([name]) => !options.only || options.only.includes(name),
    );
    const { figures, extra } = await figuresOf(entries, workDir, options.runs, [
      { file: empty, flags: [] },
    ]);
    printBundles(figures, extra[0]?.median ?? 0, options.runs);
    return figures;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function printBundles(figures: readonly BundleFigure[], floorMs: number, runs: number): void {
  console.log(
    `\nbench/bundle — each FUNCTION_ENTRIES handler bundled with PROJECT_BUNDLING; import = median (p90) of ${runs} fresh processes`,
  );
  const widths = [10, 10, 13, 24, 30];
  console.log(
    row(
      ['function', 'minified', 'utf8 charset', 'import ms (p90) cpu', 'with source maps (p90) cpu'],
      widths,
    ),
  );
  const times = (t: ImportTimes) => `${t.median} (${t.p90}) ${t.cpuMedian}`;
  for (const figure of figures) {
    console.log(
      row(
        [
          figure.name,
          kib(figure.bytes),
          kib(figure.utf8Bytes),
          times(figure.importMs),
          times(figure.importWithSourceMapsMs),
        ],
        widths,
      ),
    );
  }
  for (const figure of figures) {
    const top = figure.top.map(([owner, bytes]) => `${owner} ${kib(bytes)}`).join(', ');
    console.log(`  ${figure.name} largest parts: ${top}`);
  }
  console.log(`  floor: importing an empty module takes ${floorMs} ms (median)`);
  console.log(
    `  note: PROJECT_BUNDLING.charset is ignored by aws-cdk-lib's NodejsFunction (no --charset flag); the 'utf8 charset' column is what it would give`,
  );
  const biggest = Math.max(...figures.map((figure) => figure.bytes));
  const slowest = Math.max(...figures.map((figure) => figure.importWithSourceMapsMs.median));
  console.log(
    goalLine(`bundle ≤ 1 MB each (largest ${kib(biggest)})`, biggest <= MAX_BUNDLE_BYTES),
  );
  console.log(
    goalLine(
      `median import ≤ ${MAX_MEDIAN_IMPORT_MS} ms each, with --enable-source-maps as deployed (slowest ${slowest} ms)`,
      slowest <= MAX_MEDIAN_IMPORT_MS,
    ),
  );
}
