import { describe, expect, it } from 'vitest';
import {
  type CvatLabelPlan,
  cvatParamsSchema,
  fromCvatAnnotations,
  parseAttribute,
  planCvatLabels,
  toCvatAnnotations,
} from '../../../../lib/backends/cvat/index.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import type { UploadSample } from '../../../../lib/schema/upload-sample.js';
import { field, oid } from '../../../support/builders.js';

const W = 100;
const H = 50;
const schema: LabelSchema = {
  boxes: field({
    type: 'detections',
    classes: ['car'],
    attributes: {
      color: { type: 'select', values: ['red', 'blue'] },
      hidden: { type: 'occluded' },
      size: { type: 'text', values: [] },
    },
  }),
  lines: field({ type: 'polylines', classes: ['lane'] }),
  marks: field({ type: 'keypoints', classes: ['joint'] }),
  scene: field({ type: 'classification', classes: ['day', 'night'] }),
  weather: field({ type: 'scalar', classes: ['sunny', 'rainy'] }),
  count: field({ type: 'scalar', classes: [] }),
};

/** CVAT labels as the project would have them: ids 1…, attribute ids 100…. */
function cvatLabels(plan: CvatLabelPlan) {
  let attributeId = 100;
  return plan.specs.map((spec, index) => ({
    id: index + 1,
    name: spec.name,
    attributes: spec.attributes.map((attribute) => ({ ...attribute, id: attributeId++ })),
  }));
}

const sample: UploadSample = {
  id: 's1',
  filepath: 's3://b/s1.jpg',
  media_type: 'image',
  tags: [],
  fields: {
    boxes: {
      _cls: 'Detections',
      detections: [
        {
          _cls: 'Detection',
          id: oid(1),
          label: 'car',
          bounding_box: [0.1, 0.2, 0.3, 0.4],
          color: 'blue',
          hidden: true,
          size: 3,
        },
      ],
    },
    lines: {
      _cls: 'Polylines',
      polylines: [
        {
          _cls: 'Polyline',
          id: oid(2),
          label: 'lane',
          closed: false,
          filled: false,
          points: [
            [
              [0, 0],
              [0.5, 0.5],
            ],
            [
              [1, 1],
              [0.5, 0.5],
            ],
          ],
        },
      ],
    },
    marks: {
      _cls: 'Keypoints',
      keypoints: [
        {
          _cls: 'Keypoint',
          id: oid(3),
          label: 'joint',
          points: [
            [0.25, 0.5],
            [null, null],
          ],
        },
      ],
    },
    scene: { _cls: 'Classification', id: oid(4), label: 'night' },
    weather: 'rainy',
    count: 12,
  },
};

