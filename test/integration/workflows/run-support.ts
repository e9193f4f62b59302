import type { TaskManifest } from '../../../lib/backends/files/index.js';
import type { BackendFactory } from '../../../lib/backends/index.js';
import { BackendRegistry } from '../../../lib/backends/index.js';
import type { AnnotationConfig } from '../../../lib/config/index.js';
import type { Sample } from '../../../lib/labels/index.js';
import type { Store } from '../../../lib/store/index.js';
import {
  type AnnotateRequest,
  downloadTask,
  finalizeLoad,
  mergeStagedTask,
  openRun,
  planLoad,
  prepareAnnotate,
  uploadPage,
  type WorkflowDeps,
} from '../../../lib/workflows/index.js';
import { readJson } from '../../support/bucket.js';
import { detection, detections, oid } from '../../support/builders.js';
import type { LocalStore } from '../../support/local-aws.js';
import { jpeg } from '../../support/media.js';

export const DATASET = 'street';
export const A = oid(0xa);
export const B = oid(0xb);
export const C = oid(0xc);
export const D = oid(0xd);

export const CONFIG: AnnotationConfig = { defaultBackend: 'files', backends: { files: {} } };

/** Fixed time, so two stores given the same steps end byte for byte the same. */
export const clock = () => new Date('2026-01-02T03:04:05.000Z');

export function depsFor(
  store: Store,
  extra: { backends?: BackendRegistry; config?: AnnotationConfig; mergePageSize?: number } = {},
): WorkflowDeps {
  return {
    store,
    backends: extra.backends ?? new BackendRegistry(),
    config: extra.config ?? CONFIG,
    clock,
    ...(extra.mergePageSize ? { mergePageSize: extra.mergePageSize } : {}),
  };
}

/**
 * Four images: s1 with boxes A (car) and B (person), s2 with C (car), s3 with D (person),
 * s4 with none; `weather` on each. s1-s3 are tagged `review`.
 */
export async function seedDataset(local: LocalStore): Promise<void> {
  const { store, bucket } = local;
  await store.datasets.create(DATASET, {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections', weather: 'StringField' },
  });
  const image = async (id: string, fields: Record<string, unknown>, tags: string[]) => {
    await store.media.put(`datasets/street/${id}.jpg`, jpeg(64, 48), 'image/jpeg');
    const sample: Sample = {
      id,
      filepath: `s3://${bucket}/datasets/street/${id}.jpg`,
      media_type: 'image',
      metadata: { width: 64, height: 48 },
      tags,
      ...fields,
    };
    return sample;
  };
  await store.samples.batchPut(DATASET, [
    await image(
      's1',
      { ground_truth: detections(detection(A, 'car'), detection(B, 'person')), weather: 'sunny' },
      ['review'],
    ),
    await image('s2', { ground_truth: detections(detection(C, 'car')), weather: 'cloudy' }, [
      'review',
    ]),
    await image('s3', { ground_truth: detections(detection(D, 'person')), weather: 'rainy' }, [
      'review',
    ]),
    await image('s4', { ground_truth: detections(), weather: 'sunny' }, []),
  ]);
}

/** Annotates `ground_truth`: edits of labels allowed, spatial edits not; two samples a task. */
export const REQUEST = {
  dataset: DATASET,
  annoKey: 'gt_review',
  labelField: 'ground_truth',
  classes: ['car', 'person', 'truck', 'bicycle'],
  allowSpatialEdits: false,
  pageSize: 2,
} satisfies AnnotateRequest;

/** The whole AnnotateWorkflow, step by step as the state machine runs it. */
export async function annotateRun(deps: WorkflowDeps, request: AnnotateRequest = REQUEST) {
  const { dataset, annoKey } = request;
  const prepared = await prepareAnnotate(deps, request);
  const uploads = [];
  for (const page of prepared.pages) {
    uploads.push(await uploadPage(deps, { dataset, annoKey, page }));
  }
  const opened = await openRun(deps, { dataset, annoKey });
  return { prepared, uploads, opened };
}

