/**
 * The CVAT backend through the API on the embedded runtime, against the CVAT emulator:
 * `tsx bench/cvat.ts <samples> <boxes>` seeds <samples> 640×480 images (through S3, so
 * the emulator downloads real media) with <boxes> boxes each, annotates them in CVAT tasks
 * of 50 samples split into jobs of 25, edits three boxes per task in CVAT, finishes every
 * job, loads the run, and prints one JSON line: labels/s for upload (AnnotateWorkflow) and
 * for download + merge (LoadWorkflow), and CVAT requests per job for each, by operation.
 * Requests per job must not grow with boxes per sample: never one request per label.
 * The emulator checks every request and response against the published schema in this
 * process, so labels/s here are a floor; read them as ratios.
 */
import { resolve } from 'node:path';
import { startLocalService } from '../lib/local/runtime.js';
import { startCvatEmulator } from '../test/emulators/cvat/index.js';
import { jpeg } from '../test/support/media.js';
import { serviceApi } from './service-api.js';
import { peakRssKiB } from './stats.js';

const samples = Number(process.argv[2] ?? 200);
const boxes = Number(process.argv[3] ?? 50);
const TASK_SIZE = 50;
const SEGMENT_SIZE = 25;
const DATASET = 'cvatbench';
const ANNO_KEY = 'bench';
const hex = (n: number) => n.toString(16).padStart(24, '0').replace(/^0/, 'a');

const cvat = await startCvatEmulator();
const service = await startLocalService({ projectRoot: resolve(import.meta.dirname, '..') });
Object.assign(process.env, {
  FIFTYONE_CVAT_URL: cvat.url,
  FIFTYONE_CVAT_TOKEN: cvat.tokens.admin,
  FIFTYONE_CVAT_JOB_POLL_INTERVAL_MS: '0',
});
const { store } = service;
const { api, waitExecution } = serviceApi(service.apiUrl);
/** CVAT requests since the last call, by `METHOD /path` with ids elided. */
let seen = 0;
const requests = () => {
  const counts: Record<string, number> = {};
  for (const request of cvat.requests.slice(seen)) {
    const name = `${request.method} ${request.path.replace(/\/\d+/g, '/{id}').replace(/\/$/, '')}`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  const total = cvat.requests.length - seen;
  seen = cvat.requests.length;
  return { total, byOperation: Object.fromEntries(Object.entries(counts).sort()) };
};

// Media through S3 (ingest makes the samples), then the boxes.
await store.datasets.create(DATASET, {
  mediaType: 'image',
  sampleFields: { ground_truth: 'Detections' },
});
const image = jpeg(640, 480);
for (let start = 0; start < samples; start += 50) {
  await Promise.all(
    Array.from({ length: Math.min(50, samples - start) }, (_, k) =>
      store.media.put(`datasets/${DATASET}/${start + k}.jpg`, image, 'image/jpeg'),
    ),
  );
}
await service.settled();
let labelNumber = 0;
for (let cursor: string | undefined, first = true; first || cursor; first = false) {
  const page = await store.samples.list(DATASET, { limit: 100, ...(cursor ? { cursor } : {}) });
  for (const stored of page.items) {
    const detections = Array.from({ length: boxes }, (_, b) => {
      labelNumber += 1;
      // Whole pixels at 640×480, so an untouched box round-trips unchanged.
      const x = (b % 20) * 32;
      const y = Math.floor(b / 20) * 24;
      return {
        _cls: 'Detection',
        id: hex(labelNumber),
        label: b % 2 === 0 ? 'car' : 'person',
        bounding_box: [x / 640, y / 480, 16 / 640, 12 / 480],
      };
    });
    await store.samples.updateFields(
      DATASET,
      stored.sample.id,
      { ground_truth: { _cls: 'Detections', detections } },
      stored.version,
    );
  }
  cursor = page.cursor;
}
requests();

const t0 = performance.now();
const started = await api('POST', `/datasets/${DATASET}/runs`, {
  annoKey: ANNO_KEY,
  backend: 'cvat',
  labelField: 'ground_truth',
  labelType: 'detections',
  classes: ['car', 'person', 'truck'],
  pageSize: 1000,
  backendParams: { task_size: TASK_SIZE, segment_size: SEGMENT_SIZE },
});
const annotated = await waitExecution(String(started.executionArn));
const uploadMs = performance.now() - t0;
if (annotated.status !== 'SUCCEEDED')
  throw new Error(`annotate ${annotated.status}: ${annotated.cause}`);
const upload = requests();

// In CVAT: per task, relabel a box, delete one, draw one; then finish every job.
const tasks = (await store.tasks.listByRun(DATASET, ANNO_KEY)).items;
let jobs = 0;
for (const task of tasks) {
  const cvatId = Number(task.backendTaskId);
  const [first, second] = cvat.annotator.shapes(cvatId);
  if (first) cvat.annotator.changeLabel('shape', first.id, 'truck');
  if (second) cvat.annotator.delete('shape', second.id);
  cvat.annotator.addShape(cvatId, {
    type: 'rectangle',
    frame: 0,
    label: 'car',
    points: [600, 400, 630, 430],
  });
  for (const job of cvat.annotator.jobs(cvatId)) {
    cvat.annotator.finishJob(job.id);
    jobs += 1;
  }
}
requests();

const t1 = performance.now();
const load = await api('POST', `/datasets/${DATASET}/runs/${ANNO_KEY}/load`, {});
const loaded = await waitExecution(String(load.executionArn));
const loadMs = performance.now() - t1;
if (loaded.status !== 'SUCCEEDED') throw new Error(`load ${loaded.status}: ${loaded.cause}`);
const download = requests();
const report = await api('GET', `/datasets/${DATASET}/runs/${ANNO_KEY}/report`);
const violations = cvat.violations();

const labels = samples * boxes;
console.log(
  JSON.stringify({
    samples,
    boxes,
    labels,
    tasks: tasks.length,
    jobs,
    uploadMs: Math.round(uploadMs),
    uploadLabelsPerSecond: Math.round((labels / uploadMs) * 1000),
    loadMs: Math.round(loadMs),
    loadLabelsPerSecond: Math.round((labels / loadMs) * 1000),
    uploadRequestsPerJob: Number((upload.total / jobs).toFixed(2)),
    loadRequestsPerJob: Number((download.total / jobs).toFixed(2)),
    totals: report.totals,
    contractViolations: violations.length,
    peakRssMiB: Math.round(peakRssKiB() / 1024),
    requests: { upload: upload.byOperation, load: download.byOperation },
  }),
);
await cvat.stop();
await service.stop();
