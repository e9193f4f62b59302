/**
 * End-to-end throughput on the embedded runtime (`npm start`'s service, in this process):
 * `tsx bench/e2e.ts <samples>` seeds a dataset of <samples> images with 10 boxes each,
 * annotates it with the files backend through the API (AnnotateWorkflow), delivers every
 * task's result edited (a relabel and a deletion per sample), loads it (LoadWorkflow) and
 * prints one JSON line: samples/s through annotate, labels/s through load, peak RSS.
 * Stand-ins (dynalite, s3rver) bound these figures, not Lambda; read them as ratios.
 */
import { resolve } from 'node:path';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import type { TaskManifest } from '../lib/backends/files/index.js';
import type { Sample } from '../lib/labels/index.js';
import { startLocalService } from '../lib/local/runtime.js';
import { sharedStoreClients } from '../lib/store/clients.js';
import { serviceApi } from './service-api.js';
import { peakRssKiB } from './stats.js';

const samples = Number(process.argv[2] ?? 1000);
const BOXES = 10;
const DATASET = 'bench';
const hex = (n: number, width = 24) => n.toString(16).padStart(width, '0');

const service = await startLocalService({ projectRoot: resolve(import.meta.dirname, '..') });
const { store } = service;
const { api, waitExecution } = serviceApi(service.apiUrl);

await store.datasets.create(DATASET, {
  mediaType: 'image',
  sampleFields: { ground_truth: 'Detections' },
});
for (let start = 0; start < samples; start += 500) {
  const batch: Sample[] = [];
  for (let i = start; i < Math.min(samples, start + 500); i += 1) {
    batch.push({
      id: hex(i),
      filepath: `s3://${service.model.mediaBucket}/datasets/${DATASET}/${i}.jpg`,
      media_type: 'image',
      metadata: { width: 640, height: 480 },
      tags: [],
      ground_truth: {
        _cls: 'Detections',
        detections: Array.from({ length: BOXES }, (_, b) => ({
          _cls: 'Detection',
          id: hex(i * BOXES + b + 1, 24).replace(/^0/, 'a'),
          label: b % 2 === 0 ? 'car' : 'person',
          bounding_box: [0.01 * b, 0.02 * b, 0.05, 0.05],
        })),
      },
    } as Sample);
  }
  await store.samples.batchPut(DATASET, batch);
}

// Every call the handlers make, by command: the shared clients are the ones they use.
const calls = new Map<string, number>();
const shared = sharedStoreClients();
// Presigning runs the stack too (GetObject per media URL) without sending: counted apart.
const counter: InitializeMiddleware<object, MetadataBearer> = (next, context) => async (args) => {
  const name = String(context.commandName);
  calls.set(name, (calls.get(name) ?? 0) + 1);
  return next(args);
};
shared.dynamodb.middlewareStack.add(counter, { step: 'initialize', name: 'benchCallCounter' });
(await shared.s3.get()).middlewareStack.add(counter as never, {
  step: 'initialize',
  name: 'benchCallCounter',
});
const phase = () => {
  const snapshot = Object.fromEntries([...calls.entries()].sort());
  calls.clear();
  return snapshot;
};

const t0 = performance.now();
const started = await api('POST', `/datasets/${DATASET}/runs`, {
  annoKey: 'bench',
  labelField: 'ground_truth',
  labelType: 'detections',
  classes: ['car', 'person', 'truck'],
  pageSize: 1000,
});
const annotated = await waitExecution(String(started.executionArn));
const annotateMs = performance.now() - t0;
if (annotated.status !== 'SUCCEEDED')
  throw new Error(`annotate ${annotated.status}: ${annotated.cause}`);

const annotateCalls = phase();
const status = await api('GET', `/datasets/${DATASET}/runs/bench/status`);
for (const task of status.tasks as Array<{ taskId: string }>) {
  const key = `runs/${DATASET}/bench/tasks/${task.taskId}.json`;
  const object = await store.media.read(key);
  const manifest = JSON.parse(new TextDecoder().decode(object?.body)) as TaskManifest;
  for (const sample of manifest.samples) {
    const field = sample.fields.ground_truth as { detections: Array<Record<string, unknown>> };
    field.detections = field.detections
      .slice(1)
      .map((box, index) => (index === 0 ? { ...box, label: 'truck' } : box));
  }
  await store.media.put(
    `runs/${DATASET}/bench/results/${task.taskId}.json`,
    JSON.stringify(manifest),
    'application/json',
  );
}
await service.idle();
const deliverCalls = phase();

const t1 = performance.now();
const load = await api('POST', `/datasets/${DATASET}/runs/bench/load`, {});
const loaded = await waitExecution(String(load.executionArn));
const loadMs = performance.now() - t1;
if (loaded.status !== 'SUCCEEDED') throw new Error(`load ${loaded.status}: ${loaded.cause}`);
const loadCalls = phase();
const report = await api('GET', `/datasets/${DATASET}/runs/bench/report`);

const labels = samples * BOXES;
console.log(
  JSON.stringify({
    samples,
    labels,
    tasks: (status.tasks as unknown[]).length,
    annotateMs: Math.round(annotateMs),
    samplesPerSecond: Math.round((samples / annotateMs) * 1000),
    loadMs: Math.round(loadMs),
    labelsPerSecond: Math.round((labels / loadMs) * 1000),
    totals: report.totals,
    peakRssMiB: Math.round(peakRssKiB() / 1024),
    calls: { annotate: annotateCalls, deliver: deliverCalls, load: loadCalls },
  }),
);
await service.stop();
