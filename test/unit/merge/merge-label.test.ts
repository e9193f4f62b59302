import { describe, expect, it } from 'vitest';
import { type MergeInput, mergeAnnotations } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import {
  byId,
  detection,
  detections,
  field,
  imageSample,
  mergeInput,
  oid,
} from '../../support/builders.js';

const A = oid(1);

/** Merges one stored detection with one downloaded version of it and returns the result. */
function mergeOne(
  stored: Record<string, unknown>,
  downloaded: Record<string, unknown>,
  gt: FieldSchema,
  extra: Partial<MergeInput> = {},
) {
  const result = mergeAnnotations({
    ...mergeInput({
      samples: [imageSample('s1', { gt: detections({ _cls: 'Detection', id: A, ...stored }) })],
      gt,
      idMap: { gt: { s1: [A] } },
      annotations: {
        gt: { detections: { s1: byId({ _cls: 'Detection', id: A, ...downloaded }) } },
      },
    }),
    ...extra,
  });
  const value = result.samples[0]?.gt as { detections: Array<Record<string, unknown>> } | undefined;
  const label = value?.detections[0];
  return { label, result };
}

const box = [0.1, 0.1, 0.2, 0.2];
const moved = [0.3, 0.3, 0.2, 0.2];

const EDITS = [
  [
    'label',
    { label: 'cat' },
    { label: 'dog' },
    { allowLabelEdits: false },
    'LABEL_EDIT_NOT_ALLOWED',
  ],
  [
    'index',
    { label: 'cat', index: 1 },
    { label: 'cat', index: 2 },
    { allowIndexEdits: false },
    'INDEX_EDIT_NOT_ALLOWED',
  ],
  [
    'bounding_box',
    { label: 'cat', bounding_box: box },
    { label: 'cat', bounding_box: moved },
    { allowSpatialEdits: false },
    'SPATIAL_EDIT_NOT_ALLOWED',
  ],
] as const;

