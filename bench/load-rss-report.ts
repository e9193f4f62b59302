/** Runs `load-rss.ts` per run size and mode (each in its own processes) and prints ratios. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FUNCTION_ENTRIES } from '../cdk/function-entries.js';
import type { LoadRssFigure, LoadRssMode } from './load-rss.js';
import { goalLine, row } from './stats.js';

export const MAX_RSS_RATIO = 1.2;

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const script = fileURLToPath(new URL('./load-rss.ts', import.meta.url));

/** The load function's Node flags as deployed (beside `--enable-source-maps`, which the worker adds). */
const LOAD_NODE_OPTIONS = FUNCTION_ENTRIES.load.nodeOptions ?? [];

export function loadRssFigure(samples: number, pageSize: number, mode: LoadRssMode) {
  const args = [script, String(samples), String(pageSize), mode, ...LOAD_NODE_OPTIONS];
  const output = execFileSync(tsx, args, { encoding: 'utf8', maxBuffer: 2 ** 24 });
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadRssFigure;
}

const WIDTHS = [6, 8, 8, 6, 9, 6, 44, 10, 10, 8];

function printFigure(figure: LoadRssFigure): void {
  const steps = Object.entries(figure.byStepMiB)
    .map(([step, mib]) => `${step} ${mib}`)
    .join(', ');
  const labelsPerSecond = Math.round(figure.labels / (figure.loadMs / 1000));
  console.log(
    row(
      [
        figure.mode,
        figure.labels,
        figure.samples,
        figure.tasks,
        figure.baselineRssMiB,
        figure.peakRssMiB,
        steps,
        figure.heapTotalMiB,
        figure.liveHeapMiB,
        labelsPerSecond,
      ],
      WIDTHS,
    ),
  );
}

/**
 * @param plateauSamples a further warm run this size (more tasks than the largest of `sizes`):
 *   whether a warm process keeps growing with the run or levels off.
 */
export function benchLoadRss(
  sizes: readonly number[],
  pageSize: number,
  modes: readonly LoadRssMode[],
  plateauSamples?: number,
): LoadRssFigure[] {
  console.log(
    `\nbench/load-rss — load worker (bundled like a handler, plain node, --enable-source-maps ${LOAD_NODE_OPTIONS.join(' ')}, as the load function runs) against the stand-ins; page = ${pageSize} samples, MiB`,
  );
  console.log(
    '  steps: each step in a fresh process, by step = that step’s peak; warm: one process runs the whole load, by step = how much each kind of step raised the peak',
  );
  const head = ['mode', 'labels', 'samples', 'tasks', 'baseline', 'peak'];
  const tail = ['by step', 'heapTotal', 'live heap', 'labels/s'];
  console.log(row([...head, ...tail], WIDTHS));
  const figures: LoadRssFigure[] = [];
  for (const mode of modes) {
    const ofMode = sizes.map((samples) => loadRssFigure(samples, pageSize, mode));
    for (const figure of ofMode) printFigure(figure);
    figures.push(...ofMode);
  }
  for (const mode of modes) {
    const ofMode = figures.filter((figure) => figure.mode === mode);
    const first = ofMode[0];
    const last = ofMode.at(-1);
    if (!first || !last || first === last) continue;
    const ratio = last.peakRssMiB / first.peakRssMiB;
    if (mode === 'steps') {
      // One merge invocation's peak varies by tens of MiB with GC timing, and the larger run
      // takes the max of more of them: show the spread beside the ratio.
      const spread = (f: LoadRssFigure) =>
        `${Math.min(...f.mergePeaksMiB)}–${Math.max(...f.mergePeaksMiB)}`;
      console.log(
        `  merge invocations' peaks: ${spread(first)} MiB (${first.tasks} task) vs ${spread(last)} MiB (${last.tasks} tasks)`,
      );
    }
    console.log(
      goalLine(
        `${mode}: peak RSS(${last.labels} labels) / RSS(${first.labels}) ≤ ${MAX_RSS_RATIO} (${ratio.toFixed(2)})`,
        ratio <= MAX_RSS_RATIO,
      ),
    );
    if (mode === 'warm' && plateauSamples !== undefined) {
      // V8 sizes a long-lived heap up over its first tasks (the live heap does not grow), so
      // the ratio above mostly measures that warm-up; this shows whether it stops.
      const more = loadRssFigure(plateauSamples, pageSize, mode);
      printFigure(more);
      figures.push(more);
      console.log(
        `  warm, ${more.tasks} tasks vs ${last.tasks}: peak RSS ${more.peakRssMiB} vs ${last.peakRssMiB} MiB (${(more.peakRssMiB / last.peakRssMiB).toFixed(2)}), live heap ${more.liveHeapMiB} vs ${last.liveHeapMiB} MiB`,
      );
    }
  }
  return figures;
}
