/** Runs `load-rss.ts` once per run size (each in its own processes) and prints the ratio. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadRssFigure } from './load-rss.js';
import { goalLine, row } from './stats.js';

export const MAX_RSS_RATIO = 1.2;

const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const script = fileURLToPath(new URL('./load-rss.ts', import.meta.url));

export function loadRssFigure(samples: number, pageSize: number): LoadRssFigure {
  const output = execFileSync(tsx, [script, String(samples), String(pageSize)], {
    encoding: 'utf8',
    maxBuffer: 2 ** 24,
  });
  return JSON.parse(output.trim().split('\n').at(-1) as string) as LoadRssFigure;
}

export function benchLoadRss(sizes: readonly number[], pageSize: number): LoadRssFigure[] {
  console.log(
    `\nbench/load-rss — load worker (plan → download → merge → finalize, every task) in a fresh process; page = ${pageSize} samples`,
  );
  const widths = [10, 8, 6, 13, 10, 12, 22, 16];
  console.log(
    row(
      [
        'labels',
        'samples',
        'tasks',
        'baseline MiB',
        'peak MiB',
        'peak step',
        'live heap/merge MiB',
        'load s (merge)',
      ],
      widths,
    ),
  );
  const figures = sizes.map((samples) => loadRssFigure(samples, pageSize));
  for (const figure of figures) {
    const { timings } = figure;
    const loadSeconds =
      (timings.planMs + timings.downloadMs + timings.mergeMs + timings.finalizeMs) / 1000;
    console.log(
      row(
        [
          figure.labels,
          figure.samples,
          figure.tasks,
          figure.baselineRssMiB,
          figure.peakRssMiB,
          figure.peakStep,
          figure.liveHeapAfterMergeMiB,
          `${loadSeconds.toFixed(1)} (${(timings.mergeMs / 1000).toFixed(1)})`,
        ],
        widths,
      ),
    );
  }
  const first = figures[0];
  const last = figures.at(-1);
  if (first && last && first !== last) {
    const ratio = last.peakRssMiB / first.peakRssMiB;
    const above = (f: LoadRssFigure) => f.peakRssMiB - f.baselineRssMiB;
    console.log(
      `  above baseline: ${above(first)} MiB vs ${above(last)} MiB; labels/s through load: ${Math.round(last.labels / ((last.timings.planMs + last.timings.downloadMs + last.timings.mergeMs + last.timings.finalizeMs) / 1000))} (local stand-ins)`,
    );
    console.log(
      goalLine(
        `peak RSS(${last.labels} labels) / RSS(${first.labels}) ≤ ${MAX_RSS_RATIO} (${ratio.toFixed(2)})`,
        ratio <= MAX_RSS_RATIO,
      ),
    );
  }
  return figures;
}
