import { describe, expect, it } from 'vitest';
import { cleanupRun } from '../../../lib/workflows/index.js';
import { adminCall } from '../../emulators/cvat/admin-client.js';
import type { CvatEmulator } from '../../emulators/cvat/index.js';
import { readJson } from '../../support/bucket.js';
import { detection } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { annotateRun, loadRun, snapshot } from '../workflows/run-support.js';
import {
  ANNO_KEY,
  CLIPS,
  type CvatRig,
  cvatRig,
  DATASET,
  REQUEST,
  seedSixImages,
  seedVideo,
  startReceiver,
  TRACK_IDS,
  useCvatEmulator,
} from './cvat-support.js';

const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator((started) => {
  cvat = started;
});

/** A schemaless request: no `labelSchema` nor `labelField` (FiftyOne's label schema None). */
const { labelField: _labelField, classes: _classes, ...SCHEMALESS } = REQUEST;
const PROJECT_LABELS = [
  { name: 'car', attributes: [] },
  { name: 'day', attributes: [] },
];

/** The user's own project, made in CVAT before the run. */
async function userProject(name = 'shared'): Promise<number> {
  const created = await adminCall(cvat, 'POST', '/api/projects', { name, labels: PROJECT_LABELS });
  return created.body.id as number;
}

