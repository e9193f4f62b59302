/**
 * Merge throughput and peak memory, one configuration per process so peak RSS is its own.
 * Usage: tsx bench/merge.ts <labels> <whole|paged> [memory] [--page=<samples>]  → one JSON line.
 *
 * Pages hold the load's page size (DEFAULT_MERGE_PAGE_SIZE samples) unless `--page` says
 * otherwise: the figure is the merge as a load runs it.
 *
 * Time and memory are measured in separate runs of the paged mode: reading the live heap
 * needs a forced full GC after each page, and a forced GC shrinks V8's young generation, so
 * the page after it paid for scavenges a real load never sees (it doubled the merge time).
 * `memory` forces that GC after every page and reports peak RSS and live heap; without it
 * the pages merge back to back, as a load merges them, and the time is what is reported.
 */
import { mergeAnnotations } from '../lib/merge/index.js';
import { DEFAULT_MERGE_PAGE_SIZE } from '../lib/workflows/inputs.js';
import { benchPage, LABELS_PER_SAMPLE, pageSizeArg } from './merge-workload.js';
import { peakRssKiB } from './stats.js';

const SAMPLES_PER_PAGE = pageSizeArg(DEFAULT_MERGE_PAGE_SIZE);

const WARM_UP_SAMPLES = 10_000;

const labels = Number(process.argv[2] ?? 10_000);
const mode = process.argv[3] === 'whole' ? 'whole' : 'paged';
const memory = process.argv.includes('memory');
const samples = Math.max(1, Math.round(labels / LABELS_PER_SAMPLE));
const pages = Math.ceil(samples / SAMPLES_PER_PAGE);

let mergeMs = 0;
let merged = 0;
let liveHeapBytes = 0;

// Live heap while a merge's input and result are both held: what one step really needs.
// (Peak RSS also counts garbage V8 has not collected yet, which it sizes to the machine.)
const gc = (globalThis as { gc?: () => void }).gc;
function measureLive(): void {
  if (!gc) return;
  gc();
  liveHeapBytes = Math.max(liveHeapBytes, process.memoryUsage().heapUsed);
}
if (mode === 'paged') {
  // Warm-up pages (100k labels' worth, whatever the page size) so JIT compilation is not
  // billed to the measured pages. With 10k labels' worth, the 100k run (100 pages) still
  // paid for tier-up that the 1M run spreads over 1,000, and t(1M)/t(100k) read ~7: time
  // looked to grow slower than linearly. With this it reads 8-12, the real figure.
  for (let warm = 0; warm < Math.ceil(WARM_UP_SAMPLES / SAMPLES_PER_PAGE); warm += 1) {
    mergeAnnotations(benchPage(pages + warm, Math.min(SAMPLES_PER_PAGE, samples)));
  }
  for (let page = 0; page < pages; page += 1) {
    const input = benchPage(page, Math.min(SAMPLES_PER_PAGE, samples - page * SAMPLES_PER_PAGE));
    const start = performance.now();
    const result = mergeAnnotations(input);
    mergeMs += performance.now() - start;
    if (memory) measureLive();
    merged += result.report.fields.gt ? input.samples.length * LABELS_PER_SAMPLE : 0;
  }
} else {
  mergeAnnotations(benchPage(1, Math.min(SAMPLES_PER_PAGE, samples)));
  const input = benchPage(0, samples);
  const start = performance.now();
  const result = mergeAnnotations(input);
  mergeMs = performance.now() - start;
  measureLive();
  merged = result.report.fields.gt ? samples * LABELS_PER_SAMPLE : 0;
}

process.stdout.write(
  `${JSON.stringify({
    bench: 'merge',
    labels: merged,
    mode,
    samplesPerPage: mode === 'paged' ? SAMPLES_PER_PAGE : samples,
    memory,
    mergeMs: Math.round(mergeMs),
    labelsPerSecond: Math.round((merged / mergeMs) * 1000),
    peakRssMiB: Math.round(peakRssKiB() / 1024),
    liveHeapMiB: Math.round(liveHeapBytes / 2 ** 20),
  })}\n`,
);
