import { describe, expect, it } from 'vitest';
import {
  cvatParamsSchema,
  fromCvatAnnotations,
  planCvatLabels,
  toCvatAnnotations,
} from '../../../../lib/backends/cvat/index.js';
import type { MaskOriginal } from '../../../../lib/backends/cvat/masks.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import type { UploadSample } from '../../../../lib/schema/upload-sample.js';
import { field, oid } from '../../../support/builders.js';

const W = 10;
const H = 8;
const schema: LabelSchema = {
  objects: field({ type: 'instances', classes: ['car'] }),
  scene: field({
    type: 'segmentation',
    classes: ['road', 'sky'],
    maskTargets: { '1': 'road', '2': 'sky' },
  }),
};
const plan = planCvatLabels(schema, cvatParamsSchema.parse({}));
let attributeId = 100;
const labels = plan.specs.map((spec, index) => ({
  id: index + 1,
  name: spec.name,
  attributes: spec.attributes.map((attribute) => ({ ...attribute, id: attributeId++ })),
}));
const labelIdSpec = (name: string) =>
  labels.find((label) => label.name === name)?.attributes.find((each) => each.name === 'label_id')
    ?.id ?? 0;

/** A car whose box is pixels 2..4 × 2..5: its mask is 4 rows of 3. */
const car = (overrides: Record<string, unknown> = {}) => ({
  _cls: 'Detection',
  id: oid(1),
  label: 'car',
  bounding_box: [0.2, 0.25, 0.3, 0.5],
  mask: [
    [1, 0, 0],
    [1, 1, 0],
    [0, 1, 1],
    [0, 0, 0],
  ],
  ...overrides,
});
const sky = (rows: number) => Array.from({ length: rows }, () => Array(W).fill(2));
const road = (rows: number) => Array.from({ length: rows }, () => Array(W).fill(1));
const segmentation = {
  _cls: 'Segmentation',
  id: oid(9),
  mask: [...sky(3), ...Array.from({ length: 2 }, () => Array(W).fill(0)), ...road(3)],
};

const upload = (fields: Record<string, unknown>, originals?: Map<string, MaskOriginal>) =>
  toCvatAnnotations({
    ...(originals ? { originals } : {}),
    samples: [
      {
        id: 's1',
        filepath: 's3://b/s1.jpg',
        media_type: 'image',
        tags: [],
        fields,
      } as UploadSample,
    ],
    frames: [{ width: W, height: H }],
    plan,
    labelSchema: schema,
    labels: new Map(labels.map((label) => [label.name, label])),
  });

function download(
  shapes: Array<Record<string, unknown>>,
  maskOriginals: Record<string, MaskOriginal> = {},
) {
  return fromCvatAnnotations({
    cvatTaskId: 7,
    data: {
      shapes: shapes.map((shape, index) => ({ id: index + 1, ...shape })),
      tags: [],
      tracks: [],
    } as never,
    sampleIds: ['s1'],
    frames: [{ width: W, height: H }],
    plan,
    labelSchema: schema,
    labels: new Map(labels.map((label) => [label.id, label])),
    serverIds: {},
    maskOriginals,
  });
}

const shape = (label: string, type: string, points: number[], labelId?: string) => ({
  type,
  frame: 0,
  label_id: labels.find((each) => each.name === label)?.id,
  points,
  occluded: false,
  outside: false,
  z_order: 0,
  rotation: 0,
  group: 0,
  source: 'manual',
  attributes: labelId ? [{ spec_id: labelIdSpec(label), value: labelId }] : [],
});

describe('CVAT masks: upload', () => {
  it('sends an instance mask as a CVAT mask over its box in pixels, right/bottom inclusive', () => {
    const { shapes } = upload({ objects: { _cls: 'Detections', detections: [car()] } });
    expect(shapes).toEqual([
      expect.objectContaining({
        type: 'mask',
        points: [0, 1, 2, 2, 2, 2, 3, 2, 2, 4, 5],
        attributes: [{ spec_id: labelIdSpec('car'), value: oid(1) }],
      }),
    ]);
  });

  it('resizes a mask of another size than its box to the box (nearest)', () => {
    const { shapes } = upload({
      objects: { _cls: 'Detections', detections: [car({ mask: [[1]] })] },
    });
    expect(shapes[0]?.points).toEqual([0, 12, 2, 2, 4, 5]);
  });

  it('sends an instance without a mask as a rectangle', () => {
    const { shapes } = upload({
      objects: { _cls: 'Detections', detections: [car({ mask: null })] },
    });
    expect(shapes.map((each) => [each.type, each.points])).toEqual([['rectangle', [2, 2, 5, 6]]]);
  });

  it('sends a segmentation as one mask per class present, each carrying its id', () => {
    const { shapes } = upload({ scene: segmentation });
    expect(shapes.map((each) => [each.type, each.label_id, each.points, each.attributes])).toEqual([
      ['mask', 2, [0, 30, 0, 5, 9, 7], [{ spec_id: labelIdSpec('road'), value: oid(9) }]],
      ['mask', 3, [0, 30, 0, 0, 9, 2], [{ spec_id: labelIdSpec('sky'), value: oid(9) }]],
    ]);
  });

  it.each([
    [
      'an instance',
      { objects: { _cls: 'Detections', detections: [car({ mask: null, mask_path: '/m/1.png' })] } },
      oid(1),
    ],
    [
      'a segmentation',
      { scene: { _cls: 'Segmentation', id: oid(9), mask_path: '/m/9.png' } },
      oid(9),
    ],
  ])('refuses %s whose mask is only a file, naming the label', (_name, fields, id) => {
    expect(() => upload(fields)).toThrow(
      expect.objectContaining({
        code: 'BACKEND_UNSUPPORTED',
        message: expect.stringContaining(`Label '${id}'`),
      }),
    );
  });
});

