import { describe, expect, it } from 'vitest';
import { createCvatBackend } from '../../../lib/backends/cvat/index.js';
import type { TaskRecord } from '../../../lib/store/tasks.js';
import {
  cleanupRun,
  planLoad,
  prepareAnnotate,
  receiveWebhook,
  uploadPage,
} from '../../../lib/workflows/index.js';
import { backendContext, backendTask } from '../../../lib/workflows/run-context.js';
import type { CvatEmulator } from '../../emulators/cvat/index.js';
import { detection } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { annotateRun, loadRun, snapshot } from '../workflows/run-support.js';
import {
  ANNO_KEY,
  CLIPS,
  type CvatRig,
  cvatRig,
  DATASET,
  labelIdOf,
  REQUEST,
  seedSixImages,
  seedVideo,
  startReceiver,
  TRACK_IDS,
  useCvatEmulator,
} from './cvat-support.js';

const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator(
  (started) => {
    cvat = started;
  },
  { organizations: ['acme'] },
);

async function annotated(extra: Record<string, unknown> = {}, request = {}) {
  const local = await aws.newStore();
  await seedSixImages(local);
  const rig = cvatRig(local, cvat, extra);
  const annotate = await annotateRun(rig.deps, { ...REQUEST, ...request });
  const tasks = (await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
  return { local, rig, annotate, tasks, cvatIds: tasks.map((task) => Number(task.backendTaskId)) };
}

const shapesOf = (cvatTaskId: number) => cvat.annotator.shapes(cvatTaskId);
const load = (rig: CvatRig) => loadRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
const boxOf = async (local: LocalStore, sampleId: string) => {
  const samples = await snapshot(local.store);
  const field = samples[sampleId]?.sample.ground_truth as
    | { detections: Record<string, unknown>[] }
    | undefined;
  return field?.detections;
};

describe('CVAT backend: upload', () => {
  it('makes tasks of task_size samples, split into jobs of segment_size, in the run project', async () => {
    const { tasks, cvatIds, annotate } = await annotated();

    expect(annotate.uploads.map((upload) => upload.taskIds)).toEqual([
      ['gt_review-00000-0', 'gt_review-00000-1'],
      ['gt_review-00001-0'],
    ]);
    expect(tasks.map((task) => task.sampleIds)).toEqual([
      ['s1', 's2'],
      ['s3', 's4'],
      ['s5', 's6'],
    ]);
    const project = [...cvat.state.projects.values()].find(
      (each) => each.name === `annoflow/${DATASET}/${ANNO_KEY}`,
    );
    for (const [index, cvatId] of cvatIds.entries()) {
      const task = cvat.state.tasks.get(cvatId);
      expect(task).toMatchObject({ project_id: project?.id, segment_size: 1 });
      expect(task?.frames.map((frame) => frame.name)).toEqual(
        tasks[index]?.sampleIds.map((id) => `${id}.jpg`),
      );
      expect(cvat.annotator.jobs(cvatId).map((job) => [job.start_frame, job.stop_frame])).toEqual([
        [0, 0],
        [1, 1],
      ]);
      expect(tasks[index]?.backendData).toEqual({
        projectId: project?.id,
        projectOwned: true,
        jobIds: cvat.annotator.jobs(cvatId).map((job) => job.id),
      });
    }
  });

  it('puts pages uploaded at once into one project, deleting the ones it lost the race with', async () => {
    const local = await aws.newStore();
    await seedSixImages(local);
    const rig = cvatRig(local, cvat);
    const { pages } = await prepareAnnotate(rig.deps, { ...REQUEST, pageSize: 2 });

    // The Map state uploads pages in parallel: each first upload finds no project yet.
    await Promise.all(
      pages.map((page) => uploadPage(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY, page })),
    );

    const projects = [...cvat.state.projects.values()];
    expect(projects.map((project) => project.name)).toEqual([`annoflow/${DATASET}/${ANNO_KEY}`]);
    const tasks = (await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
    expect(tasks).toHaveLength(3);
    for (const task of tasks) {
      expect(cvat.state.tasks.get(Number(task.backendTaskId))?.project_id).toBe(projects[0]?.id);
      expect(task.backendData).toMatchObject({ projectId: projects[0]?.id, projectOwned: true });
    }
    expect(cvat.violations()).toEqual([]);
  });

  it('sends existing labels as rectangles in whole pixels carrying their label id', async () => {
    const { cvatIds } = await annotated();
    const [first] = cvatIds;
    const labels = [...cvat.state.labels.values()];
    const labelIdSpec = (labelId: number) =>
      labels
        .find((label) => label.id === labelId)
        ?.attributes.find((each) => each.name === 'label_id')?.id;

    const shapes = shapesOf(first ?? 0);

    expect(shapes).toHaveLength(2);
    expect(shapes.map((shape) => [shape.type, shape.frame, shape.points])).toEqual([
      ['rectangle', 0, [16, 12, 48, 36]],
      ['rectangle', 1, [16, 12, 48, 36]],
    ]);
    expect(
      shapes.map((shape) => labels.find((label) => label.id === shape.label_id)?.name),
    ).toEqual(['car', 'person']);
    expect(shapes[0]?.attributes).toEqual([
      { spec_id: labelIdSpec(shapes[0]?.label_id ?? 0), value: labelIdOf(1) },
    ]);
  });

  it('assigns tasks and jobs round robin, skipping users CVAT does not know', async () => {
    const { cvatIds } = await annotated({
      task_assignee: ['annotator1', 'nobody'],
      job_assignees: ['admin', 'annotator1'],
    });
    const username = (id: number | null) =>
      id === null ? null : (cvat.state.users.get(id)?.username ?? null);

    expect(cvatIds.map((id) => username(cvat.state.tasks.get(id)?.assignee ?? null))).toEqual([
      'annotator1',
      null,
      null,
    ]);
    expect(
      cvatIds.map((id) => cvat.annotator.jobs(id).map((job) => username(job.assignee))),
    ).toEqual([
      ['admin', 'annotator1'],
      ['admin', 'annotator1'],
      ['admin', 'annotator1'],
    ]);
  });

  it('logs in with username and password and sends the CSRF token on writes', async () => {
    const before = cvat.requests.length;
    await annotated({
      token: undefined,
      username: 'admin',
      password: 'admin-password',
      organization: 'acme',
    });

    const sent = cvat.requests.slice(before);
    expect(sent[0]).toMatchObject({ method: 'POST', path: '/api/auth/login' });
    // One login for the whole run, although every workflow step makes its own backend.
    expect(sent.slice(1).filter((each) => each.auth !== 'session')).toEqual([]);
    expect(new Set(sent.slice(1).map((each) => each.organization))).toEqual(new Set(['acme']));
  });

  it('refuses an existing project whose labels differ from the schema, creating nothing', async () => {
    const local = await aws.newStore();
    await seedSixImages(local);
    await fetch(`${cvat.url}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Token ${cvat.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shared', labels: [{ name: 'car', attributes: [] }] }),
    });
    const tasksBefore = cvat.state.tasks.size;
    const rig = cvatRig(local, cvat, { project_name: 'shared' });

    await expect(annotateRun(rig.deps, REQUEST)).rejects.toMatchObject({
      code: 'BACKEND_SCHEMA_MISMATCH',
      message: expect.stringContaining("label 'person' is missing"),
    });
    expect(cvat.state.tasks.size).toBe(tasksBefore);
  });

  it('reuses a named project, adding only the missing label_id, and keeps it on cleanup', async () => {
    const local = await aws.newStore();
    await seedSixImages(local);
    const labels = ['car', 'person', 'truck'].map((name) => ({ name, attributes: [] }));
    const created = await fetch(`${cvat.url}/api/projects`, {
      method: 'POST',
      headers: { authorization: `Token ${cvat.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shared', labels }),
    });
    const { id } = (await created.json()) as { id: number };
    const rig = cvatRig(local, cvat, { project_name: 'shared' });

    await annotateRun(rig.deps, REQUEST);
    const attributes = [...cvat.state.labels.values()]
      .filter((label) => label.project_id === id)
      .map((label) => [label.name, label.attributes.map((each) => each.name)]);
    await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

    expect(attributes).toEqual([
      ['car', ['label_id']],
      ['person', ['label_id']],
      ['truck', ['label_id']],
    ]);
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 0 });
    expect(cvat.state.projects.get(id)?.name).toBe('shared');
  });

  it('deletes the task it was making when CVAT fails mid-upload, so a retry starts clean', async () => {
    const local = await aws.newStore();
    await seedSixImages(local);
    const rig = cvatRig(local, cvat);
    cvat.failNext('tasks_update_annotations');

    await expect(annotateRun(rig.deps, REQUEST)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('PUT /api/tasks/1/annotations answered 500'),
    });
    expect(cvat.counts()).toMatchObject({ tasks: 0, jobs: 0 });
    expect((await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items).toEqual([]);
  });
});

