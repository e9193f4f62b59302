import { describe, expect, it } from 'vitest';
import {
  type ResultConversion,
  resultToAnnotations,
} from '../../../../lib/backends/files/result.js';
import type { Annotations } from '../../../../lib/merge/contract.js';
import type { FieldSchema, LabelSchema } from '../../../../lib/schema/types.js';
import { oid } from '../../../support/builders.js';

const TASK = 'gt_review-00000';
const A = oid(0xa);
const B = oid(0xb);
const NEW = oid(0x1e1);

function field(type: FieldSchema['type'], existingField = true): FieldSchema {
  return { type, classes: [], attributes: {}, existingField };
}

/** A result with one sample `s1` whose fields are `fields`, for the given schema. */
function convert(
  labelSchema: LabelSchema,
  samples: Array<Record<string, unknown>>,
  sampleIds: string[] = samples.map((sample) => String(sample.id)),
): ResultConversion {
  return resultToAnnotations(
    { version: 1, taskId: TASK, samples },
    { labelSchema, taskId: TASK, sampleIds },
  );
}

function annotations(conversion: ResultConversion): Annotations {
  if (!conversion.ok)
    throw new Error(`expected a valid result: ${JSON.stringify(conversion.issues)}`);
  return conversion.annotations;
}

function issues(conversion: ResultConversion): Array<{ path: string; message: string }> {
  if (conversion.ok) throw new Error('expected the result to be rejected');
  return conversion.issues;
}

/** The ids a download holds for one sample, in order. */
function idsOf(byLabel: unknown): string[] {
  return Object.keys(byLabel as Record<string, unknown>);
}

const LIST_TYPES = [
  {
    type: 'detections',
    container: 'Detections',
    listKey: 'detections',
    label: (label: string) => ({ _cls: 'Detection', label, bounding_box: [0.1, 0.1, 0.2, 0.2] }),
  },
  {
    type: 'classifications',
    container: 'Classifications',
    listKey: 'classifications',
    label: (label: string) => ({ _cls: 'Classification', label }),
  },
  {
    type: 'polylines',
    container: 'Polylines',
    listKey: 'polylines',
    label: (label: string) => ({
      _cls: 'Polyline',
      label,
      points: [
        [
          [0.1, 0.1],
          [0.5, 0.5],
        ],
      ],
      closed: false,
      filled: false,
    }),
  },
  {
    type: 'keypoints',
    container: 'Keypoints',
    listKey: 'keypoints',
    label: (label: string) => ({
      _cls: 'Keypoint',
      label,
      points: [
        [0.1, 0.2],
        [null, null],
      ],
    }),
  },
] as const;

describe('Function: resultToAnnotations — list fields', () => {
  it.each(LIST_TYPES)(
    'files $type edits, additions with and without ids, and deletions under $type',
    ({ type, container, listKey, label }) => {
      // Uploaded: A and B. The annotator relabels A, deletes B, adds NEW and one without id.
      const result = convert({ gt: field(type) }, [
        {
          id: 's1',
          fields: {
            gt: {
              _cls: container,
              [listKey]: [{ ...label('dog'), id: A }, { ...label('cat'), id: NEW }, label('bird')],
            },
          },
        },
      ]);

      const bySample = annotations(result).gt?.[type]?.s1 as Record<string, { label: string }>;
      const ids = idsOf(bySample);
      expect(ids).toHaveLength(3);
      expect(ids.slice(0, 2)).toEqual([A, NEW]);
      expect(ids).not.toContain(B);
      expect(bySample[A]).toMatchObject({ id: A, label: 'dog' });
      expect(bySample[ids[2] as string]).toMatchObject({ id: ids[2], label: 'bird' });
    },
  );
});

