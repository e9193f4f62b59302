import { createHmac } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detection, Detections, Sample } from '../../lib/labels/index.js';
import { DEMO_DATASET, seedDemo } from '../../lib/local/demo.js';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { WEBHOOK_HEADERS } from '../emulators/labelbox/assumptions.js';
import { type Delivery, LabelboxEmulator } from '../emulators/labelbox/emulator.js';
import { type Json, serviceHelpers, shuffle, waitFor } from '../support/local-service.js';

const projectRoot = resolve(import.meta.dirname, '..', '..');
let service: LocalService;
let lb: LabelboxEmulator;
const savedEnv = { ...process.env };

beforeAll(async () => {
  [service, lb] = await Promise.all([
    startLocalService({ projectRoot }),
    new LabelboxEmulator().start(),
  ]);
  await seedDemo(service.store, () => service.settled());
  // Lambda handlers read the tool's config from the environment on every invocation.
  Object.assign(process.env, {
    FIFTYONE_LABELBOX_URL: lb.url,
    FIFTYONE_LABELBOX_API_KEY: lb.apiKey,
    FIFTYONE_LABELBOX_WEBHOOK_URL: `${service.apiUrl}/webhooks/labelbox`,
    FIFTYONE_LABELBOX_EXPORT_POLL_INTERVAL_MS: '0',
    FIFTYONE_LABELBOX_DATA_ROW_POLL_INTERVAL_MS: '0',
  });
}, 90_000);
afterAll(async () => {
  await service?.stop();
  await lb?.stop();
  for (const name of Object.keys(process.env)) {
    if (!(name in savedEnv)) delete process.env[name];
  }
  Object.assign(process.env, savedEnv);
});

const http = serviceHelpers(() => service);
const { api } = http;
const postWebhook = (body: string, headers: Record<string, string>) =>
  http.postWebhook('labelbox', body, headers);
const samplesById = () => http.samplesById(DEMO_DATASET);

type Versions = Record<string, number>;
const versions = async (): Promise<Versions> =>
  Object.fromEntries(Object.entries(await samplesById()).map(([id, item]) => [id, item.version]));
const vehiclesOf = (sample: Sample | undefined): Detection[] =>
  ((sample?.vehicles as Detections | undefined)?.detections ?? []) as Detection[];

const RUN = '/datasets/demo/runs/lbreview';
const EMPTY = { datasets: 0, dataRows: 0, ontologies: 0, projects: 0, activeWebhooks: 0 };

/** The run's tasks (one Labelbox project each), with the sample ids in each project's batch. */
async function projects(): Promise<
  Array<{ projectId: string; status: string; samples: string[] }>
> {
  const status = await api('GET', `${RUN}/status`);
  const tasks = status.body.tasks as Array<{ backendTaskId: string; status: string }>;
  return tasks.map((task) => {
    const project = lb.state.projects.get(task.backendTaskId);
    const rows = [...(project?.batches.values() ?? [])].flatMap((batch) => batch.dataRowIds);
    return {
      projectId: task.backendTaskId,
      status: task.status,
      samples: rows.map((id) => String(lb.state.dataRows.get(id)?.globalKey)),
    };
  });
}

/** The annotator draws a car at 16,12 (32×24 px of 160×120) on a sample. */
const drawCar = (projectId: string, globalKey: string) =>
  lb.submitLabel({
    projectId,
    globalKey,
    objects: [
      {
        name: 'vehicles',
        annotation_kind: 'ImageBoundingBox',
        bounding_box: { top: 12, left: 16, height: 24, width: 32 },
        classifications: [{ name: 'class_name', radio_answer: { name: 'car', value: 'car' } }],
      },
    ],
  });
const signed = (delivery: Delivery) => delivery.status === 200;

