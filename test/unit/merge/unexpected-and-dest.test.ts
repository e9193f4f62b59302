import { describe, expect, it } from 'vitest';
import { AnnoflowError } from '../../../lib/errors/index.js';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import {
  byId,
  detection,
  detections,
  field,
  imageSample,
  mergeInput,
  mergeTwice,
  oid,
} from '../../support/builders.js';

const A = oid(1);
const K = oid(7);
const keypoint = { _cls: 'Keypoint', label: 'nose', points: [[0.5, 0.5]] };
const withKeypoint = {
  gt: { detections: { s1: byId(detection(A, 'cat')) }, keypoints: { s1: { [K]: keypoint } } },
};
const base = () => ({
  samples: [imageSample('s1', { gt: detections(detection(A, 'cat')) })],
  gt: field({ type: 'detections' }),
  idMap: { gt: { s1: [A] } },
  annotations: withKeypoint,
});

describe('Function: mergeAnnotations — unexpected labels (SEMANTICS §6.4)', () => {
  it("returns unexpected labels by default ('return'), keyed by field and return type", () => {
    const result = mergeAnnotations(mergeInput(base()));
    expect(result.unexpected).toEqual({ gt: { keypoints: { s1: { [K]: keypoint } } } });
    expect(result.report.unexpected).toEqual([
      { field: 'gt', sampleId: 's1', labelId: K, returnType: 'keypoints', disposition: 'returned' },
    ]);
  });

  it('returns null, not an empty object, when nothing was unexpected', () => {
    const result = mergeAnnotations(mergeInput({ ...base(), annotations: {} }));
    expect(result.unexpected).toBeNull();
  });

  it('still returns unexpected labels when additions are not allowed', () => {
    const result = mergeAnnotations(
      mergeInput({ ...base(), gt: field({ type: 'detections', allowAdditions: false }) }),
    );
    expect(result.unexpected).toEqual({ gt: { keypoints: { s1: { [K]: keypoint } } } });
  });

  it("keeps unexpected labels in a field named after their return type ('keep')", () => {
    const result = mergeAnnotations(mergeInput({ ...base(), unexpected: 'keep' }));
    expect(result.samples[0]?.keypoints).toEqual({
      _cls: 'Keypoints',
      keypoints: [{ ...keypoint, id: K }],
    });
    expect(result.dataset.sampleFields.keypoints).toBe('Keypoints');
    expect(result.unexpected).toBeNull();
  });

  it("never keeps unexpected labels when the field's additions are not allowed", () => {
    const result = mergeAnnotations(
      mergeInput({
        ...base(),
        gt: field({ type: 'detections', allowAdditions: false }),
        unexpected: 'keep',
      }),
    );
    expect(result.samples[0]?.keypoints).toBeUndefined();
    expect(result.report.unexpected[0]?.disposition).toBe('refused');
  });

  it("skips unexpected labels with 'ignore'", () => {
    const result = mergeAnnotations(mergeInput({ ...base(), unexpected: 'ignore' }));
    expect(result.samples[0]?.keypoints).toBeUndefined();
    expect(result.unexpected).toBeNull();
    expect(result.report.unexpected[0]?.disposition).toBe('ignored');
  });

  it("refuses 'prompt' with UNEXPECTED_PROMPT_UNSUPPORTED: a service cannot prompt", () => {
    const input = { ...mergeInput(base()), unexpected: 'prompt' } as unknown as Parameters<
      typeof mergeAnnotations
    >[0];
    expect(() => mergeAnnotations(input)).toThrow(
      expect.objectContaining({
        code: 'UNEXPECTED_PROMPT_UNSUPPORTED',
        message: expect.stringContaining('cannot prompt'),
      }),
    );
  });

  it('copies every custom attribute of a kept label whose id was recorded in the kept field', () => {
    const result = mergeAnnotations(
      mergeInput({
        ...base(),
        samples: [
          imageSample('s1', {
            gt: detections(detection(A, 'cat')),
            keypoints: { _cls: 'Keypoints', keypoints: [{ ...keypoint, id: K, mood: 'calm' }] },
          }),
        ],
        idMap: { gt: { s1: [A] }, keypoints: { s1: [K] } },
        annotations: {
          gt: {
            detections: { s1: byId(detection(A, 'cat')) },
            keypoints: { s1: { [K]: { ...keypoint, mood: 'alert', pose: 'up' } } },
          },
        },
        unexpected: 'keep',
      }),
    );
    expect(
      (result.samples[0]?.keypoints as { keypoints: unknown[] } | undefined)?.keypoints[0],
    ).toMatchObject({
      mood: 'alert',
      pose: 'up',
    });
  });
});

