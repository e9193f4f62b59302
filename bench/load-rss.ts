/**
 * Peak RSS of a load worker, for one run size. The driver (this file, no flag) starts the
 * stand-ins, seeds and annotates a run and delivers its results; the load itself runs in a
 * fresh child (`--worker`) that holds nothing but the SDK clients and the workflow steps, so
 * its peak RSS is the load's alone (the stand-ins' memory stays in the driver).
 *
 * Usage: tsx bench/load-rss.ts <samples> <pageSize>  → prints one JSON line.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createStore, createStoreClients, destroyStoreClients } from '../lib/store/index.js';
import {
  annotate,
  DELIVERED_LABELS_PER_SAMPLE,
  deliverResults,
  type LoadTimings,
  load,
  type RunLocation,
  seedDataset,
  startLocalRun,
  workflowDeps,
} from './run-workload.js';

export interface LoadRssFigure {
  readonly samples: number;
  readonly pageSize: number;
  readonly labels: number;
  readonly tasks: number;
  /** RSS once the worker has loaded its code and built its clients, before any step. */
  readonly baselineRssMiB: number;
  readonly peakRssMiB: number;
  /** Which step raised the peak last, and the peak after each kind of step. */
  readonly peakStep: string;
  readonly peakAfter: Record<string, number>;
  /** Heap still reachable after a full GC once each merge step is done (max over tasks). */
  readonly liveHeapAfterMergeMiB: number;
  readonly timings: LoadTimings;
  readonly setupMs: number;
}

const toMiB = (kib: number) => Math.round(kib / 1024);
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const self = fileURLToPath(import.meta.url);

async function worker(location: RunLocation): Promise<void> {
  const clients = createStoreClients(location.clientOptions);
  const store = createStore(clients, location);
  const gc = (globalThis as { gc?: () => void }).gc;
  const baseline = process.resourceUsage().maxRSS;
  const peakAfter: Record<string, number> = {};
  let peakStep = 'baseline';
  let peak = baseline;
  let liveHeap = 0;
  const timings = await load(workflowDeps(store), (step) => {
    const now = process.resourceUsage().maxRSS;
    if (now > peak) {
      peak = now;
      peakStep = step;
    }
    peakAfter[step] = toMiB(now);
    if (step === 'merge' && gc) {
      gc();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    }
  });
  destroyStoreClients(clients);
  process.stdout.write(
    `${JSON.stringify({ baselineRssMiB: toMiB(baseline), peakRssMiB: toMiB(peak), peakStep, peakAfter, liveHeapAfterMergeMiB: Math.round(liveHeap / 2 ** 20), timings })}\n`,
  );
}

async function driver(samples: number, pageSize: number): Promise<void> {
  const started = performance.now();
  const local = await startLocalRun();
  try {
    await seedDataset(local.store, local.location.bucket, samples);
    const { taskIds } = await annotate(workflowDeps(local.store), pageSize);
    await deliverResults(local.store, taskIds);
    const setupMs = Math.round(performance.now() - started);
    // Asynchronous: the stand-ins in this process must keep serving while the worker runs.
    const { stdout } = await promisify(execFile)(
      tsx,
      [self, '--worker', JSON.stringify(local.location)],
      { env: { ...process.env, NODE_OPTIONS: '--expose-gc' }, maxBuffer: 2 ** 24 },
    );
    const measured = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Omit<
      LoadRssFigure,
      'samples' | 'pageSize' | 'labels' | 'tasks' | 'setupMs'
    >;
    const figure: LoadRssFigure = {
      samples,
      pageSize,
      labels: samples * DELIVERED_LABELS_PER_SAMPLE,
      tasks: taskIds.length,
      ...measured,
      setupMs,
    };
    process.stdout.write(`${JSON.stringify(figure)}\n`);
  } finally {
    await local.stop();
  }
}

if (process.argv[2] === '--worker') {
  await worker(JSON.parse(process.argv[3] ?? '{}') as RunLocation);
} else {
  await driver(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 1000));
}