describe('e2e: a Labelbox run end to end on the embedded runtime', () => {
  const before: Record<string, { version: number; sample: Sample }> = {};

  it('refuses to annotate an existing field before any run is registered', async () => {
    const refused = await api('POST', '/datasets/demo/runs', {
      annoKey: 'lbreview',
      backend: 'labelbox',
      labelField: 'ground_truth',
    });
    // The API starts AnnotateWorkflow (202); its first step refuses the field with
    // FiftyOne's error before the run is registered.
    expect(refused.status).toBe(202);
    await service.idle();
    const arn = encodeURIComponent(String(refused.body.executionArn));
    const execution = await api('GET', `/executions?arn=${arn}`);
    expect(execution.body).toMatchObject({ status: 'FAILED', error: 'AnnotateRejected' });
    expect(JSON.parse(String(execution.body.cause))).toMatchObject({
      errorType: 'EXISTING_FIELD_UNSUPPORTED',
      errorMessage:
        "Cannot use existing field 'ground_truth'; the Labelbox backend does not yet support uploading existing labels",
    });
    expect((await api('GET', RUN)).status).toBe(404);
    expect(lb.counts()).toEqual(EMPTY);
  });

  it('opens the run on a new field: a Labelbox project per page, each with a webhook to the route', async () => {
    Object.assign(before, await samplesById());
    const started = await api('POST', '/datasets/demo/runs', {
      annoKey: 'lbreview',
      backend: 'labelbox',
      labelField: 'vehicles',
      labelType: 'detections',
      classes: ['car', 'person'],
      pageSize: 3,
      autoLoad: true,
    });
    expect(started.status).toBe(202);
    await waitFor(async () => (await api('GET', RUN)).body.status === 'annotating');

    const tasks = await projects();
    expect(tasks.map((task) => [task.status, task.samples.length])).toEqual([
      ['open', 3],
      ['open', 3],
    ]);
    expect(tasks.flatMap((task) => task.samples).sort()).toEqual(Object.keys(before).sort());
    expect(lb.counts()).toEqual({
      datasets: 2,
      dataRows: 6,
      ontologies: 2,
      projects: 2,
      activeWebhooks: 2,
    });
    expect(
      [...lb.state.webhooks.values()].map(
        (hook) => hook.url === `${service.apiUrl}/webhooks/labelbox`,
      ),
    ).toEqual([true, true]);
    expect(lb.violations()).toEqual([]);
  });

  it('merges a project once when its last row is accepted and its webhook reaches the route', async () => {
    const [first] = (await projects()) as [{ projectId: string; samples: string[] }, unknown];
    for (const sample of first.samples) await drawCar(first.projectId, sample);
    for (const sample of first.samples.slice(0, -1)) await lb.markDone(first.projectId, sample);
    await service.idle();
    // Labelled but not all accepted: the tool says the task is not finished.
    expect((await projects())[0]?.status).toBe('open');
    expect(await versions()).toEqual(
      Object.fromEntries(Object.entries(before).map(([id, item]) => [id, item.version])),
    );

    lb.duplicateNextDeliveries(); // the finishing event arrives twice, with one delivery id
    await lb.markDone(first.projectId, first.samples.at(-1) as string);
    await service.idle();

    expect(lb.deliveries.map((d) => d.status)).toEqual(Array(7).fill(200));
    const after = await samplesById();
    for (const id of first.samples) {
      expect(vehiclesOf(after[id]?.sample)).toEqual([
        {
          _cls: 'Detection',
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          label: 'car',
          bounding_box: [0.1, 0.1, 0.2, 0.2],
        },
      ]);
      expect(after[id]?.version).toBe((before[id]?.version ?? 0) + 1);
      expect(after[id]?.sample.ground_truth).toEqual(before[id]?.sample.ground_truth);
    }
    expect((await api('GET', RUN)).body.counters).toMatchObject({
      tasks: 2,
      tasksCompleted: 1,
      labelsAdded: 3,
      labelsEdited: 0,
      labelsDeleted: 0,
    });
    expect((await projects())[0]?.status).toBe('merged');
  });

  it('finishes a project whose finishing webhook was dropped when the sweeper runs', async () => {
    const [, second] = (await projects()) as [unknown, { projectId: string; samples: string[] }];
    for (const sample of second.samples) await drawCar(second.projectId, sample);
    for (const sample of second.samples.slice(0, -1)) await lb.markDone(second.projectId, sample);
    lb.dropNextDeliveries();
    await lb.markDone(second.projectId, second.samples.at(-1) as string);
    await service.idle();
    expect(lb.deliveries.at(-1)?.status).toBe('dropped');
    expect((await projects())[1]?.status).toBe('open');
    expect(vehiclesOf((await samplesById())[second.samples[0] as string]?.sample)).toEqual([]);

    await service.runSchedules();
    await service.idle();

    expect((await projects())[1]?.status).toBe('merged');
    const after = await samplesById();
    for (const id of second.samples) expect(vehiclesOf(after[id]?.sample)).toHaveLength(1);
    expect((await api('GET', RUN)).body.counters).toMatchObject({
      tasksCompleted: 2,
      labelsAdded: 6,
    });
  });

  it('changes nothing when every webhook is delivered 5 more times, shuffled', async () => {
    const once = await versions();
    const counters = (await api('GET', RUN)).body.counters;
    const replays = shuffle(lb.deliveries.filter(signed).flatMap((d) => Array(5).fill(d)));

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

  it('refuses forged, unsigned and malformed deliveries with 401, changing nothing', async () => {
    const sample = lb.deliveries.find(signed) as Delivery;
    const projectId = (JSON.parse(sample.body) as { project: { id: string } }).project.id;
    const hook = [...lb.state.webhooks.values()].find((h) => h.projectId === projectId);
    const secret = hook?.secret as string;
    const { signature, signature256, deliveryId } = WEBHOOK_HEADERS;
    const {
      [signature]: _sha1,
      [signature256]: _sha256,
      [deliveryId]: _id,
      ...plain
    } = sample.headers;
    const hmac = (algorithm: string, body: string) =>
      createHmac(algorithm, secret).update(body).digest('hex');
    const withSecret = (body: string, id: string) => ({
      ...plain,
      [deliveryId]: id,
      [signature]: `sha1=${hmac('sha1', body)}`,
      [signature256]: `sha256=${hmac('sha256', body)}`,
    });
    // Signed as Labelbox signs: so the malformed cases below fail for their bodies alone.
    expect(withSecret(sample.body, 'x')[signature]).toBe(sample.headers[signature]);
    const state = await versions();
    const statuses = await projects();
    // A new event for a known project: accepted if it were signed.
    const fresh = sample.body.replace(
      /"updated_at":"[^"]+"/,
      '"updated_at":"2030-01-01T00:00:00Z"',
    );
    const forged = { ...withSecret(fresh, 'forged-1'), [signature]: `sha1=${'0'.repeat(40)}` };

    // A body that names no project cannot be matched to a secret, so it cannot be verified:
    // malformed deliveries are refused as unsigned (401), not as malformed (400).
    const cases: Array<[string, string, Record<string, string>]> = [
      ['bad X-Hub-Signature', fresh, forged],
      ['unsigned', fresh, { ...plain, [deliveryId]: 'forged-2' }],
      ['malformed, not JSON', '{"project": ', withSecret('{"project": ', 'forged-3')],
      ['malformed, no project', '{"event":"X"}', withSecret('{"event":"X"}', 'forged-4')],
    ];
    for (const [name, body, headers] of cases) {
      const answer = await postWebhook(body, headers);
      expect([name, answer.status, (answer.body.error as Json)?.code]).toEqual([
        name,
        401,
        'WEBHOOK_SIGNATURE_INVALID',
      ]);
    }
    await service.idle();
    expect(await versions()).toEqual(state);
    expect(await projects()).toEqual(statuses);
  });

  it('cleans up through the API: Labelbox holds nothing of the run', async () => {
    const labels = await samplesById();
    const started = await api('POST', `${RUN}/cleanup`);
    expect(started.status).toBe(202);
    await service.idle();
    expect((await api('GET', RUN)).body.status).toBe('cleaned');
    expect(lb.counts()).toEqual(EMPTY);
    expect(await samplesById()).toEqual(labels);
    expect(lb.violations()).toEqual([]);
  });
});