describe('Function: mergeAnnotations — where unexpected labels are kept', () => {
  const K2 = oid(8);
  // Two fields each return one stray keypoint on s1.
  const twoFields = (samples = [imageSample('s1')]) => ({
    dataset: { mediaType: 'image', sampleFields: {} },
    samples,
    labelSchema: { gt: field({ type: 'detections' }), pred: field({ type: 'detections' }) },
    idMap: { gt: { s1: [] }, pred: { s1: [] } },
    annotations: {
      gt: { keypoints: { s1: { [K]: keypoint } } },
      pred: { keypoints: { s1: { [K2]: { ...keypoint, label: 'eye' } } } },
    },
    unexpected: 'keep' as const,
  });
  const keptIds = (sample: unknown) =>
    (
      (sample as { keypoints?: { keypoints: Array<{ id: string }> } }).keypoints?.keypoints ?? []
    ).map((label) => label.id);

  it('keeps the unexpected labels of every field that returns that type', () => {
    const result = mergeAnnotations(twoFields());
    expect(keptIds(result.samples[0])).toEqual([K, K2]);
    expect(result.report.changes.filter((c) => c.action === 'deleted')).toEqual([]);
  });

  it('changes nothing when a download with two fields keeping one type is merged again', () => {
    const { first, again } = mergeTwice(twoFields());
    expect(again.report.changes).toEqual([]);
    expect(again.samples[0]).toBe(first.samples[0]);
  });

  it("keeps two fields' unexpected labels on a sample whose id is `__proto__`", () => {
    const input = twoFields([imageSample('__proto__')]);
    const annotations = JSON.parse(
      JSON.stringify(input.annotations).replaceAll('"s1"', '"__proto__"'),
    ) as typeof input.annotations;
    const result = mergeAnnotations({ ...input, idMap: {}, annotations });
    expect(keptIds(result.samples[0])).toEqual([K, K2]);
    expect(Object.hasOwn(Object.prototype, K)).toBe(false);
  });

  it('does not keep unexpected labels in a field of the label schema: refused, with a warning', () => {
    const input = twoFields([
      imageSample('s1', { keypoints: { _cls: 'Keypoints', keypoints: [] } }),
    ]);
    const result = mergeAnnotations({
      ...input,
      dataset: { mediaType: 'image', sampleFields: { keypoints: 'Keypoints' } },
      labelSchema: { gt: field({ type: 'detections' }), keypoints: field({ type: 'keypoints' }) },
      annotations: { gt: input.annotations.gt },
    });
    expect(keptIds(result.samples[0])).toEqual([]);
    expect(result.report.unexpected.map((u) => u.disposition)).toEqual(['refused']);
    expect(result.warnings).toContain(
      "Not keeping 1 unexpected keypoints of field 'gt': 'keypoints' is a field of the label schema",
    );
  });

  it('does not keep unexpected labels in a field that holds another kind: refused, with a warning', () => {
    const verdict = { _cls: 'Classification', id: oid(9), label: 'ok' };
    const input = twoFields([imageSample('s1', { keypoints: verdict })]);
    const result = mergeAnnotations({
      ...input,
      dataset: { mediaType: 'image', sampleFields: { keypoints: 'Classification' } },
    });
    expect(result.samples[0]?.keypoints).toEqual(verdict);
    expect(result.samples[0]).toBe(input.samples[0]);
    expect(result.warnings).toContain(
      "Not keeping 1 unexpected keypoints of field 'gt': 'keypoints' holds Classification, not Keypoints",
    );
  });
});

