import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection, Detections, Sample } from '../../lib/labels/index.js';
import { DEMO_DATASET, seedDemo } from '../../lib/local/demo.js';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { type Delivery, LabelStudioEmulator } from '../emulators/labelstudio/index.js';
import { type Json, serviceHelpers, shuffle, waitFor } from '../support/local-service.js';

const projectRoot = resolve(import.meta.dirname, '..', '..');
let service: LocalService;
let ls: LabelStudioEmulator;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [service, ls] = await Promise.all([
    startLocalService({ projectRoot }),
    LabelStudioEmulator.start(),
  ]);
  await seedDemo(service.store, () => service.settled());
  // Lambda handlers read the tool's config from the environment on every invocation.
  Object.assign(process.env, {
    FIFTYONE_LABELSTUDIO_URL: ls.url,
    FIFTYONE_LABELSTUDIO_API_KEY: ls.legacyToken,
    FIFTYONE_LABELSTUDIO_WEBHOOK_URL: `${service.apiUrl}/webhooks/labelstudio`,
  });
}, 90_000);
afterAll(async () => {
  await service?.stop();
  await ls?.close();
  for (const name of Object.keys(process.env)) {
    if (!(name in savedEnv)) delete process.env[name];
  }
  Object.assign(process.env, savedEnv);
});

const http = serviceHelpers(() => service);
const { api } = http;
const postWebhook = (body: string, headers: Record<string, string>) =>
  http.postWebhook('labelstudio', body, headers);
const samplesById = () => http.samplesById(DEMO_DATASET);

type Versions = Record<string, number>;
const versions = async (): Promise<Versions> =>
  Object.fromEntries(Object.entries(await samplesById()).map(([id, item]) => [id, item.version]));
const boxesOf = (sample: Sample | undefined): Detection[] =>
  ((sample?.ground_truth as Detections | undefined)?.detections ?? []) as Detection[];

const RUN = '/datasets/demo/runs/lsreview';
const TOKEN_HEADER = 'X-Annoflow-Webhook-Token';

/** The demo's samples in a stable order, with the Label Studio task showing each. */
function lsTasks(): Array<{ sampleId: string; taskId: number }> {
  return [...ls.state.tasks.values()]
    .map((task) => ({ sampleId: String(task.data.sample_id), taskId: task.id }))
    .sort((a, b) => a.sampleId.localeCompare(b.sampleId));
}
function predictionOf(taskId: number): Json[] {
  return (ls.state.predictionsOf(taskId)[0]?.result ?? []) as Json[];
}
async function taskStatuses(): Promise<Record<string, string>> {
  const status = await api('GET', `${RUN}/status`);
  const tasks = status.body.tasks as Array<{ backendTaskId: string; status: string }>;
  return Object.fromEntries(tasks.map((task) => [task.backendTaskId, task.status]));
}
const delivered = (): Delivery[] => ls.deliveries.filter((d) => d.status === 200);