describe('CVAT conversion', () => {
  const params = cvatParamsSchema.parse({});
  const plan = planCvatLabels(schema, params);
  const labels = cvatLabels(plan);
  const upload = toCvatAnnotations({
    samples: [sample],
    frames: [{ width: W, height: H }],
    plan,
    labelSchema: schema,
    labels: new Map(labels.map((label) => [label.name, label])),
  });

  it('sends boxes, polyline parts, points and tags in pixels with their label ids', () => {
    expect(upload.shapes.map((shape) => [shape.type, shape.points, shape.occluded])).toEqual([
      ['rectangle', [10, 10, 40, 30], true],
      ['polyline', [0, 0, 50, 25], false],
      ['polyline', [100, 50, 50, 25], false],
      ['points', [25, 25], false],
    ]);
    const labelNamed = (name: string) => labels.find((label) => label.name === name);
    expect(upload.tags).toEqual([
      {
        frame: 0,
        label_id: labelNamed('night')?.id,
        group: 0,
        source: 'manual',
        attributes: [{ spec_id: expect.any(Number), value: oid(4) }],
      },
      // Scalars: a class's tag, or the field's tag with the value as text.
      { frame: 0, label_id: labelNamed('rainy')?.id, group: 0, source: 'manual', attributes: [] },
      {
        frame: 0,
        label_id: labelNamed('count')?.id,
        group: 0,
        source: 'manual',
        attributes: [{ spec_id: labelNamed('count')?.attributes[0]?.id, value: '12' }],
      },
    ]);
    expect(upload.shapes[0]?.attributes).toEqual([
      { spec_id: expect.any(Number), value: 'blue' },
      { spec_id: expect.any(Number), value: '3' },
      { spec_id: expect.any(Number), value: oid(1) },
    ]);
  });

  it('reads the same annotations back as the labels that were sent', () => {
    const saved = {
      shapes: upload.shapes.map((shape, index) => ({ ...shape, id: index + 1 })),
      tags: upload.tags.map((tag, index) => ({ ...tag, id: index + 1 })),
      tracks: [],
    } as never;

    const annotations = fromCvatAnnotations({
      cvatTaskId: 7,
      data: saved,
      sampleIds: ['s1'],
      frames: [{ width: W, height: H }],
      plan,
      labelSchema: schema,
      labels: new Map(labels.map((label) => [label.id, label])),
      serverIds: {},
    });

    expect(annotations).toEqual({
      boxes: {
        detections: {
          s1: {
            [oid(1)]: {
              _cls: 'Detection',
              id: oid(1),
              label: 'car',
              color: 'blue',
              size: 3,
              hidden: true,
              bounding_box: [0.1, 0.2, 0.3, 0.4],
            },
          },
        },
      },
      lines: {
        polylines: {
          s1: {
            [oid(2)]: {
              _cls: 'Polyline',
              id: oid(2),
              label: 'lane',
              closed: false,
              filled: false,
              points: [
                [
                  [0, 0],
                  [0.5, 0.5],
                ],
                [
                  [1, 1],
                  [0.5, 0.5],
                ],
              ],
            },
          },
        },
      },
      marks: {
        keypoints: {
          s1: { [oid(3)]: { _cls: 'Keypoint', id: oid(3), label: 'joint', points: [[0.25, 0.5]] } },
        },
      },
      scene: {
        classifications: {
          s1: { [oid(4)]: { _cls: 'Classification', id: oid(4), label: 'night' } },
        },
      },
      weather: { scalar: { s1: 'rainy' } },
      count: { scalar: { s1: 12 } },
    });
  });

  it('prefers the recorded server id, and gives a pasted copy of a label its own id', () => {
    const box = upload.shapes[0] as Record<string, unknown>;
    const annotations = fromCvatAnnotations({
      cvatTaskId: 7,
      // The copy (id 9) comes first and carries the original's label_id.
      data: {
        shapes: [
          { ...box, id: 9 },
          { ...box, id: 5 },
        ],
        tags: [],
        tracks: [],
      } as never,
      sampleIds: ['s1'],
      frames: [{ width: W, height: H }],
      plan,
      labelSchema: schema,
      labels: new Map(labels.map((label) => [label.id, label])),
      serverIds: { 'shape:5': oid(1) },
    });
    const ids = Object.keys(annotations.boxes?.detections?.s1 as object);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(oid(1));
  });

  it('matches an item that lost its ids to the uploaded item with the same frame, label and pixels', () => {
    const box = upload.shapes[0] as { attributes: Array<{ value: string }> } & Record<
      string,
      unknown
    >;
    const stripped = {
      ...box,
      id: 11,
      attributes: box.attributes.filter((each) => each.value !== oid(1)),
    };
    const moved = { ...stripped, id: 12, points: [0, 0, 1, 1] };
    const annotations = fromCvatAnnotations({
      cvatTaskId: 7,
      data: { shapes: [moved, stripped], tags: [], tracks: [] } as never,
      sampleIds: ['s1'],
      frames: [{ width: W, height: H }],
      plan,
      labelSchema: schema,
      labels: new Map(labels.map((label) => [label.id, label])),
      serverIds: {},
      uploaded: [
        {
          labelId: oid(1),
          frame: 0,
          cvatLabelId: box.label_id as number,
          type: 'rectangle',
          points: box.points as number[],
        },
      ],
    });
    const ids = Object.keys(annotations.boxes?.detections?.s1 as object);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(oid(1));
    const kept = annotations.boxes?.detections?.s1 as
      | Record<string, { bounding_box: number[] }>
      | undefined;
    expect(kept?.[oid(1)]?.bounding_box).toEqual([0.1, 0.2, 0.3, 0.4]);
  });

  it.each([
    ['1', { type: 'text' }, 1],
    ['1.5', { type: 'text' }, 1.5],
    ['true', { type: 'text' }, true],
    ['None', { type: 'text' }, undefined],
    ['', { type: 'text' }, undefined],
    ['blue', { type: 'text' }, 'blue'],
    ['2', { type: 'select', values: ['1', 2] }, 2],
    ['false', { type: 'checkbox', values: [true, false] }, false],
  ])('reads attribute text %j of %j as %j', (text, spec, expected) => {
    expect(parseAttribute(text, spec)).toEqual(expected);
  });
});
