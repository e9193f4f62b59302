/**
 * AWS calls per page and cost per million labels merged. Runs annotate, the annotator's
 * delivery and load for one run on the local stand-ins with the call counter on the store's
 * clients, then prices the counts with PERFORMANCE.md §9.
 *
 * Usage: tsx bench/aws-cost.ts <samples> <pageSize>  → prints the breakdown, then one JSON line.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOTATION_SERVICE_DEFAULTS } from '../cdk/annotation-service.js';
import { createStore, createStoreClients, destroyStoreClients } from '../lib/store/index.js';
import { type CommandCount, countCalls } from './call-counter.js';
import {
  annotate,
  DELIVERED_LABELS_PER_SAMPLE,
  deliverResults,
  load,
  seedDataset,
  startLocalRun,
  workflowDeps,
} from './run-workload.js';
import { goalLine, row } from './stats.js';

/** PERFORMANCE.md §9 (us-east-1 list prices as stored there). */
export const PRICES = {
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  sfnStandardTransition: 0.025 / 1000,
  dynamodbWriteUnit: 0.625 / 1e6,
  dynamodbReadUnit: 0.125 / 1e6,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
} as const;

export const MAX_DOLLARS_PER_MILLION_LABELS = 0.5;
/** Memory assumed for a workflow Lambda that `ANNOTATION_SERVICE_DEFAULTS` does not size yet. */
const ASSUMED_MEMORY_MIB = 1024;
/** PUT, COPY, POST, LIST are billed as PUT; DELETE is free; everything else as GET. */
const S3_PUT_CLASS = /^(Put|Copy|Post|List|Create|Upload|Complete)/;
const S3_FREE = /^Delete/;

type Phase = 'annotate' | 'deliver' | 'load';

/** The function's memory in the CDK defaults, or the assumption when it has none yet. */
function memoryOf(functionName: string): { mib: number; source: string } {
  const defaults = ANNOTATION_SERVICE_DEFAULTS as Record<string, unknown>;
  const sizing = defaults[functionName] as { memorySize?: unknown } | undefined;
  if (typeof sizing?.memorySize === 'number') {
    return { mib: sizing.memorySize, source: 'ANNOTATION_SERVICE_DEFAULTS' };
  }
  return { mib: ASSUMED_MEMORY_MIB, source: 'assumed: not in ANNOTATION_SERVICE_DEFAULTS yet' };
}

interface PhaseCost {
  readonly dynamodb: number;
  readonly s3: number;
  readonly lambda: number;
  readonly stepFunctions: number;
}

function callCost(counts: ReadonlyMap<string, CommandCount>): { dynamodb: number; s3: number } {
  let dynamodb = 0;
  let s3 = 0;
  for (const [key, count] of counts) {
    const [service, command = ''] = key.split(' ');
    if (service === 'dynamodb') {
      dynamodb += count.readUnits * PRICES.dynamodbReadUnit;
      dynamodb += (count.writeUnits + count.indexWriteUnits) * PRICES.dynamodbWriteUnit;
    } else if (!S3_FREE.test(command)) {
      s3 += count.calls * (S3_PUT_CLASS.test(command) ? PRICES.s3Put : PRICES.s3Get);
    }
  }
  return { dynamodb, s3 };
}

function lambdaCost(invocations: number, memoryMiB: number, totalMs: number): number {
  const gbSeconds = (memoryMiB / 1024) * (Math.ceil(totalMs) / 1000);
  return invocations * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaArmGbSecond;
}

function printCounts(phase: Phase, counts: ReadonlyMap<string, CommandCount>, pages: number) {
  console.log(`  ${phase}: calls per page (${pages} page${pages === 1 ? '' : 's'})`);
  const widths = [30, 10, 10, 10, 12];
  console.log(`  ${row(['command', 'calls', 'presigns', 'read RU', 'write RU (+gsi)'], widths)}`);
  for (const [key, count] of counts) {
    const per = (value: number) => Math.round((value / pages) * 10) / 10;
    const writes = `${per(count.writeUnits)}${count.indexWriteUnits ? ` (+${per(count.indexWriteUnits)})` : ''}`;
    console.log(
      `  ${row([key, per(count.calls), per(count.presigns), per(count.readUnits), writes], widths)}`,
    );
  }
}

const copy = (counts: ReadonlyMap<string, CommandCount>) =>
  new Map([...counts].map(([key, count]) => [key, { ...count }]));

