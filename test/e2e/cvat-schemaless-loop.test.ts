import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';
import { adminCall } from '../emulators/cvat/admin-client.js';
import { type CvatEmulator, cvatContract, startCvatEmulator } from '../emulators/cvat/index.js';
import { type Json, serviceHelpers, setEnv, shuffle, waitFor } from '../support/local-service.js';
import { jpeg } from '../support/media.js';

/**
 * A schemaless CVAT run (no label schema: the user's project is the schema) through the
 * service's API, AnnotateWorkflow and the webhook route on the embedded runtime, against the
 * CVAT emulator: four 64×48 images in 2 tasks of the project `fleet`, labels kept in fields
 * named after their types. Each test builds on the state the previous one left, in order.
 */
const projectRoot = resolve(import.meta.dirname, '..', '..');
const DATASET = 'fleet_images';
const ANNO_KEY = 'open_review';
const RUN = `/datasets/${DATASET}/runs/${ANNO_KEY}`;

let service: LocalService;
let cvat: CvatEmulator;
let projectId = 0;
let restoreEnv = () => {};

beforeAll(async () => {
  await cvatContract();
  cvat = await startCvatEmulator();
  service = await startLocalService({ projectRoot });
  restoreEnv = setEnv({
    FIFTYONE_CVAT_URL: cvat.url,
    FIFTYONE_CVAT_TOKEN: cvat.tokens.admin ?? '',
    FIFTYONE_CVAT_WEBHOOK_URL: `${service.apiUrl}/webhooks/cvat`,
    FIFTYONE_CVAT_JOB_POLL_INTERVAL_MS: '0',
  });
  const created = await adminCall(cvat, 'POST', '/api/projects', {
    name: 'fleet',
    labels: [
      { name: 'car', attributes: [] },
      { name: 'night', attributes: [] },
    ],
  });
  projectId = Number(created.body.id);
  const { store } = service;
  await store.datasets.create(DATASET, { mediaType: 'image', sampleFields: {} });
  await Promise.all(
    [1, 2, 3, 4].map((n) =>
      store.media.put(`datasets/${DATASET}/f${n}.jpg`, jpeg(64, 48), 'image/jpeg'),
    ),
  );
  await service.settled();
}, 90_000);

afterAll(async () => {
  await cvat?.stop();
  await service?.stop();
  restoreEnv();
});

const http = serviceHelpers(() => service);
const { api } = http;
const samplesById = () => http.samplesById(DATASET);
const tasks = async () =>
  (await service.store.tasks.listByRun(DATASET, ANNO_KEY)).items.sort((a, b) =>
    a.taskId.localeCompare(b.taskId),
  );
const quiet = async () => {
  await cvat.settle();
  await service.idle();
};
const projectLabels = () =>
  [...cvat.state.labels.values()]
    .filter((label) => label.project_id === projectId)
    .map((label) => [label.name, label.attributes.map((each) => each.name)]);

async function executionOf(started: { body: Json }): Promise<Json> {
  const arn = encodeURIComponent(String(started.body.executionArn));
  const execution = async () => (await api('GET', `/executions?arn=${arn}`)).body;
  await waitFor(async () => (await execution()).status !== 'RUNNING');
  return execution();
}

describe('e2e: a schemaless CVAT run into the user project, through the API', () => {
  it('refuses a run naming a project CVAT does not have, registering nothing', async () => {
    const started = await api('POST', `/datasets/${DATASET}/runs`, {
      annoKey: 'nowhere',
      backend: 'cvat',
      backendParams: { project_name: 'no such project' },
    });
    expect(started.status).toBe(202);

    const execution = await executionOf(started);

    expect(execution.status).toBe('FAILED');
    expect(JSON.stringify(execution)).toContain('BACKEND_SCHEMA_MISMATCH');
    expect((await api('GET', `/datasets/${DATASET}/runs/nowhere`)).status).toBe(404);
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 0, webhooks: 0 });
  });

  it('uploads the media only, as tasks of the project, leaving its labels as they are', async () => {
    const started = await api('POST', `/datasets/${DATASET}/runs`, {
      annoKey: ANNO_KEY,
      backend: 'cvat',
      unexpected: 'keep',
      autoLoad: true,
      pageSize: 4,
      backendParams: { project_name: 'fleet', task_size: 2 },
    });
    expect(started.status).toBe(202);
    await waitFor(async () => (await api('GET', RUN)).body.status === 'annotating');

    const opened = await tasks();
    expect(opened).toHaveLength(2);
    for (const task of opened) {
      const cvatId = Number(task.backendTaskId);
      expect(cvat.state.tasks.get(cvatId)?.project_id).toBe(projectId);
      expect(cvat.annotator.shapes(cvatId)).toEqual([]);
    }
    expect(projectLabels()).toEqual([
      ['car', []],
      ['night', []],
    ]);
    expect((await api('GET', RUN)).body.config).toMatchObject({ schemaless: true });
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 2, webhooks: 1 });
    expect(cvat.violations()).toEqual([]);
  });

  it('keeps what annotators drew in fields named after the label types, once finished', async () => {
    const [first] = await tasks();
    const cvatId = Number(first?.backendTaskId);
    const [boxed = '', tagged = ''] = first?.sampleIds ?? [];
    cvat.annotator.addShape(cvatId, {
      type: 'rectangle',
      frame: 0,
      label: 'car',
      points: [16, 12, 48, 36],
    });
    cvat.annotator.addTag(cvatId, { frame: 1, label: 'night' });
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
    await quiet();

    expect((await tasks()).map((task) => task.status)).toEqual(['merged', 'open']);
    const samples = await samplesById();
    expect(samples[boxed]?.sample.detections).toEqual({
      _cls: 'Detections',
      detections: [
        {
          _cls: 'Detection',
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          label: 'car',
          bounding_box: [0.25, 0.25, 0.5, 0.5],
        },
      ],
    });
    expect(samples[tagged]?.sample.classifications).toMatchObject({
      _cls: 'Classifications',
      classifications: [{ _cls: 'Classification', label: 'night' }],
    });
    expect(cvat.violations()).toEqual([]);
  });

  it('changes nothing when every delivery arrives 3 times more, in shuffled order', async () => {
    const samples = await samplesById();
    const records = await tasks();
    const replays = shuffle(cvat.deliveries.flatMap((delivery) => [delivery, delivery, delivery]));

    const answers = await Promise.all(
      replays.map((delivery) => http.postWebhook('cvat', delivery.body, delivery.headers)),
    );
    await service.idle();

    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(await samplesById()).toEqual(samples);
    expect(await tasks()).toEqual(records);
  });

  it("cleans up the run's tasks and webhook, and leaves the user's project", async () => {
    const labels = await samplesById();
    expect((await api('POST', `${RUN}/cleanup`)).status).toBe(202);
    await quiet();

    expect((await api('GET', RUN)).body.status).toBe('cleaned');
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 0, jobs: 0, webhooks: 0 });
    expect(projectLabels()).toEqual([
      ['car', []],
      ['night', []],
    ]);
    expect(await samplesById()).toEqual(labels);
    expect(cvat.violations()).toEqual([]);
  });
});