describe('e2e: a Label Studio run end to end on the embedded runtime', () => {
  const before: Record<string, { version: number; sample: Sample }> = {};

  it('opens the run through the API: one Label Studio task per sample, a webhook to the route', async () => {
    Object.assign(before, await samplesById());
    const started = await api('POST', '/datasets/demo/runs', {
      annoKey: 'lsreview',
      backend: 'labelstudio',
      labelField: 'ground_truth',
      labelType: 'detections',
      classes: ['car', 'person', 'bicycle'],
      allowSpatialEdits: false,
      pageSize: 3,
      autoLoad: true,
    });
    expect(started.status).toBe(202);
    await waitFor(async () => (await api('GET', RUN)).body.status === 'annotating');

    expect(lsTasks().map((task) => task.sampleId)).toEqual(Object.keys(before).sort());
    expect(Object.values(await taskStatuses())).toEqual(Array(6).fill('open'));
    const hooks = [...ls.state.webhooks.values()];
    expect(hooks.length).toBeGreaterThan(0);
    expect(hooks.every((hook) => hook.url === `${service.apiUrl}/webhooks/labelstudio`)).toBe(true);
    expect(ls.violations()).toEqual([]);
  });

  it('merges a submission once, as the run restricts, when its webhook reaches the route', async () => {
    const [first, second] = lsTasks() as [
      { sampleId: string; taskId: number },
      { sampleId: string; taskId: number },
    ];
    const original = boxesOf(before[first.sampleId]?.sample);
    const [edited, removed] = predictionOf(first.taskId) as [Json, Json | undefined];
    expect(edited.id).toBe(original[0]?.id);
    const value = edited.value as Json;
    await ls.annotator.submit(first.taskId, [
      // relabelled and moved: the move is refused (spatial edits are off)
      { ...edited, value: { ...value, x: 1, y: 1, rectanglelabels: ['bicycle'] } },
      // the second box, if any, deleted; a person drawn
      {
        id: 'nEwPeRsOn1',
        type: 'rectanglelabels',
        from_name: 'ground_truth',
        to_name: 'image',
        original_width: 160,
        original_height: 120,
        image_rotation: 0,
        value: { x: 70, y: 10, width: 10, height: 30, rotation: 0, rectanglelabels: ['person'] },
      },
    ]);
    // The second sample is accepted as predicted.
    await ls.annotator.submit(second.taskId, predictionOf(second.taskId));
    await service.idle();

    expect(ls.deliveries.map((d) => [d.action, d.status])).toEqual([
      ['ANNOTATION_CREATED', 200],
      ['ANNOTATION_CREATED', 200],
    ]);
    const after = await samplesById();
    const boxes = boxesOf(after[first.sampleId]?.sample);
    expect(boxes.find((box) => box.id === original[0]?.id)).toMatchObject({
      label: 'bicycle',
      bounding_box: original[0]?.bounding_box,
    });
    if (removed) expect(boxes.some((box) => box.id === removed.id)).toBe(false);
    expect(boxes.filter((box) => box.label === 'person' && box.bounding_box?.[0] === 0.7)).toEqual([
      expect.objectContaining({ bounding_box: [0.7, 0.1, 0.1, 0.3] }),
    ]);
    expect(after[first.sampleId]?.version).toBe((before[first.sampleId]?.version ?? 0) + 1);
    expect(after[second.sampleId]).toEqual(before[second.sampleId]);
    // Counted once: each task was merged once.
    expect((await api('GET', RUN)).body.counters).toMatchObject({
      tasks: 6,
      tasksCompleted: 2,
      labelsAdded: 1,
      labelsEdited: 1,
      labelsDeleted: removed ? 1 : 0,
      labelsRefused: 1,
    });
    const statuses = await taskStatuses();
    expect([statuses[String(first.taskId)], statuses[String(second.taskId)]]).toEqual([
      'merged',
      'merged',
    ]);
  });

  it('finishes a task whose webhook was dropped when the sweeper runs', async () => {
    const third = lsTasks()[2] as { sampleId: string; taskId: number };
    const [box] = predictionOf(third.taskId) as [Json];
    ls.webhooks.dropNext();
    await ls.annotator.submit(third.taskId, [
      { ...box, value: { ...(box.value as Json), rectanglelabels: ['bicycle'] } },
    ]);
    await service.idle();
    expect(ls.deliveries.at(-1)?.dropped).toBe(true);
    expect((await taskStatuses())[String(third.taskId)]).toBe('open');
    expect((await samplesById())[third.sampleId]).toEqual(before[third.sampleId]);

    await service.runSchedules();
    await service.idle();

    expect((await taskStatuses())[String(third.taskId)]).toBe('merged');
    const boxes = boxesOf((await samplesById())[third.sampleId]?.sample);
    expect(boxes.find((b) => b.id === box.id)?.label).toBe('bicycle');
  });

  it('changes nothing when every webhook is delivered 5 more times, shuffled', async () => {
    const fourth = lsTasks()[3] as { sampleId: string; taskId: number };
    ls.webhooks.duplicateNext();
    await ls.annotator.submit(fourth.taskId, []); // every box deleted, delivered twice
    await service.idle();
    expect(boxesOf((await samplesById())[fourth.sampleId]?.sample)).toEqual([]);
    const once = await versions();
    const counters = (await api('GET', RUN)).body.counters;
    expect(once[fourth.sampleId]).toBe((before[fourth.sampleId]?.version ?? 0) + 1);

    const replays = shuffle(delivered().flatMap((delivery) => Array(5).fill(delivery)));
    const outcomes = await Promise.all(
      replays.map((delivery: Delivery) => postWebhook(delivery.body, delivery.headers)),
    );
    await service.idle();

    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(replays.length).fill(200));
    const kinds = outcomes.flatMap((o) => (o.body.events as Json[]).map((e) => e.outcome));
    expect(new Set(kinds)).toEqual(new Set(['duplicate']));
    expect(await versions()).toEqual(once);
    expect((await api('GET', RUN)).body.counters).toEqual(counters);
  });

  it('refuses forged, unsigned and malformed deliveries, changing nothing', async () => {
    const sample = delivered()[0] as Delivery;
    const { [TOKEN_HEADER]: _token, ...unsigned } = sample.headers;
    const fifth = lsTasks()[4] as { sampleId: string; taskId: number };
    await ls.annotator.submit(fifth.taskId, []);
    const fresh = ls.deliveries.at(-1) as Delivery;
    await service.idle();
    const state = await versions();
    const statuses = await taskStatuses();
    // A well-formed delivery for the next task, never delivered: forging it must not finish it.
    const sixth = lsTasks()[5] as { sampleId: string; taskId: number };
    const forgedBody = fresh.body.replaceAll(`"id": ${fifth.taskId}`, `"id": ${sixth.taskId}`);

    const cases: Array<[string, string, Record<string, string>, number, string]> = [
      [
        'wrong secret',
        forgedBody,
        { ...sample.headers, [TOKEN_HEADER]: 'x'.repeat(43) },
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      ],
      ['unsigned', forgedBody, unsigned, 401, 'WEBHOOK_SIGNATURE_INVALID'],
      [
        'malformed',
        '{"action": "ANNOTATION_CREATED", "project": {"id": ' +
          `${(ls.state.tasks.get(sixth.taskId) as { project: number }).project}}}`,
        sample.headers,
        400,
        'INVALID_INPUT',
      ],
    ];
    for (const [name, body, headers, status, code] of cases) {
      const answer = await postWebhook(body, headers);
      expect([name, answer.status, (answer.body.error as Json)?.code]).toEqual([
        name,
        status,
        code,
      ]);
    }
    await service.idle();
    expect(await versions()).toEqual(state);
    expect(await taskStatuses()).toEqual(statuses);
  });

  it('cleans up through the API: Label Studio holds nothing of the run', async () => {
    const labels = await samplesById();
    const started = await api('POST', `${RUN}/cleanup`);
    expect(started.status).toBe(202);
    await service.idle();
    expect((await api('GET', RUN)).body.status).toBe('cleaned');
    expect(ls.isEmpty()).toBe(true);
    expect(await samplesById()).toEqual(labels);
    expect(ls.violations()).toEqual([]);
  });
});