describe('CVAT masks: download', () => {
  it('reads back unchanged masks as the labels that were sent', () => {
    const sent = upload({
      objects: { _cls: 'Detections', detections: [car()] },
      scene: segmentation,
    });
    const annotations = download(sent.shapes);
    expect(annotations.objects?.detections).toEqual({ s1: { [oid(1)]: car() } });
    expect(annotations.scene?.segmentation).toEqual({ s1: { [oid(9)]: segmentation } });
  });

  it("merges an instance's polygons (same label id) into one mask over their box", () => {
    const annotations = download([
      shape('car', 'polygon', [0, 0, 2, 0, 2, 2, 0, 2], oid(1)),
      shape('car', 'polygon', [3, 1, 4, 1, 4, 2, 3, 2], oid(1)),
    ]);
    expect(annotations.objects?.detections).toEqual({
      s1: {
        [oid(1)]: {
          _cls: 'Detection',
          id: oid(1),
          label: 'car',
          bounding_box: [0, 0, 0.4, 0.25],
          mask: [
            [1, 1, 0, 0],
            [1, 1, 0, 1],
          ],
        },
      },
    });
  });

  it('paints polygons drawn in a segmentation field with their class value, the rest 0', () => {
    const annotations = download([shape('sky', 'polygon', [0, 0, 10, 0, 10, 1, 0, 1])]);
    const labelsOf = Object.values(annotations.scene?.segmentation?.s1 ?? {});
    expect(labelsOf).toEqual([
      {
        _cls: 'Segmentation',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        mask: [Array(W).fill(2), ...Array.from({ length: H - 1 }, () => Array(W).fill(0))],
      },
    ]);
  });

  it('reads a mask shape with no pixel set as an instance with a clear mask', () => {
    expect(download([shape('car', 'mask', [12, 2, 2, 4, 5], oid(1))]).objects?.detections).toEqual({
      s1: { [oid(1)]: car({ mask: Array.from({ length: 4 }, () => [0, 0, 0]) }) },
    });
  });

  it('reads an all-background segmentation back from the clear mask sent for it', () => {
    const empty = { ...segmentation, mask: Array.from({ length: H }, () => Array(W).fill(0)) };
    const sent = upload({ scene: empty });
    expect(sent.shapes.map((each) => each.points)).toEqual([[1, 0, 0, 0, 0]]);
    expect(download(sent.shapes).scene?.segmentation).toEqual({ s1: { [oid(9)]: empty } });
  });

  it('refuses a malformed mask from CVAT', () => {
    expect(() => download([shape('car', 'mask', [0, 99, 2, 2, 4, 5], oid(1))])).toThrow(
      expect.objectContaining({ code: 'BACKEND_RESPONSE_INVALID' }),
    );
  });
});

describe('CVAT masks: labels CVAT cannot hold exactly', () => {
  const lossy = {
    objects: {
      _cls: 'Detections',
      detections: [car({ bounding_box: [0.21, 0.25, 0.3, 0.5], mask: [[1, 0]] })],
    },
    scene: {
      ...segmentation,
      mask: [
        [2, 0],
        [0, 1],
      ],
    },
  };

  it('records what was sent of a box off the pixel grid or a mask of another size', () => {
    const originals = new Map<string, MaskOriginal>();
    upload(lossy, originals);
    expect([...originals.keys()]).toEqual([oid(1), oid(9)]);
    expect(originals.get(oid(1))?.fields).toEqual({
      bounding_box: [0.21, 0.25, 0.3, 0.5],
      mask: [[1, 0]],
    });
  });

  it('records nothing for masks CVAT holds exactly', () => {
    const originals = new Map<string, MaskOriginal>();
    upload(
      { objects: { _cls: 'Detections', detections: [car()] }, scene: segmentation },
      originals,
    );
    expect(originals.size).toBe(0);
  });

  it('gives the original back while its mask shapes come back as sent', () => {
    const originals = new Map<string, MaskOriginal>();
    const sent = upload(lossy, originals);
    const annotations = download(sent.shapes, Object.fromEntries(originals));
    expect(annotations.objects?.detections?.s1).toEqual({
      [oid(1)]: lossy.objects.detections[0],
    });
    expect(annotations.scene?.segmentation?.s1).toEqual({ [oid(9)]: lossy.scene });
  });

  it("reads CVAT's pixels once the annotator changed a mask", () => {
    const originals = new Map<string, MaskOriginal>();
    const [carShape] = upload(lossy, originals).shapes;
    const annotations = download(
      [{ ...carShape, points: [0, 12, 2, 2, 4, 5] }],
      Object.fromEntries(originals),
    );
    expect(annotations.objects?.detections?.s1).toEqual({
      [oid(1)]: car({ mask: Array.from({ length: 4 }, () => [1, 1, 1]) }),
    });
  });
});
