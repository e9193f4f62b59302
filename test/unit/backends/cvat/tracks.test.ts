import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CvatTrack, trackSchema } from '../../../../lib/backends/cvat/api.js';
import { expandTracks } from '../../../../lib/backends/cvat/tracks.js';
import { splitTracksByJob } from '../../../emulators/cvat/job-tracks.js';
import type { JobRecord } from '../../../emulators/cvat/state.js';

const shape = (frame: number, points: number[], outside = false) => ({
  type: 'rectangle',
  frame,
  points,
  occluded: false,
  outside,
  rotation: 0,
  attributes: [],
});
const track = (id: number, shapes: ReturnType<typeof shape>[]) => ({
  id,
  frame: shapes[0]?.frame ?? 0,
  label_id: 1,
  group: 0,
  attributes: [],
  shapes,
});
const frames = (tracks: ReturnType<typeof track>[], count: number) =>
  expandTracks(tracks, { frameCount: count }).map((each) => [
    each.index,
    each.frame,
    each.points,
    each.keyframe,
  ]);

describe('CVAT tracks: expansion to frames', () => {
  it('interpolates linearly between visible keyframes', () => {
    expect(
      frames([track(1, [shape(0, [0, 0, 10, 10]), shape(4, [4, 8, 14, 18], true)])], 10),
    ).toEqual([
      [1, 0, [0, 0, 10, 10], true],
      [1, 1, [0, 0, 10, 10], false],
      [1, 2, [0, 0, 10, 10], false],
      [1, 3, [0, 0, 10, 10], false],
    ]);
    expect(
      frames(
        [
          track(1, [
            shape(0, [0, 0, 10, 10]),
            shape(2, [2, 4, 12, 14]),
            shape(3, [2, 4, 12, 14], true),
          ]),
        ],
        10,
      ),
    ).toEqual([
      [1, 0, [0, 0, 10, 10], true],
      [1, 1, [1, 2, 11, 12], false],
      [1, 2, [2, 4, 12, 14], true],
    ]);
  });

  it('holds a mask until its next keyframe: runs are not coordinates to interpolate', () => {
    const mask = (frame: number, points: number[]) => ({ ...shape(frame, points), type: 'mask' });
    const held = [0, 4, 0, 0, 1, 1];
    expect(
      frames([track(1, [mask(0, held), mask(2, [1, 3, 0, 0, 1, 1]), shape(3, held, true)])], 10),
    ).toEqual([
      [1, 0, held, true],
      [1, 1, held, false],
      [1, 2, [1, 3, 0, 0, 1, 1], true],
    ]);
  });

  it('runs a track without a closing outside keyframe to the last frame', () => {
    expect(frames([track(1, [shape(7, [1, 1, 2, 2])])], 10).map(([, frame]) => frame)).toEqual([
      7, 8, 9,
    ]);
  });

  it('hides a track from an outside keyframe until the next visible one', () => {
    const split = track(1, [
      shape(0, [0, 0, 1, 1]),
      shape(1, [0, 0, 1, 1], true),
      shape(3, [5, 5, 6, 6]),
    ]);
    expect(frames([split], 5).map(([, frame]) => frame)).toEqual([0, 3, 4]);
  });

  it('numbers tracks by server id, reading a track a job returned twice once', () => {
    const first = track(9, [shape(0, [0, 0, 1, 1]), shape(2, [0, 0, 1, 1], true)]);
    const other = track(4, [shape(5, [0, 0, 1, 1]), shape(6, [0, 0, 1, 1], true)]);
    expect(frames([first, first, other], 10).map(([index, frame]) => [index, frame])).toEqual([
      [1, 5],
      [2, 0],
      [2, 1],
    ]);
  });
});

describe('CVAT tracks: pieces of a track CVAT split by job', () => {
  /** Keyframes at 0 and 6 (own `label_id` values, spec 7), hidden from 9; jobs of 4 frames. */
  const labelId = (value: string) => [{ spec_id: 7, value }];
  const whole: CvatTrack = {
    ...track(100, []),
    shapes: [
      { ...shape(0, [0, 0, 12, 12]), attributes: labelId('a') },
      { ...shape(6, [6, 12, 18, 24]), attributes: labelId('b') },
      shape(9, [6, 12, 18, 24], true),
    ],
  };
  const jobs = [
    { start: 0, stop: 3 },
    { start: 4, stop: 7 },
    { start: 8, stop: 9 },
  ];
  const jobRecords = jobs.map(
    ({ start, stop }, at) =>
      ({
        id: at + 1,
        task_id: 1,
        start_frame: start,
        stop_frame: stop,
        type: 'annotation',
      }) as JobRecord,
  );
  let next = 200;
  const split = splitTracksByJob(
    {
      shapes: [],
      tags: [],
      tracks: [
        {
          id: 100,
          frame: 0,
          label_id: 1,
          group: 0,
          source: 'manual',
          attributes: [],
          shapes: whole.shapes.map((each, at) => ({
            id: at + 1,
            type: each.type,
            frame: each.frame,
            points: each.points,
            occluded: false,
            outside: each.outside,
            z_order: 0,
            rotation: 0,
            attributes: each.attributes.map(({ spec_id, value }) => ({ spec_id, value })),
            keyframe: true,
          })),
        },
      ],
    },
    jobRecords,
    () => {
      next += 1;
      return next;
    },
  ).tracks;
  // What a client reads: the emulator's records through the client's own schema.
  const pieceTracks = z.array(trackSchema).parse(split);
  const read = (
    tracks: readonly CvatTrack[],
    layout: { jobs?: typeof jobs; pieces?: Record<string, number> },
  ) =>
    expandTracks(tracks, { frameCount: 10, ...layout }).map((each) => [
      each.index,
      each.frame,
      each.points,
      each.keyframe,
    ]);

  it('are cut as CVAT cuts them: an interpolated shape at a cut, the outside after the job', () => {
    expect(split.map((each) => each.shapes.map((s) => [s.frame, s.points, s.outside]))).toEqual([
      [
        [0, [0, 0, 12, 12], false],
        [3, [3, 6, 15, 18], false],
      ],
      [
        [4, [4, 8, 16, 20], false],
        [6, [6, 12, 18, 24], false],
      ],
      [
        [8, [6, 12, 18, 24], false],
        [9, [6, 12, 18, 24], true],
      ],
    ]);
    expect(new Set(split.map((each) => each.id)).size).toBe(3);
  });

  it('read back as the whole track when the upload recorded them: one index, the same keyframes', () => {
    const pieces = Object.fromEntries(split.map((each) => [String(each.id), 0]));

    // The whole track as one job would hold it.
    expect(read(pieceTracks, { jobs, pieces })).toEqual(read([whole], {}));
  });

  it('are tracks of their own without a record (drawn in CVAT), each ending with its job', () => {
    expect(
      read(pieceTracks, { jobs })
        .filter(([, , , keyframe]) => keyframe)
        .map(([index, frame]) => [index, frame]),
    ).toEqual([
      [1, 0],
      [1, 3],
      [2, 4],
      [2, 6],
      [3, 8],
    ]);
  });
});
