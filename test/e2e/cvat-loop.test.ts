import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { sharedStoreClients } from '../../lib/store/clients.js';
import type { TaskRecord } from '../../lib/store/tasks.js';
import {
  type CvatEmulator,
  cvatContract,
  type Delivery,
  startCvatEmulator,
} from '../emulators/cvat/index.js';
import { detection, detections, oid } from '../support/builders.js';
import { type Json, serviceHelpers, shuffle, waitFor } from '../support/local-service.js';
import { jpeg } from '../support/media.js';

/**
 * Issue #5's evidence: the CVAT backend through the service's API and its real webhook route
 * on the embedded runtime, against the CVAT emulator. Six 64×48 images, one box each (odd
 * samples a car, even ones a person, at [16, 12, 48, 36] px), annotated in 3 tasks × 2 jobs;
 * each test below builds on the state the previous one left, in order.
 */
const projectRoot = resolve(import.meta.dirname, '..', '..');
const DATASET = 'street';
const ANNO_KEY = 'gt_review';
const RUN = `/datasets/${DATASET}/runs/${ANNO_KEY}`;
const WIDTH = 64;
const HEIGHT = 48;
const BOX = [0.25, 0.25, 0.5, 0.5];

let service: LocalService;
/** The six samples' ids (ingest names them). */
const sampleIds: string[] = [];
let cvat: CvatEmulator;
const savedEnv = new Map<string, string | undefined>();

function setEnv(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  }
}

beforeAll(async () => {
  await cvatContract();
  cvat = await startCvatEmulator();
  service = await startLocalService({ projectRoot });
  // Handlers read the annotation config from the env at each invocation, as on Lambda; the
  // webhook URL is the gateway's, known only once it listens.
  setEnv({
    FIFTYONE_CVAT_URL: cvat.url,
    FIFTYONE_CVAT_TOKEN: cvat.tokens.admin ?? '',
    FIFTYONE_CVAT_WEBHOOK_URL: `${service.apiUrl}/webhooks/cvat`,
    FIFTYONE_CVAT_JOB_POLL_INTERVAL_MS: '0',
  });
  const { store } = service;
  await store.datasets.create(DATASET, {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections' },
  });
  // Media through S3, so ingest makes the samples as it does for users; then ground truth.
  await Promise.all(
    [1, 2, 3, 4, 5, 6].map((n) =>
      store.media.put(`datasets/${DATASET}/s${n}.jpg`, jpeg(WIDTH, HEIGHT), 'image/jpeg'),
    ),
  );
  await service.settled();
  const { items } = await store.samples.list(DATASET, { limit: 100 });
  for (let n = 1; n <= 6; n += 1) {
    const stored = items.find((item) => item.sample.filepath.endsWith(`/s${n}.jpg`));
    if (!stored) throw new Error(`ingest made no sample for s${n}.jpg`);
    sampleIds.push(stored.sample.id);
    const box = detection(oid(n), n % 2 === 1 ? 'car' : 'person', { bounding_box: BOX });
    await store.samples.updateFields(
      DATASET,
      stored.sample.id,
      { ground_truth: detections(box) },
      stored.version,
    );
  }
}, 90_000);

