import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ontologyOf } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import {
  cleanupRun,
  createStepBackend,
  planLoad,
  prepareAnnotate,
  receiveWebhook,
  resolveStepBackend,
  uploadPage,
} from '../../../../lib/workflows/index.js';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';
import { type LocalStore, useLocalAws } from '../../../support/local-aws.js';
import { useLocalWorkflows } from '../../../support/local-workflows.js';
import {
  annotateRun,
  DATASET,
  loadRun,
  seedDataset,
  snapshot,
} from '../../workflows/run-support.js';
import { labelboxDeps, NEW_FIELDS, startReceiver } from './support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();
let emulator: LabelboxEmulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeEach(async () => {
  emulator = await new LabelboxEmulator().start();
  receiver = await startReceiver();
});
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
  await receiver.stop();
});

async function annotated() {
  const local = await aws.newStore();
  await seedDataset(local);
  const secrets = memorySecretStore();
  const deps = labelboxDeps(local, emulator, secrets, receiver.url);
  const annotate = await annotateRun(deps, NEW_FIELDS);
  return { local, secrets, deps, annotate };
}

async function projectOf(local: LocalStore, taskId: string): Promise<string> {
  return (await local.store.tasks.get(DATASET, 'lb', taskId)).backendTaskId;
}

/** The annotator's work on task 0: a parked car on s1 (16,12 32×24 px of 64×48), s2 is night. */
async function labelFirstTask(projectId: string, options: { done: boolean }) {
  await emulator.submitLabel({
    projectId,
    globalKey: 's1',
    objects: [
      {
        name: 'vehicles',
        annotation_kind: 'ImageBoundingBox',
        bounding_box: { top: 12, left: 16, height: 24, width: 32 },
        classifications: [
          { name: 'class_name', radio_answer: { name: 'car', value: 'car' } },
          { name: 'parked', radio_answer: { name: 'true', value: 'true' } },
        ],
      },
    ],
  });
  await emulator.submitLabel({
    projectId,
    globalKey: 's2',
    classifications: [{ name: 'time_of_day', radio_answer: { name: 'night', value: 'night' } }],
  });
  if (options.done) {
    await emulator.markDone(projectId, 's1');
    await emulator.markDone(projectId, 's2');
  }
}

describe('Labelbox backend: annotate', () => {
  it('refuses an existing field before the run is registered, leaving Labelbox untouched', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = labelboxDeps(local, emulator, memorySecretStore());

    await expect(
      prepareAnnotate(deps, { ...NEW_FIELDS, labelSchema: undefined, labelField: 'ground_truth' }),
    ).rejects.toMatchObject({
      code: 'EXISTING_FIELD_UNSUPPORTED',
      message:
        "Cannot use existing field 'ground_truth'; the Labelbox backend does not yet support uploading existing labels",
    });
    await expect(local.store.runs.get(DATASET, 'lb')).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
    expect(Object.values(emulator.counts())).toEqual([0, 0, 0, 0, 0]);
  });

  it('makes a project per page with data rows keyed by sample id, an ontology and a batch', async () => {
    const { local, annotate } = await annotated();

    expect(annotate.opened).toEqual({ status: 'annotating', tasks: 2 });
    expect(emulator.counts()).toEqual({
      datasets: 2,
      dataRows: 4,
      ontologies: 2,
      projects: 2,
      activeWebhooks: 2,
    });
    const project = emulator.state.projects.get(await projectOf(local, 'lb-00000'));
    expect(project?.name).toBe('FiftyOne_street lb #00000');
    const run = await local.store.runs.get(DATASET, 'lb');
    const ontology = emulator.state.ontologies.get(project?.ontologyId ?? '');
    expect(ontology?.normalized).toEqual(ontologyOf(run.config.labelSchema as never));
    const rows = [...(project?.batches.values() ?? [])].flatMap((batch) => batch.dataRowIds);
    expect(rows.map((id) => emulator.state.dataRows.get(id)?.globalKey)).toEqual(['s1', 's2']);
  });

  it('links media with presigned S3 URLs Labelbox can fetch', async () => {
    await annotated();
    const row = emulator.dataRow('s3');

    expect(row.rowData).toMatch(/X-Amz-Signature=/);
    const media = await fetch(row.rowData);
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('image/jpeg');
  });

  it('keeps each project’s webhook secret in the secret store only', async () => {
    const { local, secrets } = await annotated();
    const projectId = await projectOf(local, 'lb-00000');
    const secret = await secrets.get(`labelbox/webhook/project/${projectId}`);

    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const hook = [...emulator.state.webhooks.values()].find((h) => h.projectId === projectId);
    expect(hook).toMatchObject({ url: receiver.url, secret, status: 'ACTIVE' });
    const stored = JSON.stringify([
      await local.store.runs.get(DATASET, 'lb'),
      await local.store.tasks.get(DATASET, 'lb', 'lb-00000'),
    ]);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(emulator.apiKey);
  });

  it('adopts what an earlier attempt made when an upload is retried', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = labelboxDeps(local, emulator, memorySecretStore(), receiver.url);
    const { pages } = await prepareAnnotate(deps, NEW_FIELDS);
    const page = { dataset: DATASET, annoKey: 'lb', page: pages[0] ?? 0 };

    const first = await uploadPage(deps, page);
    const after = emulator.counts();
    const again = await uploadPage(deps, page);

    expect(again).toEqual(first);
    expect(emulator.counts()).toEqual(after);
    expect(after).toMatchObject({ projects: 1, dataRows: 2, activeWebhooks: 1 });
  });
});