describe('CVAT backend: load', () => {
  it('loads a task only when all its jobs are finished, jobs finishing one by one', async () => {
    const { rig, cvatIds, local } = await annotated();
    const [first = 0] = cvatIds;
    const [job1, job2] = cvat.annotator.jobs(first);

    cvat.annotator.finishJob(job1?.id ?? 0);
    const half = await planLoad(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
    cvat.annotator.finishJob(job2?.id ?? 0);
    const loaded = await load(rig);

    expect(half.taskIds).toEqual([]);
    expect(loaded.plan.taskIds).toEqual(['gt_review-00000-0']);
    expect(loaded.merged).toEqual([
      expect.objectContaining({ added: 0, edited: 0, deleted: 0, refused: 0 }),
    ]);
    // A round trip of pixel-aligned boxes changes nothing.
    expect(await boxOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'car', { bounding_box: [0.25, 0.25, 0.5, 0.5] }),
    ]);
  });

  it("merges the annotator's edits under the run's restrictions", async () => {
    const { rig, cvatIds, local } = await annotated({}, { allowSpatialEdits: false });
    const [first = 0] = cvatIds;
    const [carShape, personShape] = shapesOf(first);
    cvat.annotator.changeLabel('shape', carShape?.id ?? 0, 'truck');
    cvat.annotator.moveShape(carShape?.id ?? 0, 8, 0);
    cvat.annotator.delete('shape', personShape?.id ?? 0);
    cvat.annotator.addShape(first, {
      type: 'rectangle',
      frame: 1,
      label: 'car',
      points: [0, 0, 32, 24],
    });
    for (const job of cvat.annotator.jobs(first)) cvat.annotator.finishJob(job.id);

    const loaded = await load(rig);

    expect(loaded.merged).toEqual([
      expect.objectContaining({ added: 1, edited: 1, deleted: 1, refused: 1 }),
    ]);
    expect(await boxOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'truck', { bounding_box: [0.25, 0.25, 0.5, 0.5] }),
    ]);
    expect(await boxOf(local, 's2')).toEqual([
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'car',
        bounding_box: [0, 0, 0.5, 0.5],
      },
    ]);
  });

  it('re-loads by fetching only the jobs that changed, a constant number of requests per job', async () => {
    const { rig, cvatIds } = await annotated();
    for (const cvatId of cvatIds) {
      for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
    }
    const firstLoad = cvat.requests.length;
    await load(rig);
    const afterFirst = cvat.requests.length;
    const [first = 0] = cvatIds;
    const [shape] = shapesOf(first);
    cvat.annotator.moveShape(shape?.id ?? 0, 1, 1);
    await load(rig);

    const annotationReads = (from: number, to: number) =>
      cvat.requests
        .slice(from, to)
        .filter((each) => /^\/api\/jobs\/\d+\/annotations$/.test(each.path))
        .map((each) => each.path);
    expect(annotationReads(firstLoad, afterFirst)).toHaveLength(6);
    expect(annotationReads(afterFirst, cvat.requests.length)).toEqual([
      `/api/jobs/${cvat.annotator.jobs(first)[0]?.id}/annotations`,
    ]);
    // Per task: status (jobs list) + download (jobs list, data/meta, labels) + 1 per changed job.
    expect(afterFirst - firstLoad).toBe(3 * (4 + 2));
  });

  it('refuses a download whose frames do not match the samples, merging nothing', async () => {
    const { rig, cvatIds, local } = await annotated();
    const [first = 0] = cvatIds;
    for (const job of cvat.annotator.jobs(first)) cvat.annotator.finishJob(job.id);
    cvat.state.tasks.get(first)?.frames.pop();
    const before = await snapshot(local.store);

    await expect(load(rig)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: `CVAT task ${first} has 1 frame entries for the 2 samples of task 'gt_review-00000-0'`,
    });
    expect(await snapshot(local.store)).toEqual(before);
  });

  it('leaves the run annotating while a task is open, and loads it once its jobs are accepted', async () => {
    const { rig, cvatIds } = await annotated({ finished_when: 'accepted' });
    const [first = 0] = cvatIds;
    for (const job of cvat.annotator.jobs(first)) cvat.annotator.finishJob(job.id);
    const completedOnly = await planLoad(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
    for (const job of cvat.annotator.jobs(first)) {
      cvat.annotator.setJob(job.id, { stage: 'acceptance', state: 'completed' });
    }
    const accepted = await planLoad(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

    expect(completedOnly.taskIds).toEqual([]);
    expect(accepted.taskIds).toEqual(['gt_review-00000-0']);
  });
});