afterAll(async () => {
  await cvat?.stop();
  await service?.stop();
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const http = serviceHelpers(() => service);
const { api } = http;
const postWebhook = (headers: Record<string, string>, body: string) =>
  http.postWebhook('cvat', body, headers);
const samplesById = () => http.samplesById(DATASET);

const boxesOf = async (sampleId: string) => {
  const field = (await samplesById())[sampleId]?.sample.ground_truth as
    | { detections: Json[] }
    | undefined;
  return field?.detections;
};
const tasks = async (): Promise<TaskRecord[]> =>
  (await service.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
const taskOf = async (taskId: string) => (await tasks()).find((task) => task.taskId === taskId);
/** How many merges each task had: one folder per (task, revision) under the run's merges. */
const mergesByTask = async (): Promise<Record<string, number>> => {
  const listed = await (await sharedStoreClients().s3.get()).send(
    new ListObjectsV2Command({
      Bucket: service.model.mediaBucket,
      Prefix: `runs/${DATASET}/${ANNO_KEY}/merges/`,
    }),
  );
  const merges = new Set(
    (listed.Contents ?? []).map(({ Key }) => Key?.split('/').slice(4, 6).join('/') ?? ''),
  );
  const counts: Record<string, number> = {};
  for (const merge of merges) {
    const taskId = merge.split('/')[0] ?? '';
    counts[taskId] = (counts[taskId] ?? 0) + 1;
  }
  return counts;
};
/** Lets CVAT's deliveries arrive, then the service finish what they started. */
const quiet = async () => {
  await cvat.settle();
  await service.idle();
};

/** Our tasks in page order, with CVAT's id and their samples by frame. */
let order: Array<{ taskId: string; cvatId: number; frames: string[] }> = [];
const cvatIdOf = (index: number) => order[index]?.cvatId ?? -1;
const taskIdOf = (index: number) => order[index]?.taskId ?? '';
/** The sample on `frame` of the `index`-th task. */
const sampleOf = (index: number, frame: number) => order[index]?.frames[frame] ?? '';
/** The shape CVAT shows on `frame` of a task (each sample has one box). */
const shapeOn = (cvatId: number, frame: number) =>
  cvat.annotator.shapes(cvatId).find((shape) => shape.frame === frame)?.id ?? -1;

describe('e2e: a CVAT annotation loop through the API and the webhook route', () => {
  it('opens the run as 3 CVAT tasks × 2 jobs in a project with one signed webhook', async () => {
    const started = await api('POST', `/datasets/${DATASET}/runs`, {
      annoKey: ANNO_KEY,
      backend: 'cvat',
      labelField: 'ground_truth',
      labelType: 'detections',
      classes: ['car', 'person', 'truck'],
      allowSpatialEdits: false,
      autoLoad: true,
      pageSize: 6,
      backendParams: { task_size: 2, segment_size: 1 },
    });
    expect(started.status).toBe(202);
    await waitFor(async () => (await api('GET', RUN)).body.status === 'annotating');

    const opened = (await tasks()).sort((a, b) => a.taskId.localeCompare(b.taskId));
    order = opened.map((task) => ({
      taskId: task.taskId,
      cvatId: Number(task.backendTaskId),
      frames: task.sampleIds,
    }));
    expect(opened.map((task) => task.status)).toEqual(['open', 'open', 'open']);
    expect(opened.flatMap((task) => task.sampleIds).sort()).toEqual([...sampleIds].sort());
    expect(order.map(({ cvatId }) => cvat.annotator.shapes(cvatId).length)).toEqual([2, 2, 2]);
    expect(order.map(({ cvatId }) => cvat.annotator.jobs(cvatId).length)).toEqual([2, 2, 2]);
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 3, jobs: 6, webhooks: 1 });
    expect(cvat.violations()).toEqual([]);
  });

  it('merges a task once, under the run restrictions, only when its last job is finished', async () => {
    const first = cvatIdOf(0);
    const [edited, deleted] = [await boxesOf(sampleOf(0, 0)), await boxesOf(sampleOf(0, 1))];
    const box = shapeOn(first, 0);
    cvat.annotator.changeLabel('shape', box, 'truck');
    cvat.annotator.moveShape(box, 8, 0); // refused: spatial edits are off
    cvat.annotator.delete('shape', shapeOn(first, 1));
    cvat.annotator.addShape(first, {
      type: 'rectangle',
      frame: 1,
      label: 'car',
      points: [0, 0, 32, 24],
    });
    const [job1, job2] = cvat.annotator.jobs(first);

    cvat.annotator.finishJob(job1?.id ?? 0);
    await quiet();
    expect((await taskOf(taskIdOf(0)))?.status).toBe('open');
    expect(await boxesOf(sampleOf(0, 0))).toEqual(edited);

    cvat.annotator.finishJob(job2?.id ?? 0);
    await quiet();
    const merged = await taskOf(taskIdOf(0));
    expect(merged?.status).toBe('merged');
    expect(merged?.mergedRevision).toBeDefined();
    expect(await mergesByTask()).toEqual({ [taskIdOf(0)]: 1 });
    expect(await boxesOf(sampleOf(0, 0))).toEqual([{ ...edited?.[0], label: 'truck' }]);
    expect(await boxesOf(sampleOf(0, 1))).toEqual([
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'car',
        bounding_box: [0, 0, 0.5, 0.5],
      },
    ]);
    expect(deleted).toHaveLength(1);
    const report = await api('GET', `${RUN}/report`);
    expect(report.body.totals).toMatchObject({ added: 1, edited: 1, deleted: 1, refused: 1 });
    expect((await api('GET', RUN)).body.counters).toMatchObject({
      tasks: 3,
      tasksCompleted: 1,
      labelsAdded: 1,
      labelsEdited: 1,
      labelsDeleted: 1,
      labelsRefused: 1,
    });
    // Every delivery went through the route and was answered 200.
    expect(cvat.deliveries.every((delivery) => delivery.status === 200)).toBe(true);
  });

  it('leaves a task whose finishing delivery was lost open until the sweeper finds it', async () => {
    const second = cvatIdOf(1);
    const [relabelled, kept] = [await boxesOf(sampleOf(1, 0)), await boxesOf(sampleOf(1, 1))];
    cvat.annotator.changeLabel('shape', shapeOn(second, 0), 'truck');
    const [job1, job2] = cvat.annotator.jobs(second);
    cvat.annotator.finishJob(job1?.id ?? 0);
    await quiet();
    cvat.dropNextDeliveries(100);
    cvat.annotator.finishJob(job2?.id ?? 0);
    await cvat.settle();
    cvat.dropNextDeliveries(0);
    await service.idle();

    expect(cvat.deliveries.some((delivery) => delivery.dropped)).toBe(true);
    expect((await taskOf(taskIdOf(1)))?.status).toBe('open');
    expect(await boxesOf(sampleOf(1, 0))).toEqual(relabelled);

    await service.runSchedules();
    await quiet();
    expect((await taskOf(taskIdOf(1)))?.status).toBe('merged');
    expect(await mergesByTask()).toEqual({ [taskIdOf(0)]: 1, [taskIdOf(1)]: 1 });
    expect(await boxesOf(sampleOf(1, 0))).toEqual([{ ...relabelled?.[0], label: 'truck' }]);
    expect(await boxesOf(sampleOf(1, 1))).toEqual(kept);
  });

  it('changes nothing when every delivery arrives 5 times more, in shuffled order', async () => {
    const third = cvatIdOf(2);
    for (const job of cvat.annotator.jobs(third)) cvat.annotator.finishJob(job.id);
    await quiet();
    expect((await tasks()).map((task) => task.status)).toEqual(['merged', 'merged', 'merged']);
    const samples = await samplesById();
    const records = await tasks();
    const counters = (await api('GET', RUN)).body.counters;

    const replays: Delivery[] = shuffle(
      cvat.deliveries.flatMap((delivery) => Array.from({ length: 5 }, () => delivery)),
    );
    const answers = await Promise.all(
      replays.map((delivery) => postWebhook(delivery.headers, delivery.body)),
    );
    await service.idle();

    expect(answers.map((answer) => answer.status).every((status) => status === 200)).toBe(true);
    expect(await samplesById()).toEqual(samples);
    expect(await tasks()).toEqual(records);
    expect((await api('GET', RUN)).body.counters).toEqual(counters);
    expect(await mergesByTask()).toEqual(
      Object.fromEntries(order.map(({ taskId }) => [taskId, 1])),
    );
  });

  it('answers forged, unsigned and malformed deliveries 401/401/400, changing nothing', async () => {
    const samples = await samplesById();
    const records = await tasks();
    // A job's "finished" delivery, claiming another state under the original signature.
    const delivery = cvat.deliveries.find(({ body }) => body.includes('"state": "completed"'));
    const [hook] = [...cvat.state.webhooks.values()];
    if (!delivery || !hook) throw new Error('no delivery or webhook to forge from');
    const { 'X-Signature-256': _signature, ...unsignedHeaders } = delivery.headers;
    const malformed = JSON.stringify({ event: 'update:job', webhook_id: hook.id });
    const signature = `sha256=${createHmac('sha256', hook.secret).update(malformed).digest('hex')}`;

    const forged = await postWebhook(
      delivery.headers,
      delivery.body.replace('"state": "completed"', '"state": "new"'),
    );
    const unsigned = await postWebhook(unsignedHeaders, delivery.body);
    const broken = await postWebhook(
      { ...unsignedHeaders, 'X-Signature-256': signature },
      malformed,
    );
    await service.idle();

    expect(
      [forged, unsigned, broken].map(({ status, body }) => [status, (body.error as Json).code]),
    ).toEqual([
      [401, 'WEBHOOK_SIGNATURE_INVALID'],
      [401, 'WEBHOOK_SIGNATURE_INVALID'],
      [400, expect.any(String)],
    ]);
    expect(await samplesById()).toEqual(samples);
    expect(await tasks()).toEqual(records);
  });

  it('cleans up: CVAT holds no task, job, project nor webhook of the run', async () => {
    const labels = await samplesById();
    const started = await api('POST', `${RUN}/cleanup`);
    expect(started.status).toBe(202);
    await quiet();
    expect((await api('GET', RUN)).body.status).toBe('cleaned');
    expect(cvat.counts()).toMatchObject({ projects: 0, tasks: 0, jobs: 0, webhooks: 0 });
    expect(await samplesById()).toEqual(labels);
    expect(cvat.violations()).toEqual([]);
  });
});

/** Deterministic shuffle (a fixed LCG): a failure replays the same order. */
