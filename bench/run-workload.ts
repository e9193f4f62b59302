/**
 * A synthetic annotation run driven through the real workflow steps on the local stand-ins:
 * a dataset of image samples with 10 detections each, `prepareAnnotate → uploadPage →
 * openRun` with the files backend, and an "annotator" that edits every sample. The load
 * (`./load-steps.ts`) then runs `planLoad → downloadTask → mergeStagedTask → finalizeLoad`,
 * step by step as the state machines run them.
 */
import { manifestKey, resultKey, type TaskManifest } from '../lib/backends/files/index.js';
import type { Sample } from '../lib/labels/index.js';
import { createStoreResources, type StandIns, startStandIns } from '../lib/local/stand-ins.js';
import {
  createStore,
  createStoreClients,
  destroyStoreClients,
  type Store,
  type StoreClients,
} from '../lib/store/index.js';
import { openRun, prepareAnnotate, uploadPage, type WorkflowDeps } from '../lib/workflows/index.js';
import { ANNO_KEY, DATASET, type RunLocation } from './load-steps.js';

export { ANNO_KEY, DATASET, load, type RunLocation, workflowDeps } from './load-steps.js';
export const LABELS_PER_SAMPLE = 10;
/** Each sample comes back with one label relabelled and one added: every sample changes. */
export const DELIVERED_LABELS_PER_SAMPLE = LABELS_PER_SAMPLE + 1;
const CLASSES = ['car', 'person', 'truck', 'bike'];
const SEED_CHUNK = 500;

const oid = (n: number): string => n.toString(16).padStart(24, '0');
const sampleId = (n: number): string => `s${String(n).padStart(6, '0')}`;

export interface LocalRun {
  readonly standIns: StandIns;
  readonly clients: StoreClients;
  readonly store: Store;
  readonly location: RunLocation;
  stop(): Promise<void>;
}

/** Stand-ins in this process, a fresh table and bucket, and a store on them. */
export async function startLocalRun(): Promise<LocalRun> {
  const standIns = await startStandIns();
  const clients = createStoreClients(standIns.clientOptions);
  const names = { tableName: 'annoflow-bench', bucket: 'media-bench' };
  await createStoreResources(clients, names);
  return {
    standIns,
    clients,
    store: createStore(clients, names),
    location: { clientOptions: standIns.clientOptions, ...names },
    async stop() {
      destroyStoreClients(clients);
      await standIns.stop();
    },
  };
}

function benchSample(n: number, bucket: string): Sample {
  const id = sampleId(n);
  const detections = Array.from({ length: LABELS_PER_SAMPLE }, (_, k) => ({
    _cls: 'Detection',
    id: oid(n * LABELS_PER_SAMPLE + k + 1),
    label: CLASSES[k % CLASSES.length],
    bounding_box: [0.05 * (k % 10), 0.05 * (k % 7), 0.1, 0.12],
    confidence: 0.5 + (k % 5) / 10,
  }));
  return {
    id,
    filepath: `s3://${bucket}/datasets/${DATASET}/${id}.jpg`,
    media_type: 'image',
    metadata: { width: 640, height: 480 },
    tags: [],
    ground_truth: { _cls: 'Detections', detections },
  };
}

/** Creates the dataset with `samples` samples (no media objects: presigning needs none). */
export async function seedDataset(store: Store, bucket: string, samples: number): Promise<void> {
  await store.datasets.create(DATASET, {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections' },
  });
  for (let start = 0; start < samples; start += SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, samples - start);
    const chunk = Array.from({ length: count }, (_, k) => benchSample(start + k, bucket));
    await store.samples.batchPut(DATASET, chunk);
  }
}

export interface Annotated {
  readonly taskIds: string[];
  readonly pages: number;
  /** Each step timed on its own, as each is its own Lambda invocation (uploads summed). */
  readonly prepareMs: number;
  readonly uploadMs: number;
  readonly openMs: number;
}

/** AnnotateWorkflow, step by step. */
export async function annotate(deps: WorkflowDeps, pageSize: number): Promise<Annotated> {
  let start = performance.now();
  const prepared = await prepareAnnotate(deps, {
    dataset: DATASET,
    annoKey: ANNO_KEY,
    labelField: 'ground_truth',
    classes: CLASSES,
    pageSize,
  });
  const prepareMs = performance.now() - start;
  const taskIds: string[] = [];
  start = performance.now();
  for (const page of prepared.pages) {
    const uploaded = await uploadPage(deps, { dataset: DATASET, annoKey: ANNO_KEY, page });
    taskIds.push(...uploaded.taskIds);
  }
  const uploadMs = performance.now() - start;
  start = performance.now();
  await openRun(deps, { dataset: DATASET, annoKey: ANNO_KEY });
  const openMs = performance.now() - start;
  return { taskIds, pages: prepared.pages.length, prepareMs, uploadMs, openMs };
}

type ManifestSample = TaskManifest['samples'][number];

function annotateSample(sample: ManifestSample): ManifestSample {
  const field = sample.fields.ground_truth as { detections: Array<Record<string, unknown>> };
  const [first, ...rest] = field.detections;
  const relabelled = first ? [{ ...first, label: first.label === 'car' ? 'truck' : 'car' }] : [];
  const added = { _cls: 'Detection', label: 'bike', bounding_box: [0.7, 0.7, 0.1, 0.1] };
  return {
    ...sample,
    fields: { ground_truth: { ...field, detections: [...relabelled, ...rest, added] } },
  };
}

/** The annotator: every task's manifest comes back as its result, every sample edited. */
export async function deliverResults(store: Store, taskIds: readonly string[]): Promise<void> {
  for (const taskId of taskIds) {
    // A key never used before is its run's object key.
    const location = { dataset: DATASET, objectKey: ANNO_KEY, taskId };
    const object = await store.media.read(manifestKey(location));
    if (object === undefined) throw new Error(`bench: no manifest for task ${taskId}`);
    const manifest = JSON.parse(Buffer.from(object.body).toString('utf8')) as TaskManifest;
    const result = { ...manifest, samples: manifest.samples.map(annotateSample) };
    await store.media.put(resultKey(location), JSON.stringify(result), 'application/json');
  }
}