describe('Function: mergeAnnotations — destField (SEMANTICS §6.1.4, §6.2)', () => {
  it('loads every downloaded label into the dest field as new, with its original id', () => {
    const result = mergeAnnotations(
      mergeInput({
        ...base(),
        annotations: { gt: { detections: { s1: byId(detection(A, 'dog')) } } },
        destField: 'reviewed',
      }),
    );
    expect(result.samples[0]?.reviewed).toEqual(detections({ ...detection(A, 'dog') }));
    expect(result.samples[0]?.gt).toEqual(detections(detection(A, 'cat')));
  });

  it('deletes nothing when loading into a dest field', () => {
    const result = mergeAnnotations(
      mergeInput({ ...base(), annotations: {}, destField: 'reviewed' }),
    );
    expect(result.samples[0]?.gt).toEqual(detections(detection(A, 'cat')));
    expect(result.report.changes).toEqual([]);
  });

  it('writes nothing into a dest field when additions are not allowed', () => {
    const result = mergeAnnotations(
      mergeInput({
        ...base(),
        gt: field({ type: 'detections', allowAdditions: false }),
        destField: 'reviewed',
      }),
    );
    expect(result.samples[0]?.reviewed).toBeUndefined();
  });

  it('records dest ids under the dest name, so a second load into it merges instead of duplicating', () => {
    const input = mergeInput({
      ...base(),
      annotations: { gt: { detections: { s1: byId(detection(A, 'dog')) } } },
      destField: 'reviewed',
    });
    const first = mergeAnnotations(input);
    expect(first.idMap.reviewed).toEqual({ s1: [A] });
    const second = mergeAnnotations({ ...input, samples: first.samples, idMap: first.idMap });
    expect(second.samples).toEqual(first.samples);
  });

  it('ignores a string destField with a warning when the schema has more than one field', () => {
    const input = mergeInput({ ...base(), destField: 'reviewed' });
    const result = mergeAnnotations({
      ...input,
      labelSchema: { ...input.labelSchema, other: field({ type: 'classification' }) },
    });
    expect(result.samples[0]?.reviewed).toBeUndefined();
    expect(result.warnings).toContain(
      "Ignoring string `destField='reviewed'` since the label schema contains 2 (> 1) fields",
    );
  });

  it('renames only the fields a destField map names', () => {
    const input = mergeInput({
      ...base(),
      annotations: { gt: { detections: { s1: byId(detection(A, 'dog')) } } },
      destField: { gt: 'reviewed' },
    });
    const result = mergeAnnotations(input);
    expect(result.samples[0]?.reviewed).toBeDefined();
  });

  it('keys returned unexpected labels by the dest name', () => {
    const result = mergeAnnotations(mergeInput({ ...base(), destField: 'reviewed' }));
    expect(Object.keys(result.unexpected ?? {})).toEqual(['reviewed']);
  });

  it('refuses a dest field that holds another kind of label (DEST_FIELD_CONFLICT), changing nothing', () => {
    const input = mergeInput({
      ...base(),
      dataset: {
        mediaType: 'image',
        sampleFields: { gt: 'Detections', verdict: 'Classification' },
      },
      destField: 'verdict',
    });
    expect(() => mergeAnnotations(input)).toThrow(AnnoflowError);
    expect(() => mergeAnnotations(input)).toThrow(
      expect.objectContaining({ code: 'DEST_FIELD_CONFLICT' }),
    );
  });
});