describe('Function: resultToAnnotations — single-label fields', () => {
  it.each([
    {
      type: 'classification',
      returnType: 'classifications',
      value: { _cls: 'Classification', id: A, label: 'night' },
    },
    {
      type: 'detection',
      returnType: 'detections',
      value: { _cls: 'Detection', id: A, label: 'car', bounding_box: [0, 0, 1, 1] },
    },
    {
      type: 'segmentation',
      returnType: 'segmentation',
      value: {
        _cls: 'Segmentation',
        id: A,
        mask: [
          [0, 1],
          [1, 0],
        ],
      },
    },
  ] as const)(
    'files a $type value under $returnType keyed by its id',
    ({ type, returnType, value }) => {
      const result = convert({ f: field(type) }, [{ id: 's1', fields: { f: value } }]);

      expect(annotations(result)).toEqual({ f: { [returnType]: { s1: { [A]: value } } } });
    },
  );

  it('lists a sample whose single label was removed (null) with no labels', () => {
    const result = convert({ f: field('classification') }, [{ id: 's1', fields: { f: null } }]);

    expect(annotations(result)).toEqual({ f: { classifications: { s1: {} } } });
  });
});

describe('Function: resultToAnnotations — scalars', () => {
  it('files scalar values by sample, null included', () => {
    const result = convert({ count: field('scalar') }, [
      { id: 's1', fields: { count: 5 } },
      { id: 's2', fields: { count: null } },
      { id: 's3', fields: { count: 'many' } },
    ]);

    expect(annotations(result)).toEqual({ count: { scalar: { s1: 5, s2: null, s3: 'many' } } });
  });

  it('files a label put in a scalar field under its own return type', () => {
    const tag = { _cls: 'Classification', id: A, label: 'x' };
    const result = convert({ count: field('scalar') }, [{ id: 's1', fields: { count: tag } }]);

    expect(annotations(result)).toEqual({ count: { classifications: { s1: { [A]: tag } } } });
  });
});

describe('Function: resultToAnnotations — video frame fields', () => {
  it('files frame labels by sample and 1-based frame number', () => {
    const dog = {
      _cls: 'Detection',
      id: A,
      label: 'dog',
      bounding_box: [0, 0, 0.5, 0.5],
      index: 1,
    };
    const result = convert({ 'frames.dets': field('detections'), clip: field('classification') }, [
      {
        id: 'v1',
        fields: { clip: null },
        frames: {
          '1': { id: oid(0xf1), fields: { dets: { _cls: 'Detections', detections: [dog] } } },
          '2': { id: oid(0xf2), fields: { dets: { _cls: 'Detections', detections: [] } } },
        },
      },
    ]);

    expect(annotations(result)).toEqual({
      clip: { classifications: { v1: {} } },
      'frames.dets': { detections: { v1: { '1': { [A]: dog }, '2': {} } } },
    });
  });

  it('files frame-level scalars by sample and frame number', () => {
    const result = convert({ 'frames.blur': field('scalar') }, [
      { id: 'v1', fields: {}, frames: { '3': { fields: { blur: 0.5 } } } },
    ]);

    expect(annotations(result)).toEqual({ 'frames.blur': { scalar: { v1: { '3': 0.5 } } } });
  });

  it('derives ids of new frame labels from the frame too', () => {
    const box = { label: 'cat', bounding_box: [0, 0, 1, 1] };
    const frames = {
      '1': { fields: { dets: { _cls: 'Detections', detections: [box] } } },
      '2': { fields: { dets: { _cls: 'Detections', detections: [box] } } },
    };
    const result = convert({ 'frames.dets': field('detections') }, [
      { id: 'v1', fields: {}, frames },
    ]);

    const byFrame = annotations(result)['frames.dets']?.detections?.v1 as Record<string, unknown>;
    const [first] = idsOf(byFrame['1']);
    const [second] = idsOf(byFrame['2']);
    expect(first).not.toBe(second);
  });
});