async function schemalessRun(params: Record<string, unknown>, request = {}) {
  const local = await aws.newStore();
  await seedSixImages(local);
  const rig = cvatRig(local, cvat, params);
  await annotateRun(rig.deps, { ...SCHEMALESS, ...request });
  const tasks = (await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
  return { local, rig, tasks, cvatIds: tasks.map((task) => Number(task.backendTaskId)) };
}

/** A schemaless run into the user's project `shared`, made first, loading with `unexpected`. */
async function sharedProjectRun(unexpected: 'keep' | 'return' | 'ignore') {
  await userProject();
  return schemalessRun({ project_name: 'shared' }, { unexpected });
}

/** The annotator's work on the first task (s1, s2): a car box on s1, a `day` tag on s2. */
function annotateFirstTask(cvatId: number): void {
  cvat.annotator.addShape(cvatId, {
    type: 'rectangle',
    frame: 0,
    label: 'car',
    points: [16, 12, 48, 36],
  });
  cvat.annotator.addTag(cvatId, { frame: 1, label: 'day' });
  finish(cvatId);
}

function finish(cvatId: number): void {
  for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
}

const load = (rig: CvatRig) => loadRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
const sampleOf = async (local: LocalStore, id: string) =>
  (await snapshot(local.store))[id]?.sample as Record<string, unknown> | undefined;
const projectLabels = (projectId: number) =>
  [...cvat.state.labels.values()]
    .filter((label) => label.project_id === projectId)
    .map((label) => [label.name, label.attributes.map((each) => each.name)]);

describe('CVAT backend: schemaless runs (no label schema, an existing project)', () => {
  it("uploads the samples' media only, into tasks of the project named by project_name", async () => {
    const projectId = await userProject();

    const { tasks, cvatIds, local } = await schemalessRun({ project_name: 'shared' });

    expect(tasks.map((task) => task.sampleIds)).toEqual([
      ['s1', 's2'],
      ['s3', 's4'],
      ['s5', 's6'],
    ]);
    for (const cvatId of cvatIds) {
      expect(cvat.state.tasks.get(cvatId)?.project_id).toBe(projectId);
      expect(cvat.annotator.shapes(cvatId)).toEqual([]);
    }
    expect(tasks[0]?.backendData).toMatchObject({ projectId, projectOwned: false });
    const run = await local.store.runs.get(DATASET, ANNO_KEY);
    expect(run.config).toMatchObject({ labelSchema: {}, schemaless: true });
  });

  it('uploads into the project named by project_id', async () => {
    const projectId = await userProject();

    const { cvatIds } = await schemalessRun({ project_id: projectId });

    expect(cvatIds.map((id) => cvat.state.tasks.get(id)?.project_id)).toEqual([
      projectId,
      projectId,
      projectId,
    ]);
  });

  it("never patches the project's labels: no label_id attribute is added", async () => {
    const projectId = await userProject();

    await schemalessRun({ project_name: 'shared' });

    expect(projectLabels(projectId)).toEqual([
      ['car', []],
      ['day', []],
    ]);
  });

  it.each([
    ['no project', {}, 'LABEL_SCHEMA_REQUIRED', '`project_name` or `project_id`'],
    [
      'a project_name CVAT does not have',
      { project_name: 'nowhere' },
      'BACKEND_SCHEMA_MISMATCH',
      "project_name 'nowhere' does not exist",
    ],
    [
      'a project_id CVAT does not have',
      { project_id: 4242 },
      'BACKEND_SCHEMA_MISMATCH',
      "project_id '4242' does not exist",
    ],
  ])(
    'refuses a run naming %s, registering and creating nothing',
    async (_what, params, code, message) => {
      const local = await aws.newStore();
      await seedSixImages(local);
      const rig = cvatRig(local, cvat, params);

      await expect(annotateRun(rig.deps, SCHEMALESS)).rejects.toMatchObject({
        code,
        message: expect.stringContaining(message),
      });
      expect(await local.store.runs.list(DATASET)).toEqual([]);
      expect(cvat.counts()).toMatchObject({ projects: 0, tasks: 0 });
    },
  );

  it("keeps every label in fields named after their types with unexpected 'keep'", async () => {
    const { rig, cvatIds, local } = await sharedProjectRun('keep');
    annotateFirstTask(cvatIds[0] ?? 0);

    const loaded = await load(rig);

    expect(loaded.merged).toEqual([expect.objectContaining({ added: 2, unexpected: 2 })]);
    const s1 = await sampleOf(local, 's1');
    expect(s1?.detections).toEqual({
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
    expect((await sampleOf(local, 's2'))?.classifications).toEqual({
      _cls: 'Classifications',
      classifications: [
        { _cls: 'Classification', id: expect.stringMatching(/^[0-9a-f]{24}$/), label: 'day' },
      ],
    });
    expect((await local.store.datasets.get(DATASET)).schema.sampleFields).toMatchObject({
      detections: 'Detections',
      classifications: 'Classifications',
    });
  });

  it("returns every label under the schemaless key '' with unexpected 'return', merging none", async () => {
    await userProject();
    const { rig, cvatIds, local } = await schemalessRun({ project_name: 'shared' });
    annotateFirstTask(cvatIds[0] ?? 0);
    const before = await snapshot(local.store);

    const loaded = await load(rig);

    expect(loaded.merged).toEqual([expect.objectContaining({ added: 0, unexpected: 2 })]);
    expect(await snapshot(local.store)).toEqual(before);
    const report = (await readJson(local, loaded.merged[0]?.reportKey ?? '')) as {
      unexpected: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(report.unexpected)).toEqual(['']);
    expect(Object.keys(report.unexpected[''] ?? {})).toEqual(['classifications', 'detections']);
  });

  it("drops every label with unexpected 'ignore', counting them", async () => {
    const { rig, cvatIds, local } = await sharedProjectRun('ignore');
    annotateFirstTask(cvatIds[0] ?? 0);
    const before = await snapshot(local.store);

    const loaded = await load(rig);

    expect(loaded.merged).toEqual([expect.objectContaining({ added: 0, unexpected: 2 })]);
    expect(await snapshot(local.store)).toEqual(before);
  });

  it('changes nothing when the load is replayed', async () => {
    const { rig, cvatIds, local } = await sharedProjectRun('keep');
    annotateFirstTask(cvatIds[0] ?? 0);
    await load(rig);
    const after = await snapshot(local.store);

    await load(rig);

    expect(await snapshot(local.store)).toEqual(after);
  });

  it('keeps the ids of loaded labels when more work is loaded: only the new label is added', async () => {
    const { rig, cvatIds, local } = await sharedProjectRun('keep');
    const [first = 0] = cvatIds;
    annotateFirstTask(first);
    await load(rig);
    const stored = (await sampleOf(local, 's1'))?.detections as { detections: unknown[] };
    const box = stored.detections[0];

    cvat.annotator.addShape(first, {
      type: 'rectangle',
      frame: 1,
      label: 'car',
      points: [0, 0, 32, 24],
    });
    finish(first);
    const again = await load(rig);

    expect(again.merged).toEqual([expect.objectContaining({ added: 1, edited: 0, deleted: 0 })]);
    expect((await sampleOf(local, 's1'))?.detections).toEqual({
      _cls: 'Detections',
      detections: [box],
    });
  });

  it("keeps a video's labels on its frames, in frame fields named after their types", async () => {
    await userProject();
    const local = await aws.newStore();
    await seedVideo(local);
    const rig = cvatRig(local, cvat, { project_name: 'shared' });
    const request = { ...SCHEMALESS, dataset: CLIPS, pageSize: 10, unexpected: 'keep' as const };
    await annotateRun(rig.deps, request);
    const [task] = (await local.store.tasks.listByRun(CLIPS, ANNO_KEY)).items;
    const cvatId = Number(task?.backendTaskId);
    cvat.annotator.addShape(cvatId, {
      type: 'rectangle',
      frame: 0,
      label: 'car',
      points: [0, 0, 32, 24],
    });
    finish(cvatId);

    await loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });

    const page = await local.store.samples.list(CLIPS, { limit: 10 });
    const frame = page.items[0]?.sample.frames?.['1'] as Record<string, unknown> | undefined;
    expect(frame?.detections).toEqual({
      _cls: 'Detections',
      detections: [
        detection(TRACK_IDS[0] ?? '', 'car', { index: 1, bounding_box: [0.25, 0.25, 0.5, 0.5] }),
        {
          _cls: 'Detection',
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          label: 'car',
          bounding_box: [0, 0, 0.5, 0.5],
        },
      ],
    });
  });

  it('cleans up the tasks and leaves the project, its labels untouched', async () => {
    const projectId = await userProject();
    const { rig } = await schemalessRun({ project_name: 'shared' });

    const cleaned = await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

    expect(cleaned).toEqual({ status: 'cleaned', tasksCleaned: 3 });
    expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 0 });
    expect(cvat.state.projects.get(projectId)?.name).toBe('shared');
    expect(projectLabels(projectId)).toEqual([
      ['car', []],
      ['day', []],
    ]);
  });

  it("deletes the webhook it made on the user's project, and its secret, at cleanup", async () => {
    const receiver = await startReceiver();
    try {
      const projectId = await userProject();
      const { rig } = await schemalessRun({ project_name: 'shared', webhook_url: receiver.url });
      const [hook] = [...cvat.state.webhooks.values()];
      expect(hook?.project_id).toBe(projectId);

      await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

      expect(cvat.counts()).toMatchObject({ projects: 1, tasks: 0, webhooks: 0 });
      expect(await rig.secrets.get(`cvat/webhook/${hook?.id}`)).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });
});

