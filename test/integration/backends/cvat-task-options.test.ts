import { describe, expect, it } from 'vitest';
import type { LabelRecord } from '../../../lib/labels/index.js';
import { prepareUpload } from '../../../lib/schema/prepare-upload.js';
import { backendContext, backendTask, labelSchemaOf } from '../../../lib/workflows/run-context.js';
import type { CvatEmulator } from '../../emulators/cvat/index.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { annotateRun, loadRun } from '../workflows/run-support.js';
import {
  ANNO_KEY,
  CLIPS,
  cvatRig,
  DATASET,
  FRAME_IDS,
  REQUEST,
  seedSixImages,
  seedVideo,
  TRACK_IDS,
  useCvatEmulator,
} from './cvat-support.js';

const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator((started) => {
  cvat = started;
});

const tasksOf = async (local: LocalStore, dataset: string) =>
  (await local.store.tasks.listByRun(dataset, ANNO_KEY)).items;

describe('CVAT task options: video frame_start / frame_step / frame_stop', () => {
  const VIDEO_REQUEST = {
    ...REQUEST,
    dataset: CLIPS,
    labelField: 'frames.detections',
    pageSize: 10,
  };

  /** v1 has 10 frames and a car on frame numbers 1-3; every 2nd frame from 0-based 1 is sent. */
  async function everyOtherFrame() {
    const local = await aws.newStore();
    await seedVideo(local);
    const rig = cvatRig(local, cvat, { frame_start: 1, frame_step: 2, segment_size: 3 });
    await annotateRun(rig.deps, VIDEO_REQUEST);
    const [task] = await tasksOf(local, CLIPS);
    if (!task) throw new Error('no task');
    return { local, rig, task, cvatId: Number(task.backendTaskId) };
  }

  const carsByFrame = async (local: LocalStore) => {
    const [stored] = (await local.store.samples.list(CLIPS, { limit: 10 })).items;
    const frames = stored?.sample.frames ?? {};
    return Object.fromEntries(
      Object.entries(frames).flatMap(([number, frame]) => {
        const boxes = (frame.detections as { detections: LabelRecord[] } | undefined)?.detections;
        return boxes && boxes.length > 0 ? [[number, boxes.map((box) => box.id)]] : [];
      }),
    );
  };

  it('makes CVAT show only the selected frames, as data/meta reports', async () => {
    const { cvatId } = await everyOtherFrame();
    const task = cvat.state.tasks.get(cvatId);
    expect(task?.frames).toHaveLength(5);
    expect(task?.selection).toEqual({ start_frame: 1, frame_filter: 'step=2' });
    // Jobs split the 5 task frames, not the video's 10.
    expect(cvat.annotator.jobs(cvatId).map((job) => [job.start_frame, job.stop_frame])).toEqual([
      [0, 2],
      [3, 4],
    ]);
  });

  it('uploads only labels of shown frames, at their task frame, closing tracks on task frames', async () => {
    const { cvatId } = await everyOtherFrame();
    const [track] = cvat.annotator.tracks(cvatId);
    // Frame number 2 is task frame 0; frames 1 and 3 are not shown.
    expect(track?.shapes.map((shape) => [shape.frame, shape.outside])).toEqual([
      [0, false],
      [1, true],
    ]);
  });

  it('records in the id map only the frames CVAT shows', async () => {
    const { task } = await everyOtherFrame();
    expect(task.idMap['frames.detections']?.v1).toEqual({ [FRAME_IDS[1] ?? '']: [TRACK_IDS[1]] });
  });

  it('loads task frame k as frame number start + k*step + 1', async () => {
    const { local, rig, task, cvatId } = await everyOtherFrame();
    cvat.annotator.addShape(cvatId, {
      type: 'rectangle',
      frame: 2,
      label: 'car',
      points: [16, 12, 48, 36],
    });
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
    const backend = await rig.deps.backends.create(
      { name: 'cvat', params: rig.params },
      { objects: local.store.media },
    );
    const run = await local.store.runs.get(CLIPS, ANNO_KEY);
    const download = await backend.download(backendContext(run), backendTask(task));
    expect(Object.keys(download['frames.detections']?.detections?.v1 ?? {}).sort()).toEqual([
      '2',
      '6',
    ]);
  });

  it('keeps labels on frames not sent when a load deletes the shown ones', async () => {
    const { local, rig, cvatId } = await everyOtherFrame();
    const [track] = cvat.annotator.tracks(cvatId);
    cvat.annotator.delete('track', track?.id ?? 0);
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);

    const loaded = await loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });

    expect(loaded.merged).toEqual([expect.objectContaining({ deleted: 1, added: 0 })]);
    expect(await carsByFrame(local)).toEqual({ '1': [TRACK_IDS[0]], '3': [TRACK_IDS[2]] });
  });
});