describe('Function: resultToAnnotations — new label ids', () => {
  const schema = { gt: field('detections') };
  const sample = (labels: unknown[]) => ({
    id: 's1',
    fields: { gt: { _cls: 'Detections', detections: labels } },
  });
  const box = { _cls: 'Detection', label: 'cat', bounding_box: [0, 0, 1, 1] };

  it('gives a label without id the same 24-hex id every time the result is read', () => {
    const first = idsOf(annotations(convert(schema, [sample([box])])).gt?.detections?.s1);
    const again = idsOf(annotations(convert(schema, [sample([box])])).gt?.detections?.s1);

    expect(first).toEqual(again);
    expect(first[0]).toMatch(/^[0-9a-f]{24}$/);
  });

  it('gives labels without id at different positions different ids', () => {
    const ids = idsOf(annotations(convert(schema, [sample([box, box])])).gt?.detections?.s1);

    expect(new Set(ids).size).toBe(2);
  });

  it('treats a null id like a missing one', () => {
    const ids = idsOf(
      annotations(convert(schema, [sample([{ ...box, id: null }])])).gt?.detections?.s1,
    );

    expect(ids[0]).toMatch(/^[0-9a-f]{24}$/);
  });

  it('keeps the first label of a repeated id and makes the copy a new label', () => {
    const ids = idsOf(
      annotations(
        convert(schema, [
          sample([
            { ...box, id: A },
            { ...box, id: A },
          ]),
        ]),
      ).gt?.detections?.s1,
    );

    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(A);
    expect(ids[1]).not.toBe(A);
  });

  it("takes a label's class from its container when _cls is left out", () => {
    const { _cls, ...bare } = box;
    const bySample = annotations(convert(schema, [sample([{ ...bare, id: A }])])).gt?.detections
      ?.s1;

    expect(bySample).toEqual({ [A]: { ...box, id: A } });
  });

  it("takes a container's class from the field when _cls is left out", () => {
    const result = convert(schema, [
      { id: 's1', fields: { gt: { detections: [{ ...box, id: A }] } } },
    ]);

    expect(idsOf(annotations(result).gt?.detections?.s1)).toEqual([A]);
  });
});

describe('Function: resultToAnnotations — labels of another kind than the field', () => {
  const keypoint = { _cls: 'Keypoint', id: B, label: 'nose', points: [[0.5, 0.5]] };
  const box = { _cls: 'Detection', id: A, label: 'cat', bounding_box: [0, 0, 1, 1] };

  it('files a keypoint inside a detections list under keypoints, beside the detections', () => {
    const result = convert({ gt: field('detections') }, [
      { id: 's1', fields: { gt: { _cls: 'Detections', detections: [box, keypoint] } } },
    ]);

    expect(annotations(result)).toEqual({
      gt: { detections: { s1: { [A]: box } }, keypoints: { s1: { [B]: keypoint } } },
    });
  });

  it('files a Keypoints container in a detections field under keypoints', () => {
    const result = convert({ gt: field('detections') }, [
      { id: 's1', fields: { gt: { _cls: 'Keypoints', keypoints: [keypoint] } } },
    ]);

    expect(annotations(result)).toEqual({
      gt: { detections: { s1: {} }, keypoints: { s1: { [B]: keypoint } } },
    });
  });
});

describe('Function: resultToAnnotations — fields', () => {
  it('accepts a sample without a new field: it simply has no labels there', () => {
    const result = convert({ gt: field('detections', false) }, [{ id: 's1', fields: {} }]);

    expect(annotations(result)).toEqual({});
  });

  it('files labels added to a new field', () => {
    const label = { _cls: 'Classification', id: A, label: 'day' };
    const result = convert({ when: field('classification', false) }, [
      { id: 's1', fields: { when: label } },
    ]);

    expect(annotations(result)).toEqual({ when: { classifications: { s1: { [A]: label } } } });
  });
});

