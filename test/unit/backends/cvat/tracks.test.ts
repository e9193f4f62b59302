import { describe, expect, it } from 'vitest';
import { expandTracks } from '../../../../lib/backends/cvat/tracks.js';

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

  it('joins the slices of one track that several jobs return, and numbers tracks by server id', () => {
    const first = track(9, [shape(0, [0, 0, 1, 1]), shape(2, [0, 0, 1, 1])]);
    const second = track(9, [shape(2, [0, 0, 1, 1]), shape(3, [0, 0, 1, 1], true)]);
    const other = track(4, [shape(5, [0, 0, 1, 1]), shape(6, [0, 0, 1, 1], true)]);
    expect(frames([first, second, other], 10).map(([index, frame]) => [index, frame])).toEqual([
      [1, 5],
      [2, 0],
      [2, 1],
      [2, 2],
    ]);
  });
});
