/**
 * Peak RSS of the load worker for one run size. This driver starts the stand-ins, seeds and
 * annotates a run and delivers its results; the load runs in child processes of plain `node`
 * on `./load-worker.ts` bundled by the CDK's `buildFunction` (as a Lambda runs it), so a
 * child's peak RSS is the load's alone: the stand-ins' memory stays in this process.
 *
 * - `steps`: every step in a fresh process (a cold invocation each): plan, each task's
 *   download and merge, finalize. Peak = the largest of any step.
 * - `warm`: one process runs the whole load, as one warm Lambda serving every step would.
 *
 * Usage: tsx bench/load-rss.ts <samples> <pageSize> <steps|warm> [node flags for the worker…]
 * → prints one JSON line.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildFunction, HANDLER_MODULE } from '../cdk/function-build.js';
import type { LoadPlan, StagedTask } from '../lib/workflows/index.js';
import type { WorkerReport, WorkerRequest } from './load-worker.js';
import {
  ANNO_KEY,
  annotate,
  DATASET,
  DELIVERED_LABELS_PER_SAMPLE,
  deliverResults,
  type RunLocation,
  seedDataset,
  startLocalRun,
  workflowDeps,
} from './run-workload.js';

export type LoadRssMode = 'steps' | 'warm';

export interface LoadRssFigure {
  readonly mode: LoadRssMode;
  readonly samples: number;
  readonly pageSize: number;
  readonly labels: number;
  readonly tasks: number;
  /** Largest RSS of a worker with its code loaded and clients built, before any step. */
  readonly baselineRssMiB: number;
  readonly peakRssMiB: number;
  /** Peak RSS per kind of step (`steps`), or how much each kind raised it (`warm`). */
  readonly byStepMiB: Record<string, number>;
  /** `steps`: the peak of each merge invocation, in task order (one per task). */
  readonly mergePeaksMiB: number[];
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
  readonly liveHeapMiB: number;
  /** Wall time of the load's steps, summed, in ms. */
  readonly loadMs: number;
  readonly mergeMs: number;
}

const toMiB = (kib: number) => Math.round(kib / 1024);
const bytesToMiB = (bytes: number) => Math.round(bytes / 2 ** 20);

async function bundleWorker(dir: string): Promise<string> {
  const entry = fileURLToPath(new URL('./load-worker.ts', import.meta.url));
  await buildFunction({ entry, outDir: dir });
  return join(dir, `${HANDLER_MODULE}.mjs`);
}

function worker(bundle: string, flags: readonly string[]) {
  const run = promisify(execFile);
  // Asynchronous: the stand-ins in this process must keep serving while a worker runs.
  return async (request: WorkerRequest): Promise<WorkerReport> => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--enable-source-maps', ...flags, bundle, JSON.stringify(request)],
      { maxBuffer: 2 ** 26, env: { PATH: process.env.PATH ?? '' } },
    );
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as WorkerReport;
  };
}

async function measure(
  mode: LoadRssMode,
  location: RunLocation,
  call: (request: WorkerRequest) => Promise<WorkerReport>,
): Promise<WorkerReport[]> {
  if (mode === 'warm') return [await call({ location, step: 'all' })];
  const ref = { dataset: DATASET, annoKey: ANNO_KEY };
  const reports: WorkerReport[] = [];
  const step = async (request: WorkerRequest) => {
    const report = await call(request);
    reports.push(report);
    return report.output;
  };
  const plan = (await step({ location, step: 'plan', input: ref })) as LoadPlan;
  for (const taskId of plan.taskIds) {
    const staged = (await step({
      location,
      step: 'download',
      input: { ...ref, taskId },
    })) as StagedTask;
    await step({ location, step: 'merge', input: { ...ref, taskId, stagedKey: staged.stagedKey } });
  }
  await step({
    location,
    step: 'finalize',
    input: { ...ref, loadId: plan.loadId, taskIds: plan.taskIds },
  });
  return reports;
}

function figureOf(
  mode: LoadRssMode,
  run: { samples: number; pageSize: number; tasks: number },
  reports: readonly WorkerReport[],
): LoadRssFigure {
  const max = (pick: (report: WorkerReport) => number) => Math.max(...reports.map(pick));
  const byStep: Record<string, number> = {};
  for (const report of reports) {
    const entries =
      mode === 'warm' ? Object.entries(report.raisedKiB) : [[report.step, report.peakRssKiB]];
    for (const [step, kib] of entries as Array<[string, number]>) {
      byStep[step] = Math.max(byStep[step] ?? 0, toMiB(kib));
    }
  }
  const mergeMs =
    mode === 'warm'
      ? ((reports[0]?.output as { mergeMs?: number } | undefined)?.mergeMs ?? 0)
      : reports.filter((r) => r.step === 'merge').reduce((sum, r) => sum + r.ms, 0);
  return {
    mode,
    ...run,
    labels: run.samples * DELIVERED_LABELS_PER_SAMPLE,
    baselineRssMiB: toMiB(max((report) => report.baselineRssKiB)),
    peakRssMiB: toMiB(max((report) => report.peakRssKiB)),
    byStepMiB: byStep,
    mergePeaksMiB:
      mode === 'warm'
        ? []
        : reports.filter((r) => r.step === 'merge').map((r) => toMiB(r.peakRssKiB)),
    heapTotalMiB: bytesToMiB(max((report) => report.heapTotal)),
    externalMiB: bytesToMiB(max((report) => report.external)),
    liveHeapMiB: bytesToMiB(max((report) => report.liveHeap)),
    loadMs: Math.round(reports.reduce((sum, report) => sum + report.ms, 0)),
    mergeMs: Math.round(mergeMs),
  };
}

async function driver(
  samples: number,
  pageSize: number,
  mode: LoadRssMode,
  flags: readonly string[],
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'annoflow-load-worker-'));
  const local = await startLocalRun();
  try {
    const call = worker(await bundleWorker(dir), flags);
    await seedDataset(local.store, local.location.bucket, samples);
    const { taskIds } = await annotate(workflowDeps(local.store), pageSize);
    await deliverResults(local.store, taskIds);
    const reports = await measure(mode, local.location, call);
    const figure = figureOf(mode, { samples, pageSize, tasks: taskIds.length }, reports);
    process.stdout.write(`${JSON.stringify(figure)}\n`);
  } finally {
    await local.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await driver(
  Number(process.argv[2] ?? 1000),
  Number(process.argv[3] ?? 1000),
  process.argv[4] === 'warm' ? 'warm' : 'steps',
  process.argv.slice(5),
);
