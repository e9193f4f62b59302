import { describe, expect, it } from 'vitest';
import {
  type ExportLine,
  exportLineSchema,
  exportToAnnotations,
} from '../../../../lib/backends/labelbox/index.js';
import { EVERY_TYPE } from './schemas.js';

const P = 'clproject1';
const cls = (value: string) => ({ name: 'class_name', radio_answer: { name: value, value } });

function line(objects: unknown[], classifications: unknown[] = [], extra: object = {}): ExportLine {
  return exportLineSchema.parse({
    data_row: { id: 'dr1', global_key: 's1', row_data: 'https://media/s1.jpg' },
    projects: {
      [P]: {
        name: 'p',
        labels: [
          {
            id: 'lb1',
            label_details: { updated_at: '2026-01-01T00:00:01.000Z' },
            annotations: { objects, classifications, relationships: [] },
          },
        ],
        project_details: { workflow_status: 'DONE', batch_id: 'b1' },
      },
    },
    ...extra,
  });
}

const ctx = {
  labelSchema: EVERY_TYPE,
  projectId: P,
  sampleIds: ['s1'],
  sizes: { s1: [64, 48] as const },
  masks: new Map<string, number[][]>(),
};

function only(annotations: ReturnType<typeof exportToAnnotations>, field: string, type: string) {
  const bySample = annotations[field]?.[type as 'detections'] as Record<string, object> | undefined;
  return Object.values((bySample?.s1 ?? {}) as Record<string, Record<string, unknown>>);
}