describe('Function: resultToAnnotations — rejections', () => {
  const schema: LabelSchema = {
    gt: field('detections'),
    count: field('scalar'),
    'frames.dets': field('detections'),
  };
  const good = { id: 's1', fields: { gt: null, count: 1 } };

  it.each([
    ['a result that is not an object', 'not json', '', 'expected object'],
    ['an unknown version', { version: 2, taskId: TASK, samples: [] }, 'version', '1'],
    ['no samples list', { version: 1, taskId: TASK }, 'samples', 'expected array'],
    [
      'a sample without fields',
      { version: 1, taskId: TASK, samples: [{ id: 's1' }] },
      'samples[0].fields',
      'expected record',
    ],
    [
      'a frame number that is not 1-based',
      { version: 1, taskId: TASK, samples: [{ ...good, frames: { '0': { fields: {} } } }] },
      'samples[0].frames.0',
      '1-based',
    ],
  ])('rejects %s', (_name, raw, path, message) => {
    const result = resultToAnnotations(raw, {
      labelSchema: schema,
      taskId: TASK,
      sampleIds: ['s1'],
    });

    expect(issues(result)[0]).toEqual({ path, message: expect.stringContaining(message) });
  });

  it('rejects the result of another task', () => {
    const result = resultToAnnotations(
      { version: 1, taskId: 'other-00001', samples: [good] },
      { labelSchema: schema, taskId: TASK, sampleIds: ['s1'] },
    );

    expect(issues(result)).toEqual([
      { path: 'taskId', message: `is 'other-00001', but this is the result of task '${TASK}'` },
    ]);
  });

  it.each<[string, Array<Record<string, unknown>>, { path: string; message: string }]>([
    [
      'a sample of another task',
      [good, { id: 'zz', fields: {} }],
      { path: 'samples[1].id', message: expect.stringContaining("unknown sample 'zz'") },
    ],
    [
      'a sample listed twice',
      [good, good],
      { path: 'samples[1].id', message: "sample 's1' appears more than once" },
    ],
    [
      'a missing sample',
      [],
      { path: 'samples', message: expect.stringContaining("sample 's1' of the task is missing") },
    ],
    [
      'a field that is not in the run',
      [{ ...good, fields: { ...good.fields, extra: 1 } }],
      {
        path: 'samples[0].fields.extra',
        message: expect.stringContaining('is not a field of the run'),
      },
    ],
    [
      'a frame field at sample level',
      [{ ...good, fields: { ...good.fields, 'frames.dets': null } }],
      { path: 'samples[0].fields.frames.dets', message: expect.stringContaining('is not a field') },
    ],
    [
      'an uploaded field left out',
      [{ id: 's1', fields: { count: 1 } }],
      { path: 'samples[0].fields', message: expect.stringContaining("field 'gt' is missing") },
    ],
    [
      'an uploaded frame field left out of a frame',
      [{ ...good, frames: { '1': { fields: {} } } }],
      {
        path: 'samples[0].frames.1.fields',
        message: expect.stringContaining("field 'dets' is missing"),
      },
    ],
    [
      'a label that fails its schema',
      [
        {
          ...good,
          fields: {
            gt: { _cls: 'Detections', detections: [{ label: 'x', bounding_box: [0, 0] }] },
            count: 1,
          },
        },
      ],
      { path: 'samples[0].fields.gt.detections[0].bounding_box', message: expect.any(String) },
    ],
    [
      'a label id that is not an ObjectId',
      [{ ...good, fields: { gt: { detections: [{ id: 'abc', label: 'x' }] }, count: 1 } }],
      { path: 'samples[0].fields.gt.detections[0].id', message: expect.stringContaining('24-hex') },
    ],
    [
      'an unknown label class',
      [{ ...good, fields: { gt: { detections: [{ _cls: 'Box', label: 'x' }] }, count: 1 } }],
      {
        path: 'samples[0].fields.gt.detections[0]._cls',
        message: expect.stringContaining("unknown label class 'Box'"),
      },
    ],
    [
      'a container whose list is not a list',
      [{ ...good, fields: { gt: { _cls: 'Detections', detections: {} }, count: 1 } }],
      { path: 'samples[0].fields.gt.detections', message: 'must be a list of Detection labels' },
    ],
    [
      'a label field holding a string',
      [{ ...good, fields: { gt: 'cat', count: 1 } }],
      { path: 'samples[0].fields.gt', message: expect.stringContaining('must be a label object') },
    ],
    [
      'a scalar field holding a list',
      [{ ...good, fields: { gt: null, count: [1, 2] } }],
      { path: 'samples[0].fields.count', message: 'must be a string, number, boolean or null' },
    ],
  ])('rejects %s, naming where', (_name, samples, issue) => {
    expect(issues(convert(schema, samples, ['s1']))).toEqual([issue]);
  });

  it('lists every problem, up to a hundred, and counts them all', () => {
    const bad = Array.from({ length: 150 }, () => ({ id: 'nope', label: 'x' }));
    const result = convert(schema, [{ ...good, fields: { gt: { detections: bad }, count: 1 } }]);

    expect(result).toMatchObject({ ok: false, issueCount: 150 });
    expect(issues(result)).toHaveLength(100);
  });
});