describe('Function: mergeAnnotations — merging one label (SEMANTICS §6.5)', () => {
  it.each(EDITS)('copies %s when allowed', (key, stored, downloaded) => {
    const { label } = mergeOne(stored, downloaded, field({ type: 'detections' }));
    expect(label?.[key]).toEqual((downloaded as Record<string, unknown>)[key]);
  });

  it.each(EDITS)(
    'keeps %s and reports the refusal when its restriction is off',
    (key, stored, downloaded, flags, reason) => {
      const { label, result } = mergeOne(
        stored,
        downloaded,
        field({ type: 'detections', ...flags }),
      );
      expect(label?.[key]).toEqual((stored as Record<string, unknown>)[key]);
      expect(result.report.refused).toEqual([{ field: 'gt', sampleId: 's1', labelId: A, reason }]);
      expect(result.warnings).toEqual([]);
    },
  );

  it('copies a null index over a stored one (values are copied even if null)', () => {
    const { label } = mergeOne(
      { label: 'cat', index: 3 },
      { label: 'cat' },
      field({ type: 'detections' }),
    );
    expect(label?.index).toBeNull();
  });

  it('does not erase the mask of a detection in a boxes-only run', () => {
    const mask = [
      [1, 0],
      [0, 1],
    ];
    const { label } = mergeOne(
      { label: 'cat', mask },
      { label: 'cat', bounding_box: moved },
      field({ type: 'detections' }),
    );
    expect(label?.mask).toEqual(mask);
    expect(label?.bounding_box).toEqual(moved);
  });

  it('copies the mask of an instance when spatial edits are allowed', () => {
    const { label } = mergeOne(
      { label: 'cat', mask: [[1]] },
      { label: 'cat', mask: [[0]] },
      field({ type: 'instances' }),
    );
    expect(label?.mask).toEqual([[0]]);
  });

  it('sets each schema attribute to the downloaded value', () => {
    const { label } = mergeOne(
      { label: 'cat', occluded: false },
      { label: 'cat', occluded: true },
      field({ type: 'detections', attributes: { occluded: { type: 'checkbox' } } }),
    );
    expect(label?.occluded).toBe(true);
  });

  it('clears a schema attribute the download lacks', () => {
    const { label } = mergeOne(
      { label: 'cat', occluded: true },
      { label: 'cat' },
      field({ type: 'detections', attributes: { occluded: { type: 'checkbox' } } }),
    );
    expect(label?.occluded).toBeNull();
  });

  it('leaves attributes outside the schema, confidence and tags untouched', () => {
    const { label } = mergeOne(
      { label: 'cat', iscrowd: 1, confidence: 0.9, tags: ['x'] },
      { label: 'dog', iscrowd: 0, confidence: 0.1, tags: [] },
      field({ type: 'detections' }),
    );
    expect(label).toMatchObject({ label: 'dog', iscrowd: 1, confidence: 0.9, tags: ['x'] });
  });

  it('leaves confidence untouched even when the schema names an attribute `confidence`', () => {
    const { label } = mergeOne(
      { label: 'cat', confidence: 0.9 },
      { label: 'dog', confidence: 0.9 },
      field({ type: 'detections', attributes: { confidence: { type: 'text' } } }),
    );
    expect(label).toMatchObject({ label: 'dog', confidence: 0.9 });
  });

  it('writes legacy `attributes` dict entries back into the dict', () => {
    const { label } = mergeOne(
      { label: 'cat', attributes: { sex: { _cls: 'CategoricalAttribute', value: 'f' } } },
      { label: 'cat', sex: 'm' },
      field({ type: 'detections', attributes: { sex: { type: 'text' } } }),
    );
    expect(label?.attributes).toEqual({ sex: { _cls: 'CategoricalAttribute', value: 'm' } });
  });

  it("merges the attributes of the class groups containing the label's class after the edit", () => {
    const gt = field({
      type: 'detections',
      classes: [
        { classes: ['cat'], attributes: { fur: { type: 'text' } } },
        { classes: ['car'], attributes: { make: { type: 'text' } } },
      ],
    });
    const { label } = mergeOne(
      { label: 'car', make: 'vw' },
      { label: 'cat', fur: 'long', make: 'bmw' },
      gt,
    );
    expect(label).toMatchObject({ label: 'cat', fur: 'long', make: 'vw' });
  });

  it('keeps a read-only attribute of an existing label and reports the refused edit', () => {
    const { label, result } = mergeOne(
      { label: 'cat', sex: 'f' },
      { label: 'cat', sex: 'm' },
      field({ type: 'detections', attributes: { sex: { type: 'text', readOnly: true } } }),
    );
    expect(label?.sex).toBe('f');
    expect(result.report.refused).toEqual([
      { field: 'gt', sampleId: 's1', labelId: A, reason: 'READ_ONLY_ATTRIBUTE', attribute: 'sex' },
    ]);
  });

  const sexAt = (level: 'field' | 'group') => {
    const writable = { sex: { type: 'text' as const } };
    const readOnly = { sex: { type: 'text' as const, readOnly: true } };
    return field({
      type: 'detections',
      attributes: level === 'field' ? writable : readOnly,
      classes: [{ classes: ['cat'], attributes: level === 'group' ? writable : readOnly }],
    });
  };

  it.each(['field', 'group'] as const)(
    'merges an attribute writable at %s level though the other level marks it read-only (§6.5)',
    (level) => {
      const { label, result } = mergeOne(
        { label: 'cat', sex: 'f' },
        { label: 'cat', sex: 'm' },
        sexAt(level),
      );
      // FiftyOne merges the writable names of both levels.
      expect(label?.sex).toBe('m');
      expect(result.report.refused).toEqual([]);
    },
  );

  it('takes a new label wholesale, read-only attributes included', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1', { gt: detections() })],
        gt: field({ type: 'detections', attributes: { sex: { type: 'text', readOnly: true } } }),
        idMap: { gt: { s1: [] } },
        annotations: { gt: { detections: { s1: byId(detection(oid(9), 'cat', { sex: 'm' })) } } },
      }),
    );
    expect(
      (result.samples[0]?.gt as { detections: unknown[] } | undefined)?.detections[0],
    ).toMatchObject({
      sex: 'm',
    });
  });

  it('copies keyframe flags only when the field is keyframe-only', () => {
    const on = mergeOne(
      { label: 'cat', keyframe: false },
      { label: 'cat', keyframe: true },
      field({ type: 'detections', onlyKeyframes: true }),
    );
    const off = mergeOne(
      { label: 'cat', keyframe: false },
      { label: 'cat', keyframe: true },
      field({ type: 'detections' }),
    );
    expect(on.label?.keyframe).toBe(true);
    expect(off.label?.keyframe).toBe(false);
  });

  it('counts a merged label whose content did not change as kept, not edited', () => {
    const { result } = mergeOne(
      { label: 'cat', bounding_box: box },
      { label: 'cat', bounding_box: box },
      field({ type: 'detections' }),
    );
    expect(result.report.fields.gt).toMatchObject({ kept: 1, edited: 0 });
    expect(result.report.changedSampleIds).toEqual([]);
  });

  it.each([
    [
      'Polyline',
      'polylines',
      'Polylines',
      {
        points: [
          [
            [0, 0],
            [1, 1],
          ],
        ],
        closed: false,
        filled: true,
      },
      {
        points: [
          [
            [0, 0],
            [0.5, 1],
          ],
        ],
        closed: true,
        filled: true,
      },
    ],
    ['Keypoint', 'keypoints', 'Keypoints', { points: [[0, 0]] }, { points: [[0.5, 0.5]] }],
  ] as const)(
    'copies the geometry of a %s when spatial edits are allowed',
    (cls, type, container, stored, downloaded) => {
      const listKey = type;
      const result = mergeAnnotations({
        dataset: { mediaType: 'image', sampleFields: { gt: container } },
        samples: [
          imageSample('s1', {
            gt: { _cls: container, [listKey]: [{ _cls: cls, id: A, label: 'a', ...stored }] },
          }),
        ],
        labelSchema: { gt: field({ type }) },
        idMap: { gt: { s1: [A] } },
        annotations: { gt: { [type]: { s1: { [A]: { _cls: cls, label: 'a', ...downloaded } } } } },
      });
      const label = (
        result.samples[0]?.gt as Record<string, Array<Record<string, unknown>>> | undefined
      )?.[listKey]?.[0];
      expect(label).toMatchObject(downloaded);
    },
  );

  it('copies the mask of a segmentation when spatial edits are allowed', () => {
    const result = mergeAnnotations({
      dataset: { mediaType: 'image', sampleFields: { seg: 'Segmentation' } },
      samples: [imageSample('s1', { seg: { _cls: 'Segmentation', id: A, mask: [[0, 1]] } })],
      labelSchema: { seg: field({ type: 'segmentation', maskTargets: { '1': 'cat' } }) },
      idMap: { seg: { s1: [A] } },
      annotations: {
        seg: { segmentation: { s1: { [A]: { _cls: 'Segmentation', mask: [[1, 1]] } } } },
      },
    });
    expect(result.samples[0]?.seg).toEqual({ _cls: 'Segmentation', id: A, mask: [[1, 1]] });
  });
});
