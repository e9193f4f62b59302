import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taskSchema } from '../../../../lib/backends/labelstudio/api-schemas.js';
import {
  annotationsOfResults,
  brushRleFromMask,
  decodeBrushRle,
  encodeBrushRle,
  fromPercent,
  maskFromBrushRle,
  resultsOfSample,
  toPercent,
} from '../../../../lib/backends/labelstudio/index.js';
import type { LabelType } from '../../../../lib/labels/label-types.js';
import type { FieldSchema } from '../../../../lib/schema/types.js';
import type { UploadSample } from '../../../../lib/schema/upload-sample.js';
import { oid } from '../../../support/builders.js';

describe('Functions: toPercent / fromPercent', () => {
  it.each([0, 0.07, 0.1, 0.3, 0.5, 0.123456789, 0.333333333333333, 0.999999999999999, 1])(
    'maps %d to percent and back to the same double',
    (value) => {
      expect(fromPercent(toPercent(value))).toBe(value);
      expect(Math.abs(toPercent(value) - value * 100)).toBeLessThan(1e-12);
    },
  );

  it('maps relative coordinates of up to 15 significant digits back exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (raw) => {
        const value = Number(raw.toPrecision(15));
        expect(fromPercent(toPercent(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('maps any relative coordinate back to within one part in 10^15', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (value) => {
        expect(Math.abs(fromPercent(toPercent(value)) - value)).toBeLessThanOrEqual(value * 1e-15);
      }),
    );
  });
});

describe('Functions: brush RLE', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (values) => {
        expect([...decodeBrushRle(encodeBrushRle(values))]).toEqual([...values]);
      }),
    );
  });

  it('keeps a mask in the alpha channel of the image', () => {
    const mask = [
      [0, 1, 1],
      [0, 1, 0],
    ];

    expect(maskFromBrushRle(brushRleFromMask(mask), 3, 2)).toEqual(mask);
  });

  it('decodes a literal block as well as a repeat block', () => {
    // count 4, word size 8, widths 1,1,1,1; literal block of 2 words (3, 4), repeat of 2 × 9.
    const bits = [
      '00000000000000000000000000000100',
      '00111',
      '0000',
      '0000',
      '0000',
      '0000',
      '0',
      '00',
      '1',
      '00000011',
      '00000100',
      '1',
      '00',
      '1',
      '00001001',
    ].join('');
    const bytes = (bits.padEnd(Math.ceil(bits.length / 8) * 8, '0').match(/.{8}/g) ?? []).map(
      (byte) => parseInt(byte, 2),
    );

    expect([...decodeBrushRle(bytes)]).toEqual([3, 4, 9, 9]);
  });

  it('rejects a truncated stream with a typed error', () => {
    expect(() => decodeBrushRle([0, 0, 0, 9])).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

const ID = oid(0x1);
const field = (type: LabelType, extra: Partial<FieldSchema> = {}): FieldSchema => ({
  type,
  classes: ['car', 'person'],
  attributes: {},
  existingField: true,
  ...extra,
});
const sample = (fields: Record<string, unknown>): UploadSample => ({
  id: 's1',
  filepath: 'https://media.example.com/s1.jpg',
  media_type: 'image',
  metadata: { width: 8, height: 4 },
  tags: [],
  fields,
});

/** Existing labels → prediction items → download: an untouched label comes back as it went. */
const ROUND_TRIPS: Array<[string, FieldSchema, unknown, string, unknown]> = [
  [
    'classification',
    field('classification'),
    { _cls: 'Classification', id: ID, label: 'car' },
    'classifications',
    { _cls: 'Classification', id: ID, label: 'car' },
  ],
  [
    'detections',
    field('detections'),
    {
      _cls: 'Detections',
      detections: [
        { _cls: 'Detection', id: ID, label: 'car', bounding_box: [0.07, 0.1, 0.3, 0.123456789] },
      ],
    },
    'detections',
    { _cls: 'Detection', id: ID, label: 'car', bounding_box: [0.07, 0.1, 0.3, 0.123456789] },
  ],
  [
    'polygons',
    field('polygons'),
    {
      _cls: 'Polylines',
      polylines: [
        {
          _cls: 'Polyline',
          id: ID,
          label: 'car',
          points: [
            [
              [0.1, 0.2],
              [0.3, 0.4],
              [0.5, 0.07],
            ],
            [
              [0.6, 0.6],
              [0.7, 0.7],
              [0.8, 0.6],
            ],
          ],
          closed: true,
          filled: true,
        },
      ],
    },
    'polylines',
    {
      _cls: 'Polyline',
      id: ID,
      label: 'car',
      points: [
        [
          [0.1, 0.2],
          [0.3, 0.4],
          [0.5, 0.07],
        ],
        [
          [0.6, 0.6],
          [0.7, 0.7],
          [0.8, 0.6],
        ],
      ],
      closed: true,
      filled: true,
    },
  ],
  [
    'keypoints',
    field('keypoints'),
    {
      _cls: 'Keypoints',
      keypoints: [
        {
          _cls: 'Keypoint',
          id: ID,
          label: 'person',
          points: [
            [0.1, 0.2],
            [0.3, 0.4],
            [0.5, 0.6],
          ],
        },
      ],
    },
    'keypoints',
    {
      _cls: 'Keypoint',
      id: ID,
      label: 'person',
      points: [
        [0.1, 0.2],
        [0.3, 0.4],
        [0.5, 0.6],
      ],
    },
  ],
  [
    'instances',
    field('instances'),
    {
      _cls: 'Detections',
      detections: [
        {
          _cls: 'Detection',
          id: ID,
          label: 'car',
          bounding_box: [0.25, 0.25, 0.5, 0.5],
          mask: [
            [1, 0, 1, 1],
            [1, 1, 1, 1],
          ],
        },
      ],
    },
    'detections',
    {
      _cls: 'Detection',
      id: ID,
      label: 'car',
      bounding_box: [0.25, 0.25, 0.5, 0.5],
      mask: [
        [1, 0, 1, 1],
        [1, 1, 1, 1],
      ],
    },
  ],
  [
    'segmentation',
    field('segmentation', { classes: [], maskTargets: { '1': 'road', '2': 'sky' } }),
    {
      _cls: 'Segmentation',
      id: ID,
      mask: [
        [0, 1, 1, 2, 2, 2, 0, 0],
        [1, 1, 1, 2, 2, 2, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
    },
    'segmentation',
    {
      _cls: 'Segmentation',
      id: ID,
      mask: [
        [0, 1, 1, 2, 2, 2, 0, 0],
        [1, 1, 1, 2, 2, 2, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
    },
  ],
];

describe('Functions: resultsOfSample / annotationsOfResults', () => {
  it.each(ROUND_TRIPS)(
    'brings an untouched %s label back unchanged, under its id',
    (_name, schema, value, returnType, expected) => {
      const { items, geometry } = resultsOfSample({ f: schema }, sample({ f: value }));

      expect(annotationsOfResults({ f: schema }, 's1', items, '7', geometry)).toEqual({
        f: { [returnType]: { s1: { [ID]: expected } } },
      });
    },
  );

  it('sends one keypoint item per point, ids <label id>_<k> after the first', () => {
    const [value] = ROUND_TRIPS.filter(([name]) => name === 'keypoints').map((entry) => entry[2]);
    const { items } = resultsOfSample({ f: field('keypoints') }, sample({ f: value }));

    expect(items.map((item) => item.id)).toEqual([ID, `${ID}_1`, `${ID}_2`]);
    expect(items[1]?.value).toEqual({ x: 30, y: 40, width: 0.34, keypointlabels: ['person'] });
  });

  it('brings untouched 17-digit coordinates back exactly, and reads moved ones from percent', () => {
    const box = [1 / 3, 0.1 + 0.2, 2 / 7, 1 / 7];
    const value = {
      _cls: 'Detections',
      detections: [{ _cls: 'Detection', id: ID, label: 'car', bounding_box: box }],
    };
    const { items, geometry } = resultsOfSample({ f: field('detections') }, sample({ f: value }));
    const [item] = items;
    if (item === undefined) throw new Error('no item');
    const moved = { ...item, value: { ...item.value, x: 50 } };
    const boxOf = (annotations: ReturnType<typeof annotationsOfResults>) =>
      ((annotations.f?.detections?.s1 ?? {}) as Record<string, { bounding_box: number[] }>)[ID]
        ?.bounding_box;

    expect(
      boxOf(annotationsOfResults({ f: field('detections') }, 's1', [item], '7', geometry)),
    ).toEqual(box);
    expect(
      boxOf(annotationsOfResults({ f: field('detections') }, 's1', [moved], '7', geometry)),
    ).toEqual([
      0.5,
      fromPercent(toPercent(box[1] ?? 0)),
      fromPercent(toPercent(box[2] ?? 0)),
      fromPercent(toPercent(box[3] ?? 0)),
    ]);
  });

  it('reads an annotation in which the annotator linked two regions, leaving the link out', () => {
    const box = (id: string, x: number) => ({
      id,
      type: 'rectanglelabels',
      from_name: 'f',
      to_name: 'image',
      value: { x, y: 10, width: 20, height: 20, rectanglelabels: ['car'] },
    });
    // Label Studio saves a relation as a result item without from_name or value.
    const task = taskSchema.parse({
      id: 7,
      data: { image: 'x', sample_id: 's1', annoflow_run: 'd/k', annoflow_page: 0 },
      annotations: [
        {
          id: 1,
          result: [
            box('a1', 10),
            box('b2', 50),
            { from_id: 'a1', to_id: 'b2', type: 'relation', direction: 'right' },
          ],
        },
      ],
    });
    const items = task.annotations?.[0]?.result ?? [];

    const labels = annotationsOfResults({ f: field('detections') }, 's1', items, '7').f?.detections
      ?.s1;

    expect(Object.keys(labels ?? {})).toHaveLength(2);
  });

  it('lists the sample with no labels when the annotator deleted them all', () => {
    expect(annotationsOfResults({ f: field('detections') }, 's1', [], '7')).toEqual({
      f: { detections: { s1: {} } },
    });
  });

  it('names new regions the same on every download, and groups new keypoints by class run', () => {
    const point = (id: string, x: number, label: string) => ({
      id,
      type: 'keypointlabels',
      from_name: 'f',
      value: { x, y: 50, width: 0.34, keypointlabels: [label] },
    });
    const items = [point('a1', 10, 'nose'), point('a2', 20, 'nose'), point('b1', 30, 'eye')];

    const once = annotationsOfResults({ f: field('keypoints') }, 's1', items, '7');
    const twice = annotationsOfResults({ f: field('keypoints') }, 's1', items, '7');

    expect(once).toEqual(twice);
    const labels = Object.values(once.f?.keypoints?.s1 ?? {}) as Array<{
      label: string;
      points: unknown;
    }>;
    expect(labels.map(({ label, points }) => ({ label, points }))).toEqual([
      {
        label: 'nose',
        points: [
          [0.1, 0.5],
          [0.2, 0.5],
        ],
      },
      { label: 'eye', points: [[0.3, 0.5]] },
    ]);
  });

  it('reads a rotated rectangle as the box around it', () => {
    const item = {
      id: 'r',
      type: 'rectanglelabels',
      from_name: 'f',
      value: { x: 50, y: 0, width: 20, height: 10, rotation: 90, rectanglelabels: ['car'] },
    };

    const labels =
      annotationsOfResults({ f: field('detections') }, 's1', [item], '7').f?.detections?.s1 ?? {};
    const [box] = Object.values(labels).map(
      (label) => (label as { bounding_box: number[] }).bounding_box,
    );

    expect(box?.map((v) => Number(v.toFixed(9)))).toEqual([0.4, 0, 0.1, 0.2]);
  });

  it('rotates a rectangle in pixels on a non-square image', () => {
    // 200×100 px; a 20×10 px box at the origin, turned 90° about its top-left corner, covers
    // x ∈ [-10, 0] and y ∈ [0, 20] pixels.
    const item = {
      id: 'r',
      type: 'rectanglelabels',
      from_name: 'f',
      original_width: 200,
      original_height: 100,
      value: { x: 0, y: 0, width: 10, height: 10, rotation: 90, rectanglelabels: ['car'] },
    };

    const labels =
      annotationsOfResults({ f: field('detections') }, 's1', [item], '7').f?.detections?.s1 ?? {};
    const [box] = Object.values(labels).map(
      (label) => (label as { bounding_box: number[] }).bounding_box,
    );

    expect(box?.map((v) => Number(v.toFixed(9)))).toEqual([-0.05, 0, 0.05, 0.2]);
  });

  it.each([
    ['a rectangle without x', { type: 'rectanglelabels', value: { y: 1, width: 1, height: 1 } }],
    [
      'a brush without the image size',
      { type: 'brushlabels', value: { format: 'rle', rle: [0], brushlabels: ['car'] } },
    ],
  ])('rejects %s with a typed error', (_case, item) => {
    const schema = item.type === 'brushlabels' ? field('instances') : field('detections');

    expect(() =>
      annotationsOfResults({ f: schema }, 's1', [{ id: 'x', from_name: 'f', ...item }], '7'),
    ).toThrow(expect.objectContaining({ code: 'BACKEND_RESULT_INVALID' }));
  });

  it('refuses a mask on a sample without its pixel size, before anything is sent', () => {
    const [, schema, value] = ROUND_TRIPS.find(([name]) => name === 'instances') ?? [];
    if (!schema) throw new Error('no instances case');

    expect(() =>
      resultsOfSample({ f: schema }, { ...sample({ f: value }), metadata: null }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
