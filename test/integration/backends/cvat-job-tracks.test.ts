import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../lib/store/tasks.js';
import { backendContext, backendTask } from '../../../lib/workflows/run-context.js';
import type { CvatEmulator } from '../../emulators/cvat/index.js';
import { detection, detections, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { mp4 } from '../../support/media.js';
import { annotateRun, loadRun } from '../workflows/run-support.js';
import {
  ANNO_KEY,
  CLIPS,
  type CvatRig,
  cvatRig,
  REQUEST,
  seedVideo,
  TRACK_IDS,
  useCvatEmulator,
} from './cvat-support.js';

const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator((started) => {
  cvat = started;
});

/**
 * The 10-frame video `v1` (its car track, index 1, on frame numbers 1-3 = task frames 0-2)
 * sent in jobs of 2 frames: the track crosses the boundary between jobs [0, 1] and [2, 3].
 */
async function videoRun() {
  const local = await aws.newStore();
  await seedVideo(local);
  const rig = cvatRig(local, cvat, { segment_size: 2 });
  const request = { ...REQUEST, dataset: CLIPS, labelField: 'frames.detections', pageSize: 10 };
  await annotateRun(rig.deps, request);
  const [task] = (await local.store.tasks.listByRun(CLIPS, ANNO_KEY)).items;
  return { local, rig, task: task as TaskRecord, cvatId: Number(task?.backendTaskId) };
}

const finishAll = (cvatId: number) => {
  for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
};

async function download(rig: CvatRig, local: LocalStore, task: TaskRecord) {
  const backend = await rig.deps.backends.create(
    { name: 'cvat', params: rig.params },
    { objects: local.store.media },
  );
  const run = await local.store.runs.get(CLIPS, ANNO_KEY);
  return backend.download(backendContext(run), backendTask(task));
}

const car = (id: string, bounding_box = [0.25, 0.25, 0.5, 0.5]) => ({
  _cls: 'Detection',
  id,
  label: 'car',
  index: 1,
  keyframe: true,
  bounding_box,
});

describe('CVAT backend: a video track crossing jobs (segment_size)', () => {
  it('is saved by CVAT as one piece per job, each with its own id and the label ids of its frames', async () => {
    const { cvatId } = await videoRun();

    const pieces = cvat.annotator.tracks(cvatId);
    const jobs = cvat.annotator.jobs(cvatId);

    expect(jobs.map((job) => [job.start_frame, job.stop_frame])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(
      pieces.map((track) => track.shapes.map((shape) => [shape.frame, shape.outside])),
    ).toEqual([
      [
        [0, false],
        [1, false],
      ],
      [
        [2, false],
        [3, true],
      ],
    ]);
    expect(new Set(pieces.map((track) => track.id)).size).toBe(2);
    // Each job sees only its own piece.
    const [first, second] = jobs;
    if (!first || !second) throw new Error('two jobs expected');
    expect(cvat.state.jobAnnotations(first).tracks.map((track) => track.id)).toEqual([
      pieces[0]?.id,
    ]);
    expect(cvat.state.jobAnnotations(second).tracks.map((track) => track.id)).toEqual([
      pieces[1]?.id,
    ]);
  });

  it('loads the pieces as one track: no edits change nothing, every frame keeps its id and index', async () => {
    const { local, rig, task, cvatId } = await videoRun();
    finishAll(cvatId);

    const downloaded = await download(rig, local, task);
    const loaded = await loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });

    expect(downloaded['frames.detections']?.detections?.v1).toEqual({
      '1': { [TRACK_IDS[0] ?? '']: car(TRACK_IDS[0] ?? '') },
      '2': { [TRACK_IDS[1] ?? '']: car(TRACK_IDS[1] ?? '') },
      '3': { [TRACK_IDS[2] ?? '']: car(TRACK_IDS[2] ?? '') },
    });
    expect(loaded.merged).toEqual([
      expect.objectContaining({ added: 0, edited: 0, deleted: 0, refused: 0 }),
    ]);
    const [video] = (await local.store.samples.list(CLIPS, { limit: 1 })).items;
    const stored = Object.fromEntries(
      Object.entries(video?.sample.frames ?? {}).map(([number, frame]) => [
        number,
        (
          (frame.detections as { detections?: Array<Record<string, unknown>> } | undefined)
            ?.detections ?? []
        ).map((label) => [label.id, label.index]),
      ]),
    );
    expect(stored).toEqual({
      '1': [[TRACK_IDS[0], 1]],
      '2': [[TRACK_IDS[1], 1]],
      '3': [[TRACK_IDS[2], 1]],
    });
  });

  it('edits only the frame whose keyframe the annotator moves in the second job, same index', async () => {
    const { local, rig, task, cvatId } = await videoRun();
    const [, second] = cvat.annotator.tracks(cvatId);
    const before = cvat.annotator.jobs(cvatId).map((job) => job.updated_date);
    // Task frame 2 (frame number 3), in job [2, 3]: the box moves right by 16 px.
    cvat.annotator.setTrackedPoints(second?.id ?? 0, 2, [32, 12, 64, 36]);
    // The edit saves the second job only.
    expect(cvat.annotator.jobs(cvatId).map((job, at) => job.updated_date !== before[at])).toEqual([
      false,
      true,
      false,
      false,
      false,
    ]);
    finishAll(cvatId);

    const downloaded = await download(rig, local, task);
    const loaded = await loadRun(rig.deps, { dataset: CLIPS, annoKey: ANNO_KEY });

    expect(downloaded['frames.detections']?.detections?.v1).toEqual({
      '1': { [TRACK_IDS[0] ?? '']: car(TRACK_IDS[0] ?? '') },
      '2': { [TRACK_IDS[1] ?? '']: car(TRACK_IDS[1] ?? '') },
      '3': { [TRACK_IDS[2] ?? '']: car(TRACK_IDS[2] ?? '', [0.5, 0.25, 0.5, 0.5]) },
    });
    expect(loaded.merged).toEqual([
      expect.objectContaining({ added: 0, edited: 1, deleted: 0, refused: 0 }),
    ]);
  });

  it("ends a track drawn in CVAT without an outside keyframe with its job's frames", async () => {
    const { local, rig, task, cvatId } = await videoRun();
    // Drawn in job [4, 5] and never closed: CVAT shows it to the job's end, not the video's.
    cvat.annotator.addTrack(cvatId, {
      type: 'rectangle',
      label: 'car',
      shapes: [{ frame: 4, points: [0, 0, 32, 24] }],
    });
    finishAll(cvatId);

    const downloaded = await download(rig, local, task);

    const v1: unknown = downloaded['frames.detections']?.detections?.v1;
    const frames = (v1 ?? {}) as Record<string, Record<string, unknown>>;
    expect(Object.keys(frames)).toEqual(['1', '2', '3', '5', '6']);
    expect(Object.values(frames['5'] ?? {})).toEqual([
      expect.objectContaining({ index: 2, keyframe: true, bounding_box: [0, 0, 0.5, 0.5] }),
    ]);
    expect(Object.values(frames['6'] ?? {})).toEqual([
      expect.not.objectContaining({ keyframe: true }),
    ]);
  });

  /**
   * A keyframe-only track (keyframes at frame numbers 1 and 6, the boxes between as CVAT
   * interpolates them, marked `keyframe: false`): only the two keyframes are sent, and CVAT
   * cuts the track at every job boundary in between, adding interpolated shapes there.
   */
  async function keyframeRun(annoKey: string, segmentSize?: number) {
    const local = await aws.newStore();
    const { store, bucket } = local;
    await store.datasets.create('kf', {
      mediaType: 'video',
      sampleFields: {},
      frameFields: { detections: 'Detections' },
    });
    await store.media.put('datasets/kf/v1.mp4', mp4(64, 48, 10), 'video/mp4');
    const frames: Record<string, Record<string, unknown>> = {};
    for (let number = 1; number <= 6; number += 1) {
      const x = (number - 1) * 0.05;
      frames[String(number)] = {
        id: oid(0xe0 + number),
        detections: detections(
          detection(oid(0xd0 + number), 'car', {
            index: 1,
            keyframe: number === 1 || number === 6,
            bounding_box: [x, 0.25, 0.25, 0.5],
          }),
        ),
      };
    }
    await store.samples.batchPut('kf', [
      {
        id: 'v1',
        filepath: `s3://${bucket}/datasets/kf/v1.mp4`,
        media_type: 'video',
        metadata: { frame_width: 64, frame_height: 48, total_frame_count: 10 },
        tags: [],
        frames: frames as never,
      },
    ]);
    const rig = cvatRig(local, cvat, segmentSize ? { segment_size: segmentSize } : {});
    await annotateRun(rig.deps, {
      ...REQUEST,
      annoKey,
      dataset: 'kf',
      labelField: 'frames.detections',
      pageSize: 10,
    });
    const [task] = (await local.store.tasks.listByRun('kf', annoKey)).items;
    const cvatId = Number(task?.backendTaskId);
    finishAll(cvatId);
    const loaded = await loadRun(rig.deps, { dataset: 'kf', annoKey });
    const [video] = (await local.store.samples.list('kf', { limit: 1 })).items;
    return { cvatId, loaded, frames: video?.sample.frames };
  }

  it('loads a keyframe-only track cut at every job as the same track one job loads', async () => {
    const whole = await keyframeRun('whole', 10);
    const cut = await keyframeRun('cut', 2);

    // Jobs [0, 1], [2, 3], [4, 5]: three pieces, with shapes CVAT added at the cuts.
    expect(cvat.annotator.tracks(cut.cvatId).map((track) => track.shapes.length)).toEqual([
      2, 2, 3,
    ]);
    const counts = (run: typeof whole) =>
      run.loaded.merged.map(({ added, edited, deleted, refused }) => ({
        added,
        edited,
        deleted,
        refused,
      }));
    expect(counts(cut)).toEqual(counts(whole));
    // Interpolated frames get ids derived from the server id of the piece they are read
    // from; every other id, box, index and keyframe flag is the same as with one job. (One
    // job adds them too: the stored frames between keyframes were not sent, so nothing
    // records their ids.)
    const seeded = new Set(Array.from({ length: 6 }, (_, at) => oid(0xd1 + at)));
    const derivedIdsHidden = (frames: unknown) =>
      JSON.parse(JSON.stringify(frames), (key, value: unknown) =>
        key === 'id' &&
        typeof value === 'string' &&
        /^[0-9a-f]{24}$/.test(value) &&
        !seeded.has(value) &&
        !value.startsWith('0000000000000000000000e')
          ? 'derived'
          : value,
      ) as unknown;
    expect(derivedIdsHidden(cut.frames)).toEqual(derivedIdsHidden(whole.frames));
    expect(counts(whole)).toEqual([{ added: 4, edited: 0, deleted: 0, refused: 0 }]);
  });
});