describe('Labelbox backend: webhook → load → cleanup', () => {
  it('merges the annotator’s labels into the new fields, relative to the image size', async () => {
    const { local, deps } = await annotated();
    const projectId = await projectOf(local, 'lb-00000');
    await labelFirstTask(projectId, { done: true });

    const backend = await createStepBackend(deps, resolveStepBackend(deps, 'labelbox', {}));
    const last = receiver.received.at(-1);
    if (!last) throw new Error('no delivery');
    expect(await backend.verifyWebhook(last)).toBe(true);
    const [event] = backend.parseWebhook(last);
    expect(event).toEqual({
      type: 'task.updated',
      backendTaskId: projectId,
      revision: expect.stringMatching(/\S/),
    });

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'lb', backendTaskId: projectId });

    expect(load.plan.taskIds).toEqual(['lb-00000']);
    const samples = await snapshot(local.store);
    expect(samples.s1?.sample.vehicles).toEqual({
      _cls: 'Detections',
      detections: [
        {
          _cls: 'Detection',
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          label: 'car',
          bounding_box: [0.25, 0.25, 0.5, 0.5],
          parked: true,
        },
      ],
    });
    expect(samples.s2?.sample.time_of_day).toMatchObject({
      _cls: 'Classification',
      label: 'night',
    });
    expect(samples.s3?.sample.vehicles).toBeUndefined();
    expect(load.merged[0]).toMatchObject({ added: 2, edited: 0, deleted: 0 });
  });

  it('loads nothing while the task’s rows are not all done', async () => {
    const { local, deps } = await annotated();
    await labelFirstTask(await projectOf(local, 'lb-00000'), { done: false });

    const plan = await planLoad(deps, { dataset: DATASET, annoKey: 'lb' });

    expect(plan.taskIds).toEqual([]);
  });

  it('finds a finished task by polling when its webhook was dropped', async () => {
    const { local, deps } = await annotated();
    emulator.dropNextDeliveries(4);
    await labelFirstTask(await projectOf(local, 'lb-00000'), { done: true });

    expect(receiver.received).toEqual([]);
    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'lb' });
    expect(load.plan.taskIds).toEqual(['lb-00000']);
  });

  it('gives a duplicated delivery the same revision, and a forged one no trust', async () => {
    const { local, deps } = await annotated();
    emulator.duplicateNextDeliveries(1);
    await labelFirstTask(await projectOf(local, 'lb-00000'), { done: false });
    const backend = await createStepBackend(deps, resolveStepBackend(deps, 'labelbox', {}));
    const [first, second] = receiver.received;
    if (!first || !second) throw new Error('expected a duplicated delivery');

    expect(backend.parseWebhook(second)).toEqual(backend.parseWebhook(first));
    const forged = { ...first, rawBody: first.rawBody.replace('LABEL_CREATED', 'LABEL_DELETED') };
    expect(await backend.verifyWebhook(forged)).toBe(false);
    const unsigned = { headers: {}, rawBody: first.rawBody };
    expect(await backend.verifyWebhook(unsigned)).toBe(false);
  });

  it('cleans up everything it made, twice over, leaving Labelbox empty', async () => {
    const { local, deps, secrets } = await annotated();
    const projectId = await projectOf(local, 'lb-00000');
    await labelFirstTask(projectId, { done: true });
    await loadRun(deps, { dataset: DATASET, annoKey: 'lb' });

    await cleanupRun(deps, { dataset: DATASET, annoKey: 'lb' });
    await cleanupRun(deps, { dataset: DATASET, annoKey: 'lb' });

    expect(Object.values(emulator.counts())).toEqual([0, 0, 0, 0, 0]);
    expect(await secrets.get(`labelbox/webhook/project/${projectId}`)).toBeUndefined();
    expect((await snapshot(local.store)).s1?.sample.vehicles).toBeDefined();
  });

  it('cleans up a run whose project someone already deleted in Labelbox', async () => {
    const { local, deps } = await annotated();
    emulator.state.projects.delete(await projectOf(local, 'lb-00000'));

    await cleanupRun(deps, { dataset: DATASET, annoKey: 'lb' });

    expect(emulator.counts()).toMatchObject({ datasets: 0, dataRows: 0, projects: 0 });
  });

  it('passes the service’s webhook route: signed deliveries in, forged ones refused with 401', async () => {
    const { local, deps } = await annotated();
    await labelFirstTask(await projectOf(local, 'lb-00000'), { done: false });
    const [delivery] = receiver.received;
    if (!delivery) throw new Error('no delivery');

    await expect(receiveWebhook(deps, 'labelbox', delivery)).resolves.toEqual([
      expect.objectContaining({
        type: 'task.updated',
        backendTaskId: await projectOf(local, 'lb-00000'),
      }),
    ]);
    const forged = {
      ...delivery,
      rawBody: delivery.rawBody.replace('LABEL_CREATED', 'LABEL_DELETED'),
    };
    await expect(receiveWebhook(deps, 'labelbox', forged)).rejects.toMatchObject({
      code: 'WEBHOOK_SIGNATURE_INVALID',
    });
  });
});

describe('Labelbox webhook: a captured delivery replayed', () => {
  it('starts no second load for a captured delivery replayed with a fresh X-Labelbox-Id', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = {
      ...labelboxDeps(local, emulator, memorySecretStore(), receiver.url),
      engine: workflows.engine,
    };
    await annotateRun(deps, { ...NEW_FIELDS, autoLoad: true });
    await labelFirstTask(await projectOf(local, 'lb-00000'), { done: true });
    const delivery = receiver.received.at(-1);
    if (!delivery) throw new Error('no delivery');
    const loadsBefore = (await workflows.executions('load')).length;

    const [first] = await receiveWebhook(deps, 'labelbox', delivery);
    expect(first?.outcome).toBe('load-started');
    // Same signed body and signatures; only the unsigned delivery id header is changed.
    const replayed = {
      ...delivery,
      headers: { ...delivery.headers, 'x-labelbox-id': 'attacker-chosen-1' },
    };
    const [second] = await receiveWebhook(deps, 'labelbox', replayed);

    expect(second?.outcome).toBe('duplicate');
    expect((await workflows.executions('load')).length - loadsBefore).toBe(1);
  });
});