describe('CVAT backend: schemaless runs on videos, tracks drawn in CVAT', () => {
  /**
   * A schemaless run on the 10-frame video `v1`, kept labels; one job, a video's default (a
   * track across jobs is not supported: README, "Not supported yet").
   */
  async function videoRun() {
    await userProject();
    const local = await aws.newStore();
    await seedVideo(local);
    const rig = cvatRig(local, cvat, { project_name: 'shared', segment_size: 10 });
    const request = { ...SCHEMALESS, dataset: CLIPS, pageSize: 10, unexpected: 'keep' as const };
    await annotateRun(rig.deps, request);
    const [task] = (await local.store.tasks.listByRun(CLIPS, ANNO_KEY)).items;
    return { local, rig, cvatId: Number(task?.backendTaskId) };
  }

  /**
   * The annotator's track: a car box moving from the top left (task frame 0) to the bottom
   * right (task frame 2), interpolated between, hidden from task frame 3 on.
   */
  function drawTrack(cvatId: number): number {
    const trackId = cvat.annotator.addTrack(cvatId, {
      type: 'rectangle',
      label: 'car',
      shapes: [
        { frame: 0, points: [0, 0, 32, 24] },
        { frame: 2, points: [32, 24, 64, 48] },
        { frame: 3, points: [32, 24, 64, 48], outside: true },
      ],
    });
    finish(cvatId);
    return trackId;
  }

  const loadClips = (rig: CvatRig) => loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });
  const clips = async (local: LocalStore) =>
    (await local.store.samples.list(CLIPS, { limit: 10 })).items;
  /** The annotator's car on each frame (frames 1-3 also hold the seeded car, index 1). */
  const drawnCars = async (local: LocalStore) => {
    const [video] = await clips(local);
    return Object.fromEntries(
      Object.entries(video?.sample.frames ?? {}).map(([number, frame]) => [
        number,
        (
          (frame.detections as { detections?: Array<Record<string, unknown>> } | undefined)
            ?.detections ?? []
        ).filter((label) => !TRACK_IDS.includes(label.id as string)),
      ]),
    );
  };

  it('loads each visible frame of a track as a detection of frames.detections, numbered after the stored tracks', async () => {
    const { local, rig, cvatId } = await videoRun();
    drawTrack(cvatId);

    const loaded = await loadClips(rig);

    expect(loaded.merged).toEqual([expect.objectContaining({ added: 3, unexpected: 3 })]);
    const car = (bounding_box: number[], keyframe: boolean) => ({
      _cls: 'Detection',
      id: expect.stringMatching(/^[0-9a-f]{24}$/),
      label: 'car',
      index: 2,
      ...(keyframe ? { keyframe: true } : {}),
      bounding_box,
    });
    const cars = await drawnCars(local);
    expect(cars).toEqual({
      '1': [car([0, 0, 0.5, 0.5], true)],
      '2': [car([0.25, 0.25, 0.5, 0.5], false)],
      '3': [car([0.5, 0.5, 0.5, 0.5], true)],
    });
    // One label per frame, as in FiftyOne: the track is its index, not a shared id.
    expect(new Set(Object.values(cars).map(([label]) => label?.id)).size).toBe(3);
  });

  it("changes no sample nor frame when a track's load is replayed", async () => {
    const { local, rig, cvatId } = await videoRun();
    drawTrack(cvatId);
    const first = await loadClips(rig);
    const after = await clips(local);

    const replayed = await loadClips(rig);

    // The same CVAT revision: the merge is recognised and its report handed back as it was.
    expect(replayed.merged).toEqual(first.merged);
    expect(await clips(local)).toEqual(after);
  });

  it("adds only the new box when more work is loaded, leaving the track's frames as they were", async () => {
    const { local, rig, cvatId } = await videoRun();
    drawTrack(cvatId);
    await loadClips(rig);
    const before = await drawnCars(local);

    cvat.annotator.addShape(cvatId, {
      type: 'rectangle',
      frame: 1,
      label: 'car',
      points: [0, 24, 32, 48],
    });
    finish(cvatId);
    const again = await loadClips(rig);

    expect(again.merged).toEqual([
      expect.objectContaining({ added: 1, edited: 0, deleted: 0, unexpected: 4 }),
    ]);
    const after = await drawnCars(local);
    expect(after['1']).toEqual(before['1']);
    expect(after['3']).toEqual(before['3']);
    expect(after['2']).toEqual([
      ...(before['2'] ?? []),
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'car',
        bounding_box: [0, 0.5, 0.5, 0.5],
      },
    ]);
  });

  it("edits the track's frames in place when a keyframe's box is moved: ids and index stay", async () => {
    const { local, rig, cvatId } = await videoRun();
    const trackId = drawTrack(cvatId);
    await loadClips(rig);
    const before = await drawnCars(local);

    // The end of the track moves 16 px left: frame 3 (its keyframe) and frame 2 (interpolated).
    cvat.annotator.setTrackedPoints(trackId, 2, [16, 24, 48, 48]);
    finish(cvatId);
    const again = await loadClips(rig);

    expect(again.merged).toEqual([expect.objectContaining({ added: 0, edited: 2, deleted: 0 })]);
    const moved = (frame: string, bounding_box: number[]) => [
      { ...before[frame]?.[0], bounding_box },
    ];
    expect(await drawnCars(local)).toEqual({
      '1': before['1'],
      '2': moved('2', [0.125, 0.25, 0.5, 0.5]),
      '3': moved('3', [0.25, 0.5, 0.5, 0.5]),
    });
  });

  it("runs a track without an outside keyframe to the video's last frame", async () => {
    const { local, rig, cvatId } = await videoRun();
    cvat.annotator.addTrack(cvatId, {
      type: 'rectangle',
      label: 'car',
      shapes: [{ frame: 0, points: [0, 0, 32, 24] }],
    });
    finish(cvatId);

    const loaded = await loadClips(rig);

    expect(loaded.merged).toEqual([expect.objectContaining({ added: 10, unexpected: 10 })]);
    const cars = await drawnCars(local);
    expect(Object.keys(cars)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    for (const [number, labels] of Object.entries(cars)) {
      expect(labels).toEqual([
        expect.objectContaining({ index: 2, bounding_box: [0, 0, 0.5, 0.5] }),
      ]);
      expect('keyframe' in (labels[0] ?? {})).toBe(number === '1');
    }
  });

  it("deletes a track's frames once it is deleted in CVAT, by a load that returns detections", async () => {
    const { local, rig, cvatId } = await videoRun();
    const trackId = drawTrack(cvatId);
    await loadClips(rig);

    cvat.annotator.delete('track', trackId);
    cvat.annotator.addShape(cvatId, {
      type: 'rectangle',
      frame: 5,
      label: 'car',
      points: [0, 0, 32, 24],
    });
    finish(cvatId);
    const again = await loadClips(rig);

    expect(again.merged).toEqual([expect.objectContaining({ added: 1, deleted: 3 })]);
    const cars = await drawnCars(local);
    expect([cars['1'], cars['2'], cars['3']]).toEqual([[], [], []]);
    expect(cars['6']).toEqual([expect.objectContaining({ label: 'car' })]);
  });
});