describe('Function: exportToAnnotations (absolute pixels → relative)', () => {
  it('turns a box’s top/left/width/height into a relative [x, y, w, h]', () => {
    const box = {
      feature_id: 'f1',
      name: 'boxes',
      bounding_box: { top: 12, left: 16, height: 24, width: 32 },
      classifications: [cls('car')],
    };
    const [label] = only(exportToAnnotations([line([box])], ctx), 'boxes', 'detections');
    expect(label).toMatchObject({
      _cls: 'Detection',
      label: 'car',
      bounding_box: [0.25, 0.25, 0.5, 0.5],
    });
  });

  it('turns polygons into closed, filled polylines and lines into open ones', () => {
    const points = [
      { x: 0, y: 0 },
      { x: 32, y: 0 },
      { x: 32, y: 24 },
    ];
    const annotations = exportToAnnotations(
      [
        line([
          { feature_id: 'f1', name: 'areas', polygon: points, classifications: [cls('car')] },
          { feature_id: 'f2', name: 'lanes', line: points, classifications: [cls('person')] },
        ]),
      ],
      ctx,
    );
    const expected = [
      [
        [0, 0],
        [0.5, 0],
        [0.5, 0.5],
      ],
    ];
    expect(only(annotations, 'areas', 'polylines')[0]).toMatchObject({
      _cls: 'Polyline',
      points: expected,
      closed: true,
      filled: true,
    });
    expect(only(annotations, 'lanes', 'polylines')[0]).toMatchObject({
      points: expected,
      closed: false,
      filled: false,
    });
  });

  it('turns a point into a one-point keypoint', () => {
    const point = {
      feature_id: 'f1',
      name: 'joints',
      point: { x: 32, y: 12 },
      classifications: [cls('car')],
    };
    expect(only(exportToAnnotations([line([point])], ctx), 'joints', 'keypoints')[0]).toMatchObject(
      {
        _cls: 'Keypoint',
        points: [[0.5, 0.25]],
      },
    );
  });

  it('reads nested answers as attributes with their original types', () => {
    const box = {
      feature_id: 'f1',
      name: 'boxes',
      bounding_box: { top: 0, left: 0, height: 1, width: 1 },
      classifications: [
        cls('car'),
        { name: 'occluded', radio_answer: { name: 'true', value: 'true' } },
        { name: 'note', text_answer: { content: 'dented' } },
        { name: 'color', radio_answer: { name: 'red', value: 'red' } },
        { name: 'parts', checklist_answers: [{ name: 'door', value: 'door' }] },
      ],
    };
    expect(only(exportToAnnotations([line([box])], ctx), 'boxes', 'detections')[0]).toMatchObject({
      occluded: true,
      note: 'dented',
      color: 'red',
      parts: ['door'],
    });
  });

  it('reads radio, checklist and text questions as classification(s) and scalars', () => {
    const annotations = exportToAnnotations(
      [
        line(
          [],
          [
            {
              feature_id: 'q1',
              name: 'weather',
              radio_answer: {
                name: 'sunny',
                value: 'sunny',
                classifications: [{ name: 'certainty', radio_answer: { name: '2', value: '2' } }],
              },
            },
            {
              feature_id: 'q2',
              name: 'topics',
              checklist_answers: [
                { name: 'city', value: 'city' },
                { name: 'night', value: 'night' },
              ],
            },
            { feature_id: 'q3', name: 'caption', text_answer: { content: 'a street' } },
            {
              feature_id: 'q4',
              name: 'rating (scalar)',
              radio_answer: { name: 'good', value: 'good' },
            },
          ],
        ),
      ],
      ctx,
    );
    expect(only(annotations, 'weather', 'classifications')).toEqual([
      { _cls: 'Classification', id: expect.any(String), label: 'sunny', certainty: 2 },
    ]);
    expect(only(annotations, 'topics', 'classifications').map((c) => c.label)).toEqual([
      'city',
      'night',
    ]);
    expect(annotations.caption?.scalar).toEqual({ s1: 'a street' });
    expect(annotations.rating?.scalar).toEqual({ s1: 'good' });
  });

  it('crops an instance mask to its box and composes a segmentation from class masks', () => {
    const size = { s1: [4, 2] as const };
    const masks = new Map([
      [
        'm1',
        [
          [0, 1, 1, 0],
          [0, 1, 0, 0],
        ],
      ],
      [
        'm2',
        [
          [1, 0, 0, 0],
          [1, 0, 0, 1],
        ],
      ],
    ]);
    const annotations = exportToAnnotations(
      [
        line([
          { feature_id: 'f1', name: 'masks', mask: { url: 'm1' }, classifications: [cls('car')] },
          {
            feature_id: 'f2',
            name: 'scene (segmentation)',
            mask: { url: 'm1' },
            classifications: [cls('road')],
          },
          {
            feature_id: 'f3',
            name: 'scene (segmentation)',
            mask: { url: 'm2' },
            classifications: [cls('car')],
          },
        ]),
      ],
      { ...ctx, sizes: size, masks },
    );
    expect(only(annotations, 'masks', 'detections')[0]).toMatchObject({
      bounding_box: [0.25, 0, 0.5, 1],
      mask: [
        [1, 1],
        [1, 0],
      ],
    });
    expect(only(annotations, 'scene', 'segmentation')[0]).toMatchObject({
      _cls: 'Segmentation',
      mask: [
        [2, 1, 1, 0],
        [2, 1, 0, 2],
      ],
    });
  });

  it('gives the same labels the same ids on every read', () => {
    const box = {
      feature_id: 'f1',
      name: 'boxes',
      bounding_box: { top: 0, left: 0, height: 1, width: 1 },
    };
    const first = exportToAnnotations([line([box])], ctx);
    expect(exportToAnnotations([line([box])], ctx)).toEqual(first);
    expect(only(first, 'boxes', 'detections')[0]?.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('uses Labelbox’s media attributes when the sample had no size', () => {
    const point = { feature_id: 'f1', name: 'joints', point: { x: 5, y: 5 } };
    const row = line([point], [], { media_attributes: { width: 10, height: 20 } });
    expect(
      only(exportToAnnotations([row], { ...ctx, sizes: {} }), 'joints', 'keypoints')[0],
    ).toMatchObject({
      points: [[0.5, 0.25]],
    });
  });

  it('ignores features that are not fields of the run', () => {
    const stray = { feature_id: 'f1', name: 'somebody_elses', point: { x: 5, y: 5 } };
    expect(exportToAnnotations([line([stray])], ctx)).toEqual({});
  });

  it.each([
    ['a row that is not a sample of the task', { ...ctx, sampleIds: ['s2'] }, "global key 's1'"],
    ['a sample of unknown size', { ...ctx, sizes: {} }, "Sample 's1' has no width and height"],
  ])('refuses %s with BACKEND_RESULT_INVALID', (_name, context, fragment) => {
    const point = { feature_id: 'f1', name: 'joints', point: { x: 5, y: 5 } };
    expect(() => exportToAnnotations([line([point])], context)).toThrow(
      expect.objectContaining({
        code: 'BACKEND_RESULT_INVALID',
        message: expect.stringContaining(fragment),
      }),
    );
  });
});

describe('Function: exportToAnnotations (videos)', () => {
  const videoSchema = {
    'frames.vehicles': {
      type: 'detections' as const,
      classes: ['car'],
      attributes: {},
      existingField: false,
    },
    'frames.scene': {
      type: 'classification' as const,
      classes: ['day', 'night'],
      attributes: {},
      existingField: false,
    },
  };
  const box = (left: number) => ({
    feature_id: 'ignored',
    name: 'frames.vehicles',
    annotation_kind: 'VideoBoundingBox',
    bounding_box: { top: 0, left, height: 24, width: 32 },
    classifications: [cls('car')],
  });
  const video = exportLineSchema.parse({
    data_row: { id: 'dr1', global_key: 's1', row_data: 'https://media/s1.mp4' },
    projects: {
      [P]: {
        labels: [
          {
            id: 'lb1',
            annotations: {
              frames: {
                '2': { objects: { trackA: box(32), trackB: box(0) }, classifications: [] },
                '1': {
                  objects: { trackA: box(0) },
                  classifications: [
                    {
                      feature_id: 'q1',
                      name: 'frames.scene',
                      radio_answer: { name: 'day', value: 'day' },
                    },
                  ],
                },
              },
              segments: {},
              key_frame_feature_map: {},
              classifications: [],
            },
          },
        ],
      },
    },
  });

  it('files each frame’s labels under its frame number, numbering tracks in order of appearance', () => {
    const annotations = exportToAnnotations([video], { ...ctx, labelSchema: videoSchema });
    const frames = annotations['frames.vehicles']?.detections?.s1 as Record<
      string,
      Record<string, object>
    >;

    expect(Object.keys(frames).sort()).toEqual(['1', '2']);
    expect(Object.values(frames['1'] ?? {})).toEqual([
      expect.objectContaining({ index: 1, bounding_box: [0, 0, 0.5, 0.5] }),
    ]);
    expect(Object.values(frames['2'] ?? {})).toEqual([
      expect.objectContaining({ index: 1, bounding_box: [0.5, 0, 0.5, 0.5] }),
      expect.objectContaining({ index: 2, bounding_box: [0, 0, 0.5, 0.5] }),
    ]);
    const scene = annotations['frames.scene']?.classifications?.s1 as Record<
      string,
      Record<string, object>
    >;
    expect(Object.values(scene['1'] ?? {})).toEqual([expect.objectContaining({ label: 'day' })]);
  });

  it('gives a track a distinct label id on every frame', () => {
    const annotations = exportToAnnotations([video], { ...ctx, labelSchema: videoSchema });
    const frames = annotations['frames.vehicles']?.detections?.s1 as Record<
      string,
      Record<string, object>
    >;
    const ids = [...Object.keys(frames['1'] ?? {}), ...Object.keys(frames['2'] ?? {})];
    expect(new Set(ids).size).toBe(3);
  });
});