/** The whole LoadWorkflow, step by step. */
export async function loadRun(
  deps: WorkflowDeps,
  input: { dataset: string; annoKey: string; backendTaskId?: string; cleanup?: boolean },
) {
  const { dataset, annoKey } = input;
  const plan = await planLoad(deps, {
    dataset,
    annoKey,
    ...(input.backendTaskId ? { backendTaskId: input.backendTaskId } : {}),
  });
  const merged = [];
  for (const taskId of plan.taskIds) {
    const staged = await downloadTask(deps, { dataset, annoKey, taskId });
    merged.push(
      await mergeStagedTask(deps, { dataset, annoKey, taskId, stagedKey: staged.stagedKey }),
    );
  }
  const finalized = await finalizeLoad(deps, {
    dataset,
    annoKey,
    loadId: plan.loadId,
    taskIds: plan.taskIds,
    ...(input.cleanup ? { cleanup: true } : {}),
  });
  return { plan, merged, finalized };
}

type ManifestSample = TaskManifest['samples'][number];

/**
 * The annotator's work on task 0 (s1, s2): A relabelled `truck` and its box moved (the move
 * is refused: spatial edits are off), B deleted, a bicycle added on s1; s2 untouched.
 */
export function annotateFirstTask(manifest: TaskManifest): TaskManifest {
  return {
    ...manifest,
    samples: manifest.samples.map((sample: ManifestSample) =>
      sample.id === 's1'
        ? {
            ...sample,
            fields: {
              ground_truth: detections(
                detection(A, 'truck', { bounding_box: [0.5, 0.5, 0.2, 0.2] }),
                { _cls: 'Detection', label: 'bicycle', bounding_box: [0.3, 0.3, 0.1, 0.1] },
              ),
            },
          }
        : sample,
    ),
  };
}

/** The annotator's second delivery of task 0: the bicycle they added is gone, A is a car. */
export function redeliverWithoutBicycle(local: LocalStore): Promise<void> {
  return deliver(local, 'gt_review-00000', (manifest) => ({
    ...manifest,
    samples: manifest.samples.map((sample: ManifestSample) =>
      sample.id === 's1'
        ? { ...sample, fields: { ground_truth: detections(detection(A, 'car')) } }
        : sample,
    ),
  }));
}

/** The annotator delivers task `taskId` of the run whose objects are under `objectKey`. */
export async function deliver(
  local: LocalStore,
  taskId: string,
  edit: (manifest: TaskManifest) => TaskManifest = (manifest) => manifest,
  objectKey = 'gt_review',
): Promise<void> {
  const base = `runs/${DATASET}/${objectKey}/`;
  const manifest = (await readJson(local, `${base}tasks/${taskId}.json`)) as TaskManifest;
  await local.store.media.put(
    `${base}results/${taskId}.json`,
    JSON.stringify(edit(manifest)),
    'application/json',
  );
}

/** Every sample of the dataset with its version, by id. */
export async function snapshot(
  store: Store,
): Promise<Record<string, { version: number; sample: Sample }>> {
  const page = await store.samples.list(DATASET, { limit: 100 });
  return Object.fromEntries(
    page.items.map((stored) => [
      stored.sample.id,
      { version: stored.version, sample: stored.sample },
    ]),
  );
}

/** A files backend whose upload fails from page `failFrom` on; it counts cleanups. */
export function flakyBackend(failFrom: number, cleaned: string[]): BackendFactory {
  return async (input) => {
    const { createFilesBackend } = await import('../../../lib/backends/index.js');
    const files = createFilesBackend({ objects: input.objects });
    return {
      ...files,
      capabilities: { ...files.capabilities, name: input.name },
      async upload(ctx) {
        if (ctx.page.index >= failFrom) throw new Error(`tool refused page ${ctx.page.index}`);
        return files.upload(ctx);
      },
      async cleanup(ctx, tasks) {
        cleaned.push(...tasks.map((task) => task.taskId));
        return files.cleanup(ctx, tasks);
      },
    };
  };
}
