import { describe, expect, it } from 'vitest';
import {
  checkFrames,
  dataRequestFields,
  type FrameRange,
  taskFrameCount,
  toFrameNumber,
  toTaskFrame,
} from '../../../../lib/backends/cvat/frame-range.js';
import {
  cvatParamsSchema,
  planCvatLabels,
  toCvatAnnotations,
} from '../../../../lib/backends/cvat/index.js';
import { taskName } from '../../../../lib/backends/cvat/upload.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import type { UploadSample } from '../../../../lib/schema/upload-sample.js';
import { field, oid } from '../../../support/builders.js';

const range = (start: number, step: number, stop?: number): FrameRange => ({
  start,
  step,
  ...(stop !== undefined ? { stop } : {}),
});

describe('CVAT frame ranges: which video frames a task shows', () => {
  it.each([
    { range: range(0, 1), total: 10, count: 10 },
    { range: range(1, 2), total: 10, count: 5 },
    { range: range(0, 3), total: 10, count: 4 },
    { range: range(2, 3, 7), total: 10, count: 2 },
    { range: range(0, 1, 50), total: 10, count: 10 },
    { range: range(10, 1), total: 10, count: 0 },
  ])('shows $count of $total frames for $range', ({ range, total, count }) => {
    expect(taskFrameCount(range, total)).toBe(count);
  });

  it('maps task frame k to FiftyOne frame number start + k*step + 1, and back', () => {
    const every2nd = range(1, 2);
    expect([0, 1, 4].map((k) => toFrameNumber(every2nd, k))).toEqual([2, 4, 10]);
    expect([2, 4, 10].map((n) => toTaskFrame(every2nd, n, 5))).toEqual([0, 1, 4]);
  });

  it.each([
    { why: 'before start', number: 1 },
    { why: 'between steps', number: 3 },
    { why: 'past the task frames', number: 12 },
  ])('has no task frame for a frame number $why', ({ number }) => {
    expect(toTaskFrame(range(1, 2), number, 5)).toBeUndefined();
  });

  it('sends only the fields that select less than the whole video', () => {
    expect(dataRequestFields(range(0, 1))).toEqual({});
    expect(dataRequestFields(range(3, 2, 9))).toEqual({
      start_frame: 3,
      stop_frame: 9,
      frame_filter: 'step=2',
    });
  });

  it('refuses a frame_stop before frame_start, and a step below 1', () => {
    expect(cvatParamsSchema.safeParse({ frame_start: 5, frame_stop: 4 }).success).toBe(false);
    expect(cvatParamsSchema.safeParse({ frame_step: 0 }).success).toBe(false);
    expect(cvatParamsSchema.parse({ frame_start: 5, frame_stop: 5 }).frame_step).toBe(1);
  });
});

describe('CVAT frame ranges: uploading a video', () => {
  const schema: LabelSchema = {
    'frames.boxes': field({ type: 'detections', classes: ['car'] }),
  };
  const plan = planCvatLabels(schema, cvatParamsSchema.parse({}));
  const labels = new Map(
    plan.specs.map((spec, index) => [
      spec.name,
      {
        id: index + 1,
        name: spec.name,
        attributes: spec.attributes.map((attribute, at) => ({ ...attribute, id: 100 + at })),
      },
    ]),
  );
  /** A car tracked (index 1) on frame numbers 1-5. */
  const video: UploadSample = {
    id: 'v1',
    filepath: 's3://b/v1.mp4',
    media_type: 'video',
    tags: [],
    fields: {},
    frames: Object.fromEntries(
      [1, 2, 3, 4, 5].map((number) => [
        String(number),
        {
          id: oid(0xf0 + number),
          fields: {
            boxes: {
              _cls: 'Detections',
              detections: [
                {
                  _cls: 'Detection',
                  id: oid(number),
                  label: 'car',
                  index: 1,
                  bounding_box: [0.1, 0.1, 0.2, 0.2],
                },
              ],
            },
          },
        },
      ]),
    ),
  };
  const upload = (at: FrameRange, frameCount: number) =>
    toCvatAnnotations({
      samples: [video],
      frames: [{ width: 100, height: 100 }],
      plan,
      labelSchema: schema,
      labels,
      frameCount,
      range: at,
    });

  it('places labels of shown frames at their task frame and drops the others', () => {
    // Frames 2, 4, 6, … are shown: the car's frame numbers 2 and 4 are task frames 0 and 1.
    const [track] = upload(range(1, 2), 5).tracks as Array<{
      shapes: Array<Record<string, unknown>>;
    }>;
    expect(track?.shapes.map((shape) => [shape.frame, shape.outside])).toEqual([
      [0, false],
      [1, false],
      [2, true],
    ]);
  });

  it('closes a track on the task frame after its last shown frame, unless it is the last', () => {
    const [track] = upload(range(1, 2, 3), 2).tracks as Array<{
      shapes: Array<Record<string, unknown>>;
    }>;
    expect(track?.shapes.map((shape) => [shape.frame, shape.outside])).toEqual([
      [0, false],
      [1, false],
    ]);
  });
});

describe('CVAT frame ranges: checking what CVAT made of the video', () => {
  const video = {
    id: 'v1',
    filepath: 's3://b/v1.mp4',
    media_type: 'video' as const,
    metadata: { total_frame_count: 10 },
    tags: [],
    fields: {},
  };
  const meta = (size: number) => ({ frames: [{ width: 8, height: 8, name: 'v1.mp4' }], size });

  it('counts the task frames of the range', () => {
    expect(checkFrames(7, [video], range(1, 2), meta(5))).toBe(5);
  });

  it.each([
    { why: 'the whole video', size: 10 },
    { why: 'no frames', size: 0 },
  ])('refuses a task showing $why for a range of 5 frames', ({ size }) => {
    expect(() => checkFrames(7, [video], range(1, 2), meta(size))).toThrow(
      expect.objectContaining({ code: 'BACKEND_RESPONSE_INVALID' }),
    );
  });
});

describe('CVAT task names', () => {
  const run = { dataset: 'street', annoKey: 'gt' };
  it('takes a task_name the env parser read as a number', () => {
    const params = cvatParamsSchema.parse({ task_name: 2024 });
    expect(taskName(params, run, { pageIndex: 0, part: 0, parts: 1 })).toBe('2024_1');
  });

  it.each([
    { params: {}, at: { pageIndex: 2, part: 1, parts: 2 }, name: 'annoflow/street/gt-00002-1' },
    { params: { task_name: 'Review' }, at: { pageIndex: 0, part: 0, parts: 1 }, name: 'Review_1' },
    { params: { task_name: 'Review' }, at: { pageIndex: 2, part: 0, parts: 1 }, name: 'Review_3' },
    {
      params: { task_name: 'Review' },
      at: { pageIndex: 2, part: 1, parts: 2 },
      name: 'Review_3-2',
    },
  ])('names page $at.pageIndex part $at.part of $at.parts as $name', ({ params, at, name }) => {
    expect(taskName(params, run, at)).toBe(name);
  });
});
