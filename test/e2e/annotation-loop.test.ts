import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as resultsHandler } from '../../functions/results/handler.js';
import type { TaskManifest } from '../../lib/backends/files/index.js';
import type { Detection, Detections, Sample } from '../../lib/labels/index.js';
import { DEMO_DATASET, seedDemo } from '../../lib/local/demo.js';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { type Json, serviceHelpers, waitFor } from '../support/local-service.js';
import { s3Record } from '../support/s3-records.js';

const projectRoot = resolve(import.meta.dirname, '..', '..');
let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ projectRoot });
  await seedDemo(service.store, () => service.settled());
}, 90_000);
afterAll(async () => {
  await service?.stop();
});

const http = serviceHelpers(() => service);
const { api } = http;
const samplesById = () => http.samplesById(DEMO_DATASET);

const decoder = new TextDecoder();
const readObject = async <T>(key: string): Promise<T> => {
  const object = await service.store.media.read(key);
  if (!object) throw new Error(`no object ${key}`);
  return JSON.parse(decoder.decode(object.body)) as T;
};
const boxesOf = (sample: Sample | undefined): Detection[] =>
  ((sample?.ground_truth as Detections | undefined)?.detections ?? []) as Detection[];

const RUN = '/datasets/demo/runs/review';

/**
 * What a person does with the first task: on its first sample, relabel the first box
 * `bicycle` and move it (the move is refused: spatial edits are off), delete the second box
 * if there is one, and draw a new `person`. The other samples are left as they are.
 */
function annotate(manifest: TaskManifest): TaskManifest {
  const [first, ...rest] = manifest.samples;
  if (!first) return manifest;
  const [edited, , ...others] = boxesOf(first.fields as unknown as Sample);
  const boxes: Json[] = [
    ...(edited ? [{ ...edited, label: 'bicycle', bounding_box: [0.01, 0.01, 0.5, 0.5] }] : []),
    ...others,
    { _cls: 'Detection', label: 'person', bounding_box: [0.7, 0.1, 0.1, 0.3] },
  ];
  return {
    ...manifest,
    samples: [
      {
        ...first,
        fields: { ...first.fields, ground_truth: { _cls: 'Detections', detections: boxes } },
      },
      ...rest,
    ] as TaskManifest['samples'],
  };
}