describe('CVAT task options: task_name and issue_tracker', () => {
  async function named(extra: Record<string, unknown>) {
    const local = await aws.newStore();
    await seedSixImages(local);
    const rig = cvatRig(local, cvat, extra);
    await annotateRun(rig.deps, REQUEST);
    const tasks = await tasksOf(local, DATASET);
    const cvatTasks = tasks.map((task) => cvat.state.tasks.get(Number(task.backendTaskId)));
    return { local, rig, tasks, cvatTasks };
  }

  it('names tasks task_name_<page>[-<part>] and gives them issue trackers round robin', async () => {
    const { cvatTasks } = await named({
      task_name: 'Street review',
      issue_tracker: ['https://bugs.example.com/a', 'https://bugs.example.com/b'],
    });
    // Pages of 4 in tasks of 2: page 1 makes two tasks, page 2 one.
    expect(cvatTasks.map((task) => [task?.name, task?.bug_tracker])).toEqual([
      ['Street review_1-1', 'https://bugs.example.com/a'],
      ['Street review_1-2', 'https://bugs.example.com/b'],
      ['Street review_2', 'https://bugs.example.com/b'],
    ]);
  });

  it("replaces its own task on a retried upload but never another run's of the same name", async () => {
    const { local, rig, tasks, cvatTasks } = await named({ task_name: 'Street review' });
    const first = cvatTasks[0];
    if (!first) throw new Error('no task');
    // Another run made a task of the same name in the same project.
    const foreign = cvat.state.nextId('task');
    cvat.state.tasks.set(foreign, { ...first, id: foreign, frames: [] });

    const backend = await rig.deps.backends.create(
      { name: 'cvat', params: rig.params },
      { objects: local.store.media },
    );
    const run = await local.store.runs.get(DATASET, ANNO_KEY);
    // The retry of page 1 (s1-s4), as the workflow would send it again.
    const samples = await local.store.samples.list(DATASET, { limit: 4 });
    const prepared = prepareUpload({
      dataset: (await local.store.datasets.get(DATASET)).schema,
      samples: samples.items.map((each) => each.sample),
      labelSchema: labelSchemaOf(run),
    });
    const retried = await backend.upload({
      ...backendContext(run),
      page: { index: 0, samples: prepared.samples },
    });

    expect(cvat.state.tasks.has(first.id)).toBe(false);
    expect(cvat.state.tasks.has(foreign)).toBe(true);
    expect(retried.tasks.map((task) => task.taskId)).toEqual(
      tasks.slice(0, 2).map((task) => task.taskId),
    );
    expect(cvat.counts().tasks).toBe(4);
  });
});

describe('CVAT: a new run under the key of a renamed run', () => {
  it("leaves the renamed run's same-named tasks in CVAT, with their annotators' work", async () => {
    const local = await aws.newStore();
    await seedSixImages(local);
    const rig = cvatRig(local, cvat, { task_name: 'Street review' });
    await annotateRun(rig.deps, REQUEST);
    const renamedTasks = (await tasksOf(local, DATASET)).map((task) => Number(task.backendTaskId));
    await local.store.runs.rename(DATASET, ANNO_KEY, 'kept');

    // The rig's clock is fixed; the new run is created a day later.
    await annotateRun({ ...rig.deps, clock: () => new Date('2026-01-03T00:00:00.000Z') }, REQUEST);

    expect(renamedTasks.filter((id) => !cvat.state.tasks.has(id))).toEqual([]);
    const kept = await local.store.tasks.listByRun(DATASET, 'kept');
    expect(kept.items.map((task) => Number(task.backendTaskId))).toEqual(renamedTasks);
    expect(await tasksOf(local, DATASET)).toHaveLength(renamedTasks.length);
  });
});

describe('CVAT task options: media from a CVAT cloud storage', () => {
  /** A cloud storage on the media bucket seen from `datasets/`; `reads` logs what CVAT read. */
  async function withStorage(params: (storageId: number) => Record<string, unknown>) {
    const local = await aws.newStore();
    await seedSixImages(local);
    const reads: string[] = [];
    const storageId = cvat.addCloudStorage({
      resource: local.bucket,
      read: async (file) => {
        reads.push(file);
        return (await local.store.media.read(`datasets/${file}`))?.body;
      },
    });
    const rig = cvatRig(local, cvat, params(storageId));
    return { local, rig, reads };
  }

  it('attaches media as keys CVAT reads from the storage, no links presigned', async () => {
    const { local, rig, reads } = await withStorage((id) => ({
      cloud_storage_id: id,
      cloud_storage_prefix: 'datasets/',
    }));
    await annotateRun(rig.deps, REQUEST);
    expect(reads.sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `street/s${n}.jpg`));
    const tasks = await tasksOf(local, DATASET);
    expect(
      tasks.map((task) => cvat.state.tasks.get(Number(task.backendTaskId))?.frames.length),
    ).toEqual([2, 2, 2]);
  });

  it.each([
    {
      why: 'a sample outside the storage prefix',
      params: (id: number) => ({ cloud_storage_id: id, cloud_storage_prefix: 'elsewhere/' }),
      message: /not in CVAT cloud storage/,
    },
    {
      why: 'a cloud storage CVAT does not have',
      params: () => ({ cloud_storage_id: 999 }),
      message: /no cloud storage 999/,
    },
  ])('refuses $why before creating anything in CVAT', async ({ params, message }) => {
    const { rig } = await withStorage(params);
    await expect(annotateRun(rig.deps, REQUEST)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(message),
    });
    expect(cvat.counts()).toMatchObject({ projects: 0, tasks: 0 });
  });
});