export async function benchCost(samples: number, pageSize: number) {
  const local = await startLocalRun();
  const clients = createStoreClients(local.location.clientOptions);
  try {
    await seedDataset(local.store, local.location.bucket, samples);
    const counter = await countCalls(clients);
    const deps = workflowDeps(createStore(clients, local.location));

    const annotated = await annotate(deps, pageSize);
    const annotateCounts = copy(counter.counts);
    counter.reset();
    await deliverResults(deps.store, annotated.taskIds);
    const deliverCounts = copy(counter.counts);
    counter.reset();
    const loaded = await load(deps);
    const loadCounts = copy(counter.counts);

    const pages = annotated.pages;
    const labels = samples * DELIVERED_LABELS_PER_SAMPLE;
    const annotateMemory = memoryOf('annotate');
    const loadMemory = memoryOf('load');
    const webhookMemory = memoryOf('webhook');
    // Step Functions (Standard), per the workflows' states: annotate = Prepare Annotate, the
    // Upload Pages Map, Open Run once, plus one Upload Page per page; load is started once per
    // finished task (webhook / S3 trigger), so per page: Plan Load, two Maps, Download Task,
    // Merge Staged Task, Finalize Load.
    const transitions = { annotate: 3 + pages, load: 6 * pages };
    const annotateInvocations = 2 + pages;
    const loadInvocations = 4 * pages;
    const annotateMs = annotated.prepareMs + annotated.uploadMs + annotated.openMs;
    const loadMs = loaded.planMs + loaded.downloadMs + loaded.mergeMs + loaded.finalizeMs;
    // The trigger that starts each load (not built yet): one invocation of ~100 ms per task.
    const webhookMs = 100 * pages;

    const phases: Record<Phase, PhaseCost> = {
      annotate: {
        ...callCost(annotateCounts),
        lambda: lambdaCost(annotateInvocations, annotateMemory.mib, annotateMs),
        stepFunctions: transitions.annotate * PRICES.sfnStandardTransition,
      },
      deliver: {
        ...callCost(deliverCounts),
        lambda: lambdaCost(pages, webhookMemory.mib, webhookMs),
        stepFunctions: 0,
      },
      load: {
        ...callCost(loadCounts),
        lambda: lambdaCost(loadInvocations, loadMemory.mib, loadMs),
        stepFunctions: transitions.load * PRICES.sfnStandardTransition,
      },
    };

    console.log(
      `\nbench/aws-cost — ${samples} samples × ${DELIVERED_LABELS_PER_SAMPLE} labels delivered, page = ${pageSize} samples, files backend, every sample edited`,
    );
    printCounts('annotate', annotateCounts, pages);
    printCounts('deliver', deliverCounts, pages);
    printCounts('load', loadCounts, pages);
    console.log(
      `  lambda: annotate ${Math.round(annotateMs)} ms at ${annotateMemory.mib} MiB (${annotateMemory.source}); load ${Math.round(loadMs)} ms at ${loadMemory.mib} MiB (${loadMemory.source}); trigger ${pages} × 100 ms at ${webhookMemory.mib} MiB (estimate)`,
    );
    console.log(
      `  step functions (estimate): annotate 3 + 1/page = ${transitions.annotate}, load 6/page (one execution per task) = ${transitions.load} transitions`,
    );
    const perMillion = (dollars: number) => (dollars / labels) * 1e6;
    const widths = [12, 10, 10, 10, 10, 10];
    console.log(`  $ per million labels merged`);
    console.log(`  ${row(['phase', 'dynamodb', 's3', 'lambda', 'sfn', 'total'], widths)}`);
    let total = 0;
    for (const [phase, cost] of Object.entries(phases)) {
      const sum = cost.dynamodb + cost.s3 + cost.lambda + cost.stepFunctions;
      total += sum;
      const cells = [cost.dynamodb, cost.s3, cost.lambda, cost.stepFunctions, sum];
      console.log(`  ${row([phase, ...cells.map((c) => perMillion(c).toFixed(4))], widths)}`);
    }
    const dollarsPerMillion = perMillion(total);
    console.log(`  ${row(['all', '', '', '', '', dollarsPerMillion.toFixed(4)], widths)}`);
    console.log(
      goalLine(
        `cost ≤ $${MAX_DOLLARS_PER_MILLION_LABELS} per million labels, excluding tool fees ($${dollarsPerMillion.toFixed(3)})`,
        dollarsPerMillion <= MAX_DOLLARS_PER_MILLION_LABELS,
      ),
    );
    return { samples, pageSize, pages, labels, dollarsPerMillion, phases };
  } finally {
    destroyStoreClients(clients);
    await local.stop();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figure = await benchCost(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 1000));
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}