describe('CVAT backend: video', () => {
  it('sends a tracked object as a CVAT track and loads it back frame by frame', async () => {
    const local = await aws.newStore();
    await seedVideo(local);
    const rig = cvatRig(local, cvat, { segment_size: 5 });
    const request = { ...REQUEST, dataset: CLIPS, labelField: 'frames.detections', pageSize: 10 };
    await annotateRun(rig.deps, request);
    const [task] = (await local.store.tasks.listByRun(CLIPS, ANNO_KEY)).items;
    const cvatId = Number(task?.backendTaskId);
    const [uploaded] = cvat.annotator.tracks(cvatId);

    expect(cvat.annotator.jobs(cvatId)).toHaveLength(2);
    expect(uploaded?.shapes.map((shape) => [shape.frame, shape.points, shape.outside])).toEqual([
      [0, [16, 12, 48, 36], false],
      [1, [16, 12, 48, 36], false],
      [2, [16, 12, 48, 36], false],
      [3, [16, 12, 48, 36], true],
    ]);

    // The annotator splits the track at frame 2 and finishes both jobs.
    cvat.annotator.splitTrack(uploaded?.id ?? 0, 2);
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
    const backend = await rig.deps.backends.create(
      { name: 'cvat', params: rig.params },
      { objects: local.store.media },
    );
    const run = await local.store.runs.get(CLIPS, ANNO_KEY);
    const download = await backend.download(backendContext(run), backendTask(task as TaskRecord));
    const loaded = await loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });

    const car = (id: string, index: number) =>
      detection(id, 'car', { index, keyframe: true, bounding_box: [0.25, 0.25, 0.5, 0.5] });
    expect(download['frames.detections']?.detections?.v1).toEqual({
      '1': { [TRACK_IDS[0] ?? '']: car(TRACK_IDS[0] ?? '', 1) },
      '2': { [TRACK_IDS[1] ?? '']: car(TRACK_IDS[1] ?? '', 1) },
      '3': { [TRACK_IDS[2] ?? '']: car(TRACK_IDS[2] ?? '', 2) },
    });
    // Both parts keep their labels' ids, so the stored track is unchanged.
    expect(loaded.merged).toEqual([
      expect.objectContaining({ added: 0, edited: 0, deleted: 0, refused: 0 }),
    ]);
  });
});

