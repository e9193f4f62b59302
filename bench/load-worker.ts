/**
 * The measured load worker, bundled like a handler and run by plain `node` (see
 * `./load-rss.ts`). `argv[2]` is a JSON request: one step with the input Step Functions
 * would pass it (`plan`, `download`, `merge`, `finalize`), or `all` for a warm worker that
 * runs the whole load. Prints one JSON line: the step's output and the process's memory.
 */
import { createStore, createStoreClients, destroyStoreClients } from '../lib/store/index.js';
import {
  downloadTask,
  type FinalizeLoadInput,
  finalizeLoad,
  type MergeStagedTaskInput,
  mergeStagedTask,
  type PlanLoadInput,
  planLoad,
  type TaskInput,
} from '../lib/workflows/index.js';
import { type LoadTimings, load, type RunLocation, workflowDeps } from './load-steps.js';
import { peakRssKiB } from './stats.js';

export type WorkerRequest = { readonly location: RunLocation } & (
  | { readonly step: 'all' }
  | { readonly step: 'plan'; readonly input: PlanLoadInput }
  | { readonly step: 'download'; readonly input: TaskInput }
  | { readonly step: 'merge'; readonly input: MergeStagedTaskInput }
  | { readonly step: 'finalize'; readonly input: FinalizeLoadInput }
);

export interface WorkerReport {
  readonly step: WorkerRequest['step'];
  readonly output: unknown;
  readonly ms: number;
  /** RSS once the code is loaded and the clients are built, before any step (KiB). */
  readonly baselineRssKiB: number;
  readonly peakRssKiB: number;
  /** Per kind of step (warm worker): how much each raised the peak, in KiB. */
  readonly raisedKiB: Record<string, number>;
  /** Largest `process.memoryUsage()` seen after a step, in bytes. */
  readonly heapTotal: number;
  readonly external: number;
  /** Heap still reachable after a full GC at the end (needs --expose-gc; 0 without). */
  readonly liveHeap: number;
}

const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest;
const clients = createStoreClients(request.location.clientOptions);
const deps = workflowDeps(createStore(clients, request.location));
const baseline = peakRssKiB();
const raised: Record<string, number> = {};
let peak = baseline;
let heapTotal = 0;
let external = 0;

function observe(step: string): void {
  const now = peakRssKiB();
  raised[step] = (raised[step] ?? 0) + (now - peak);
  peak = now;
  const usage = process.memoryUsage();
  heapTotal = Math.max(heapTotal, usage.heapTotal);
  external = Math.max(external, usage.external);
}

async function runStep(): Promise<unknown> {
  switch (request.step) {
    case 'all':
      return load(deps, observe) satisfies Promise<LoadTimings>;
    case 'plan':
      return planLoad(deps, request.input);
    case 'download':
      return downloadTask(deps, request.input);
    case 'merge':
      return mergeStagedTask(deps, request.input);
    case 'finalize':
      return finalizeLoad(deps, request.input);
  }
}

const start = performance.now();
const output = await runStep();
const ms = performance.now() - start;
if (request.step !== 'all') observe(request.step);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const report: WorkerReport = {
  step: request.step,
  output,
  ms,
  baselineRssKiB: baseline,
  peakRssKiB: peak,
  raisedKiB: raised,
  heapTotal,
  external,
  liveHeap: gc ? process.memoryUsage().heapUsed : 0,
};
destroyStoreClients(clients);
process.stdout.write(`${JSON.stringify(report)}\n`);