describe('e2e: an annotation run end to end on the embedded runtime (files backend)', () => {
  let executionArn = '';
  let taskIds: string[] = [];
  const before: Record<string, { version: number; sample: Sample }> = {};

  it('starts AnnotateWorkflow through the API, which pages the samples into task manifests and opens the run', async () => {
    Object.assign(before, await samplesById());
    const started = await api('POST', '/datasets/demo/runs', {
      annoKey: 'review',
      labelField: 'ground_truth',
      labelType: 'detections',
      classes: ['car', 'person', 'bicycle'],
      allowSpatialEdits: false,
      pageSize: 3,
      autoLoad: true,
      waitForCompletion: true,
    });
    expect(started.status).toBe(202);
    executionArn = String(started.body.executionArn);
    expect(executionArn).toMatch(/:execution:Annoflow-AnnotateWorkflow:annotate-/);

    await waitFor(async () => (await api('GET', RUN)).body.status === 'annotating');
    const status = await api('GET', `${RUN}/status`);
    const tasks = status.body.tasks as Array<{ taskId: string; status: string; backend: Json }>;
    taskIds = tasks.map((task) => task.taskId);
    expect(tasks).toHaveLength(2);
    expect(tasks.map((task) => [task.status, task.backend.state])).toEqual([
      ['open', 'open'],
      ['open', 'open'],
    ]);
    const execution = await api('GET', `/executions?arn=${encodeURIComponent(executionArn)}`);
    expect(execution.body.status).toBe('RUNNING'); // waitForCompletion: parked on a task token
  });

  it('answers a second start with the same key 409 RUN_KEY_EXISTS', async () => {
    const again = await api('POST', '/datasets/demo/runs', {
      annoKey: 'review',
      labelField: 'ground_truth',
    });
    expect(again.status).toBe(409);
    expect((again.body.error as Json).code).toBe('RUN_KEY_EXISTS');
  });

  it('merges a delivered result through the S3 trigger, once, as the run restricts', async () => {
    const [first, second] = taskIds as [string, string];
    const manifest = await readObject<TaskManifest>(`runs/demo/review/tasks/${first}.json`);
    const target = manifest.samples[0]?.id as string;
    const original = boxesOf(before[target]?.sample);
    await service.store.media.put(
      `runs/demo/review/results/${first}.json`,
      JSON.stringify(annotate(manifest)),
      'application/json',
    );
    await service.idle();

    const after = await samplesById();
    const boxes = boxesOf(after[target]?.sample);
    const relabelled = boxes.find((box) => box.id === original[0]?.id);
    expect(relabelled?.label).toBe('bicycle');
    expect(relabelled?.bounding_box).toEqual(original[0]?.bounding_box); // the move was refused
    if (original[1]) expect(boxes.some((box) => box.id === original[1]?.id)).toBe(false);
    expect(
      boxes.filter((box) => box.label === 'person' && box.bounding_box?.[0] === 0.7),
    ).toHaveLength(1);

    const report = await api('GET', `${RUN}/report`);
    expect(report.status).toBe(200);
    expect(report.body.totals).toMatchObject({
      added: 1,
      edited: 1,
      deleted: original[1] ? 1 : 0,
      refused: 1,
    });
    // The second task is still open: the annotate workflow keeps waiting.
    const execution = await api('GET', `/executions?arn=${encodeURIComponent(executionArn)}`);
    expect(execution.body.status).toBe('RUNNING');
    expect(second).toBeDefined();
  });

  it('changes nothing when the same S3 notification is delivered 5 more times', async () => {
    const [first] = taskIds as [string];
    const key = `runs/demo/review/results/${first}.json`;
    const versions = Object.fromEntries(
      Object.entries(await samplesById()).map(([id, item]) => [id, item.version]),
    );
    const event = {
      Records: [s3Record('ObjectCreated:Put', service.model.mediaBucket, key, '00AA')],
    };
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await resultsHandler(event, {} as never));
    await service.idle();
    const after = await samplesById();
    expect(
      Object.fromEntries(Object.entries(after).map(([id, item]) => [id, item.version])),
    ).toEqual(versions);
    const kinds = outcomes.flatMap((outcome) =>
      (outcome as { events: Json[] }).events.map((e) => e.outcome),
    );
    expect(kinds.slice(1).every((kind) => kind === 'duplicate')).toBe(true);
  });

  it('wakes the waiting workflow once every task is finished', async () => {
    const [, second] = taskIds as [string, string];
    const manifest = await readObject<TaskManifest>(`runs/demo/review/tasks/${second}.json`);
    await service.store.media.put(
      `runs/demo/review/results/${second}.json`,
      JSON.stringify(manifest),
      'application/json',
    );
    await service.idle();
    const execution = await api('GET', `/executions?arn=${encodeURIComponent(executionArn)}`);
    expect(execution.body.status).toBe('SUCCEEDED');
    const run = await api('GET', RUN);
    expect(run.body.status).toBe('loaded');
    expect(run.body).not.toHaveProperty('waiting');
    expect(run.body.counters).toMatchObject({ tasks: 2, tasksCompleted: 2, labelsAdded: 1 });
  });

  it("lists the run's executions newest first: the annotate it started, one load per task revision", async () => {
    const { status, body } = await api('GET', `${RUN}/executions`);
    expect(status).toBe(200);
    const items = body.items as Json[];
    const loads = items.filter((item) => item.workflow === 'load');
    // Task 0: S3's own notification, and the replayed one (its own sequencer, so its own
    // revision: one load that changed nothing, then 4 duplicates that started nothing).
    // Task 1: one.
    const [first, second] = taskIds.map((taskId) => `demo/review/${taskId}`);
    expect(loads.map((load) => load.backendTaskId).sort()).toEqual([first, first, second]);
    expect(loads.map((load) => load.revision)).toContain('00AA');
    for (const load of loads) expect([load.startedBy, load.status]).toEqual(['task', 'SUCCEEDED']);
    expect(items.at(-1)).toMatchObject({
      workflow: 'annotate',
      startedBy: 'api',
      executionArn,
      status: 'SUCCEEDED',
    });
    const startDates = items.map((item) => String(item.startDate));
    expect(startDates).toEqual([...startDates].sort().reverse());
  });

  it('lists an execution Step Functions has forgotten (after 90 days) as UNKNOWN, keeping its record', async () => {
    const name = 'load-forgotten';
    await service.store.executions.record({
      dataset: 'demo',
      annoKey: 'review',
      workflow: 'load',
      executionArn: executionArn.replace(/AnnotateWorkflow:[^:]+$/, `LoadWorkflow:${name}`),
      executionName: name,
      startDate: '2020-01-01T00:00:00.000Z',
      startedBy: 'api',
    });
    const { body } = await api('GET', `${RUN}/executions`);
    const forgotten = (body.items as Json[]).find((item) => item.executionName === name);
    expect(forgotten).toMatchObject({ status: 'UNKNOWN', startedBy: 'api' });
    expect(forgotten?.executionArn).toMatch(/-LoadWorkflow:load-forgotten$/);
  });

  it('refuses webhooks the files backend does not take, and unknown backends, changing nothing', async () => {
    const forged = await api('POST', '/webhooks/files', { Records: [] });
    expect(forged.status).toBe(404);
    expect((forged.body.error as Json).code).toBe('WEBHOOK_NOT_ACCEPTED');
    const unknown = await api('POST', '/webhooks/nosuchtool', {});
    expect(unknown.status).toBe(400);
    expect((unknown.body.error as Json).code).toBe('UNSUPPORTED_BACKEND');
  });

  it('cleans up through CleanupWorkflow: manifests gone, labels and results kept', async () => {
    const labels = await samplesById();
    const started = await api('POST', `${RUN}/cleanup`);
    expect(started.status).toBe(202);
    await service.idle();
    expect((await api('GET', RUN)).body.status).toBe('cleaned');
    expect(
      await service.store.media.stat(`runs/demo/review/tasks/${taskIds[0]}.json`),
    ).toBeUndefined();
    expect(
      await service.store.media.stat(`runs/demo/review/results/${taskIds[0]}.json`),
    ).toBeDefined();
    expect(await samplesById()).toEqual(labels);
  });
});