describe('CVAT backend: webhooks and cleanup', () => {
  it('registers one signed project webhook whose job deliveries verify and name the task', async () => {
    const receiver = await startReceiver();
    try {
      const { rig, cvatIds, local } = await annotated({ webhook_url: receiver.url });
      const backend = await createCvatBackend({
        name: 'cvat',
        params: rig.params,
        objects: local.store.media,
        secrets: rig.secrets,
      });
      const [first = 0] = cvatIds;
      const [job] = cvat.annotator.jobs(first);
      const hooks = [...cvat.state.webhooks.values()];

      // Registering again (a retried openRun) keeps the one webhook.
      await backend.registerWebhooks({
        run: {
          dataset: DATASET,
          annoKey: ANNO_KEY,
          labelSchema: (await local.store.runs.get(DATASET, ANNO_KEY)).config.labelSchema as never,
        },
      });
      expect(cvat.state.webhooks.size).toBe(1);
      cvat.duplicateDeliveries(true);
      cvat.annotator.finishJob(job?.id ?? 0);
      await cvat.settle();
      cvat.duplicateDeliveries(false);

      expect(hooks).toEqual([
        expect.objectContaining({
          target_url: receiver.url,
          type: 'project',
          events: ['update:job', 'update:task', 'delete:task'],
        }),
      ]);
      expect(await rig.secrets.get(`cvat/webhook/${hooks[0]?.id}`)).toMatch(/^[0-9a-f]{64}$/);
      const finished = receiver.received.filter((each) =>
        each.rawBody.includes('"before_update": {"state"'),
      );
      expect(finished).toHaveLength(2);
      for (const delivery of finished) expect(await backend.verifyWebhook(delivery)).toBe(true);
      const events = finished.map((delivery) => backend.parseWebhook(delivery));
      expect(events[0]).toEqual([
        { type: 'task.completed', backendTaskId: String(first), revision: expect.any(String) },
      ]);
      expect(events[1]).toEqual(events[0]);
      const forged = {
        ...finished[0],
        rawBody: finished[0]?.rawBody.replace('"completed"', '"new"') ?? '',
      };
      expect(
        await backend.verifyWebhook({ headers: forged.headers ?? {}, rawBody: forged.rawBody }),
      ).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it("goes through the service's webhook step: signed deliveries accepted, forged refused", async () => {
    const receiver = await startReceiver();
    try {
      const { rig, cvatIds } = await annotated({ webhook_url: receiver.url });
      const [first = 0] = cvatIds;
      for (const job of cvat.annotator.jobs(first)) cvat.annotator.finishJob(job.id);
      await cvat.settle();

      const outcomes = [];
      for (const delivery of receiver.received) {
        outcomes.push(...(await receiveWebhook(rig.deps, 'cvat', delivery)));
      }
      const forged = { headers: receiver.received[0]?.headers ?? {}, rawBody: '{"event": "ping"}' };

      expect(outcomes.filter((each) => each.type === 'task.completed')).toEqual([
        expect.objectContaining({ backendTaskId: String(first), outcome: 'recorded' }),
        expect.objectContaining({ backendTaskId: String(first), outcome: 'recorded' }),
      ]);
      await expect(receiveWebhook(rig.deps, 'cvat', forged)).rejects.toMatchObject({
        code: 'WEBHOOK_SIGNATURE_INVALID',
      });
      expect((await load(rig)).plan.taskIds).toEqual(['gt_review-00000-0']);
    } finally {
      await receiver.close();
    }
  });

  it('still finds a finished task by polling when its delivery is lost', async () => {
    const receiver = await startReceiver();
    try {
      const { rig, cvatIds } = await annotated({ webhook_url: receiver.url });
      const [first = 0] = cvatIds;
      const jobs = cvat.annotator.jobs(first);
      cvat.dropNextDeliveries(100);
      for (const job of jobs) cvat.annotator.finishJob(job.id);
      await cvat.settle();
      cvat.dropNextDeliveries(0);

      expect(receiver.received).toEqual([]);
      expect((await planLoad(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY })).taskIds).toEqual([
        'gt_review-00000-0',
      ]);
    } finally {
      await receiver.close();
    }
  });

  it("gives each run its own webhook on a shared project: one run's cleanup leaves the other's", async () => {
    const receiver = await startReceiver();
    try {
      const { rig } = await annotated({ webhook_url: receiver.url, project_name: 'shared' });
      await annotateRun(rig.deps, { ...REQUEST, annoKey: 'second_pass' });
      const hooks = () =>
        [...cvat.state.webhooks.values()].map((hook) => [hook.project_id, hook.description]);
      const [projectId] = [...cvat.state.projects.keys()];
      expect(hooks()).toEqual([
        [projectId, `annoflow ${DATASET}/${ANNO_KEY}`],
        [projectId, `annoflow ${DATASET}/second_pass`],
      ]);
      const [firstHook, secondHook] = [...cvat.state.webhooks.keys()];

      await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

      expect(hooks()).toEqual([[projectId, `annoflow ${DATASET}/second_pass`]]);
      expect(await rig.secrets.get(`cvat/webhook/${firstHook}`)).toBeUndefined();
      expect(await rig.secrets.get(`cvat/webhook/${secondHook}`)).toMatch(/^[0-9a-f]{64}$/);

      await cleanupRun(rig.deps, { dataset: DATASET, annoKey: 'second_pass' });

      expect(cvat.counts()).toMatchObject({ tasks: 0, webhooks: 0 });
      expect(await rig.secrets.get(`cvat/webhook/${secondHook}`)).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it('cleans up every task, the project it created, its webhook and their secrets', async () => {
    const receiver = await startReceiver();
    try {
      const before = cvat.counts();
      const { rig } = await annotated({ webhook_url: receiver.url });
      const hookId = [...cvat.state.webhooks.keys()].at(-1);
      expect(cvat.counts().tasks).toBe(before.tasks + 3);

      const cleaned = await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
      const again = await rig.deps.backends.create(
        { name: 'cvat', params: rig.params },
        { objects: rig.deps.store.media },
      );
      await again.cleanup({ run: { dataset: DATASET, annoKey: ANNO_KEY, labelSchema: {} } }, [
        { taskId: 'gone', backendTaskId: '999999', sampleIds: [] },
      ]);

      expect(cleaned).toEqual({ status: 'cleaned', tasksCleaned: 3 });
      expect(cvat.counts()).toEqual(before);
      expect(await rig.secrets.get(`cvat/webhook/${hookId}`)).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});
