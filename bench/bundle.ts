/**
 * Bundle size and fresh-process import time of every Lambda in `FUNCTION_ENTRIES`, built by
 * `buildFunction` (cdk/function-build.ts): the very build `ProjectFunction` deploys.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { buildFunction, HANDLER_MODULE } from '../cdk/function-build.js';
import { FUNCTION_ENTRIES, type FunctionEntry } from '../cdk/function-entries.js';
import { PROJECT_ROOT } from '../cdk/project-function.js';
import { goalLine, kib, median, quantile, row } from './stats.js';

const run = promisify(execFile);

export const MAX_BUNDLE_BYTES = 1_000_000;
export const MAX_MEDIAN_IMPORT_MS = 150;

export interface BundleFigure {
  readonly name: string;
  /** Every JavaScript file of the asset (entry and chunks; source maps not counted). */
  readonly bytes: number;
  /** What `import(index.mjs)` loads: the entry and the chunks it imports statically. */
  readonly loadedBytes: number;
  /** Files in {@link loadedBytes}. */
  readonly loadedFiles: number;
  /** The largest contributors to the loaded code: npm package (or our folder) → bytes. */
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

interface BuiltBundle extends Omit<BundleFigure, 'importMs' | 'importWithSourceMapsMs'> {
  readonly file: string;
}

async function buildBundle(name: string, entry: FunctionEntry, workDir: string) {
  const outDir = join(workDir, name);
  const metafile = await buildFunction({ entry: join(PROJECT_ROOT, entry.entry), outDir });
  const file = join(outDir, `${HANDLER_MODULE}.mjs`);
  const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith('.mjs'));
  const loaded = staticallyLoaded(metafile, relative(process.cwd(), file));
  const built: BuiltBundle = {
    name,
    file,
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    loadedBytes: loaded.reduce((sum, path) => sum + (metafile.outputs[path]?.bytes ?? 0), 0),
    loadedFiles: loaded.length,
    top: contributors(metafile, loaded),
  };
  return built;
}

/** The output `entry` (a metafile path) and every output it imports statically, transitively. */
export function staticallyLoaded(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    const output = metafile.outputs[path];
    if (output === undefined || seen.has(path)) return;
    seen.add(path);
    for (const imported of output.imports) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return [...seen];
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

/** Bytes of `outputs` by npm package (`@scope/name`) or, for our code, its top folder. */
function contributors(metafile: Metafile, outputs: readonly string[]): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const path of outputs) {
    for (const [source, input] of Object.entries(metafile.outputs[path]?.inputs ?? {})) {
      const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
      const owner = inPackage?.[1] ?? source.split('/').slice(0, 2).join('/');
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
    `\nbench/bundle — each FUNCTION_ENTRIES handler built by buildFunction (what deploys); import = median (p90) of ${runs} fresh processes`,
  );
  const widths = [10, 10, 18, 24, 30];
  console.log(
    row(
      [
        'function',
        'asset JS',
        'loaded (files)',
        'import ms (p90) cpu',
        'with source maps (p90) cpu',
      ],
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
          `${kib(figure.loadedBytes)} (${figure.loadedFiles})`,
          times(figure.importMs),
          times(figure.importWithSourceMapsMs),
        ],
        widths,
      ),
    );
  }
  for (const figure of figures) {
    const top = figure.top.map(([owner, bytes]) => `${owner} ${kib(bytes)}`).join(', ');
    console.log(`  ${figure.name} loaded at import: ${top}`);
  }
  console.log(`  floor: importing an empty module takes ${floorMs} ms (median)`);
  console.log(
    `  asset JS: entry and every chunk; loaded: the entry and the chunks it imports statically (the rest loads on first use)`,
  );
  const biggest = Math.max(...figures.map((figure) => figure.bytes));
  const slowest = Math.max(...figures.map((figure) => figure.importWithSourceMapsMs.median));
  console.log(
    goalLine(`bundle ≤ 1 MB each (largest asset ${kib(biggest)})`, biggest <= MAX_BUNDLE_BYTES),
  );
  console.log(
    goalLine(
      `median import ≤ ${MAX_MEDIAN_IMPORT_MS} ms each, with --enable-source-maps as deployed (slowest ${slowest} ms)`,
      slowest <= MAX_MEDIAN_IMPORT_MS,
    ),
  );
}
