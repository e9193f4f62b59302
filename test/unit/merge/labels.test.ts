import { describe, expect, it } from 'vitest';
import { type DuplicateIds, mergeAnnotations } from '../../../lib/merge/index.js';
import {
  byId,
  detection,
  detections,
  field,
  imageDataset,
  imageSample,
  mergeInput,
  mergeTwice,
  oid,
} from '../../support/builders.js';

const A = oid(1);
const B = oid(2);
const C = oid(3);
const NEW = oid(99);

// One sample with two uploaded detections A and B, and C that was never uploaded.
const stored = () =>
  imageSample('s1', {
    gt: detections(detection(A, 'cat'), detection(B, 'dog'), detection(C, 'bird')),
  });
const uploaded = { gt: { s1: [A, B] } };

function gtOf(
  result: ReturnType<typeof mergeAnnotations>,
  index = 0,
): Array<Record<string, unknown>> {
  const value = result.samples[index]?.gt as { detections: Array<Record<string, unknown>> } | null;
  return value?.detections ?? [];
}

describe('Function: mergeAnnotations — classifying labels by the id map (SEMANTICS §6.2–6.3)', () => {
  it('deletes a recorded label the download no longer has', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: { gt: { detections: { s1: byId(detection(A, 'cat')) } } },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([A, C]);
    expect(result.report.fields.gt?.deleted).toBe(1);
  });

  it('never deletes a label that was not uploaded, even when the download omits it', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: { gt: { detections: { s1: byId(detection(A, 'cat'), detection(B, 'dog')) } } },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toContain(C);
  });

  it('deletes recorded labels when the expected return type is missing from the download', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: {},
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([C]);
  });

  it('deletes every label of a sample whose labels were all deleted by the annotator', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored(), imageSample('s2', { gt: detections(detection(oid(5), 'cat')) })],
        gt: field({ type: 'detections' }),
        idMap: { gt: { s1: [A, B], s2: [oid(5)] } },
        annotations: { gt: { detections: { s1: byId(detection(A, 'cat'), detection(B, 'dog')) } } },
      }),
    );
    expect(gtOf(result, 1)).toEqual([]);
  });

  it('keeps an empty list container when the last label of a list field is deleted', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1', { gt: detections(detection(A, 'cat')) })],
        gt: field({ type: 'detections' }),
        idMap: { gt: { s1: [A] } },
      }),
    );
    expect(result.samples[0]?.gt).toEqual({ _cls: 'Detections', detections: [] });
  });

  it('sets a single-label field to null when its label is deleted', () => {
    const result = mergeAnnotations(
      mergeInput({
        dataset: { mediaType: 'image', sampleFields: { gt: 'Detection' } },
        samples: [imageSample('s1', { gt: detection(A, 'cat') })],
        gt: field({ type: 'detection' }),
        idMap: { gt: { s1: [A] } },
      }),
    );
    expect(result.samples[0]?.gt).toBeNull();
  });

  it('refuses deletions when allowDeletions is false, with a warning and a report entry', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections', allowDeletions: false }),
        idMap: uploaded,
        annotations: { gt: { detections: { s1: byId(detection(A, 'cat')) } } },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([A, B, C]);
    expect(result.warnings).toContain(
      "Ignored 1 deleted labels in field 'gt' because `allowDeletions=false`",
    );
    expect(result.report.refused).toEqual([
      { field: 'gt', sampleId: 's1', labelId: B, reason: 'DELETION_NOT_ALLOWED' },
    ]);
  });

  it('appends new labels to a present list in download order', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: {
          gt: {
            detections: {
              s1: byId(
                detection(oid(20), 'x'),
                detection(A, 'cat'),
                detection(B, 'dog'),
                detection(oid(10), 'y'),
              ),
            },
          },
        },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([A, B, C, oid(20), oid(10)]);
    expect(result.report.fields.gt?.added).toBe(2);
  });

  it('records added ids in the id map so a second merge edits instead of adding again', () => {
    const input = mergeInput({
      samples: [stored()],
      gt: field({ type: 'detections' }),
      idMap: uploaded,
      annotations: {
        gt: {
          detections: { s1: byId(detection(A, 'cat'), detection(B, 'dog'), detection(NEW, 'cow')) },
        },
      },
    });
    const first = mergeAnnotations(input);
    expect(first.idMap.gt?.s1).toEqual([A, B, NEW]);
    const second = mergeAnnotations({ ...input, samples: first.samples, idMap: first.idMap });
    expect(second.samples).toEqual(first.samples);
    expect(second.report.changes).toEqual([]);
  });

  it('refuses additions when allowAdditions is false, with a warning and a report entry', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections', allowAdditions: false }),
        idMap: uploaded,
        annotations: {
          gt: {
            detections: {
              s1: byId(detection(A, 'cat'), detection(B, 'dog'), detection(NEW, 'cow')),
            },
          },
        },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([A, B, C]);
    expect(result.warnings).toContain(
      "Ignored 1 added labels in field 'gt' because `allowAdditions=false`",
    );
    expect(result.report.fields.gt?.refused).toEqual({ ADDITION_NOT_ALLOWED: 1 });
  });

  it('writes every downloaded label, with its original id, into an empty field', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1', { gt: null })],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: {
          gt: { detections: { s1: byId(detection(A, 'cat'), detection(NEW, 'cow')) } },
        },
      }),
    );
    expect(gtOf(result).map((label) => label.id)).toEqual([A, NEW]);
  });

  it('writes nothing into an empty field when additions are not allowed, not even edits', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1')],
        gt: field({ type: 'detections', allowAdditions: false }),
        idMap: uploaded,
        annotations: { gt: { detections: { s1: byId(detection(A, 'cat')) } } },
      }),
    );
    expect(result.samples[0]?.gt).toBeUndefined();
    expect(result.report.refused.map((entry) => entry.reason)).toEqual(['ADDITION_NOT_ALLOWED']);
  });

  it('replaces a single label: the old one is deleted and the new one written', () => {
    const result = mergeAnnotations(
      mergeInput({
        dataset: { mediaType: 'image', sampleFields: { gt: 'Detection' } },
        samples: [imageSample('s1', { gt: detection(A, 'cat') })],
        gt: field({ type: 'detection' }),
        idMap: { gt: { s1: [A] } },
        annotations: { gt: { detections: { s1: byId(detection(NEW, 'dog')) } } },
      }),
    );
    expect(result.samples[0]?.gt).toMatchObject({ id: NEW, label: 'dog' });
  });

  it('drops the replacement of a single label when its deletion is not allowed, and reports it', () => {
    const result = mergeAnnotations(
      mergeInput({
        dataset: { mediaType: 'image', sampleFields: { gt: 'Detection' } },
        samples: [imageSample('s1', { gt: detection(A, 'cat') })],
        gt: field({ type: 'detection', allowDeletions: false }),
        idMap: { gt: { s1: [A] } },
        annotations: { gt: { detections: { s1: byId(detection(NEW, 'dog')) } } },
      }),
    );
    expect(result.samples[0]?.gt).toMatchObject({ id: A, label: 'cat' });
    expect(result.report.refused.map((entry) => entry.reason)).toEqual([
      'DELETION_NOT_ALLOWED',
      'REPLACEMENT_DROPPED',
    ]);
  });

  // s1's label A pasted onto s2: the download returns A on both.
  const pastedRun = () =>
    mergeInput({
      samples: [stored(), imageSample('s2', { gt: detections() })],
      gt: field({ type: 'detections' }),
      idMap: { gt: { s1: [A, B], s2: [] } },
      annotations: {
        gt: {
          detections: {
            s1: byId(detection(A, 'cat'), detection(B, 'dog')),
            s2: byId(detection(A, 'cat')),
          },
        },
      },
    });

  it('gives a pasted copy of a label on another sample a new id while the original keeps its own', () => {
    const result = mergeAnnotations(pastedRun());
    expect(gtOf(result).map((label) => label.id)).toEqual([A, B, C]);
    const copy = gtOf(result, 1)[0];
    expect(copy?.id).not.toBe(A);
    expect(copy?.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('counts a copy pasted onto a deleted sample: the copy on a present sample gets a new id', () => {
    const NEW = oid(0x99);
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s2', { gt: detections() })],
        gt: field({ type: 'detections' }),
        idMap: { gt: { s2: [] } },
        annotations: {
          gt: {
            detections: { s2: byId(detection(NEW, 'cat')), gone: byId(detection(NEW, 'cat')) },
          },
        },
      }),
    );
    const [copy] = gtOf(result, 0);
    expect(copy?.id).not.toBe(NEW);
    expect(copy?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(result.report.skipped).toEqual([
      { field: 'gt', sampleId: 'gone', labelId: NEW, reason: 'SAMPLE_NOT_FOUND' },
    ]);
  });

  it('mints the same id for a pasted copy when the same download is merged again', () => {
    const input = pastedRun();
    const first = mergeAnnotations(input);
    const second = mergeAnnotations({ ...input, samples: first.samples, idMap: first.idMap });
    expect(second.samples).toEqual(first.samples);
  });

  // A page of a larger download sees only its own samples: the copy's page is told.
  const pastedOnto = (duplicateIds: unknown) =>
    mergeAnnotations({
      ...mergeInput({
        samples: [imageSample('s2', { gt: detections() })],
        gt: field({ type: 'detections' }),
        idMap: { gt: { s2: [] } },
        annotations: { gt: { detections: { s2: byId(detection(A, 'cat')) } } },
      }),
      duplicateIds: duplicateIds as DuplicateIds,
    });

  it('gives a copy pasted from a sample of another page the id the whole download would give it', () => {
    const whole = mergeAnnotations(pastedRun());

    const page = pastedOnto({ gt: { detections: [A] } });

    expect(gtOf(page)).toEqual(gtOf(whole, 1));
    expect(gtOf(page)[0]?.id).not.toBe(A);
  });

  it('keeps the id of a new label the whole download returns once', () => {
    const page = pastedOnto({ gt: { detections: [B] } });

    expect(gtOf(page).map((label) => label.id)).toEqual([A]);
  });

  it('refuses duplicate ids that are not ObjectIds, naming where, and merges nothing', () => {
    expect(() => pastedOnto({ gt: { detections: ['copy'] } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining("merge input at 'duplicateIds.gt.detections[0]'"),
      }),
    );
  });

  it('gives a new label a new id when a label stored in its list already has its id', () => {
    // C is stored but never uploaded: another run, say, loaded it into this field.
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: {
          gt: {
            detections: { s1: byId(detection(A, 'cat'), detection(B, 'dog'), detection(C, 'owl')) },
          },
        },
      }),
    );
    const ids = gtOf(result).map((label) => label.id);
    expect(ids.slice(0, 3)).toEqual([A, B, C]);
    expect(gtOf(result)[2]).toMatchObject({ label: 'bird' });
    expect(ids[3]).not.toBe(C);
    expect(gtOf(result)[3]).toMatchObject({ id: ids[3], label: 'owl' });
    expect(result.idMap.gt?.s1).toEqual([A, B, ids[3]]);
  });

  it('changes nothing when a download returning a stored, unrecorded id is merged again', () => {
    const input = mergeInput({
      samples: [stored()],
      gt: field({ type: 'detections' }),
      idMap: uploaded,
      annotations: {
        gt: {
          detections: { s1: byId(detection(A, 'cat'), detection(B, 'dog'), detection(C, 'owl')) },
        },
      },
    });
    const { first, again } = mergeTwice(input);
    expect(again.report.changes).toEqual([]);
    expect(again.samples[0]).toBe(first.samples[0]);
  });

  it('keeps the downloaded id of a replacement dropped beside a stored single label of that id', () => {
    const bird = { _cls: 'Classification', id: C, label: 'bird' };
    const result = mergeAnnotations(
      mergeInput({
        dataset: imageDataset({ gt: 'Classification' }),
        samples: [imageSample('s1', { gt: bird })],
        gt: field({ type: 'classification' }),
        idMap: { gt: { s1: [] } },
        annotations: {
          gt: { classifications: { s1: { [C]: { _cls: 'Classification', label: 'owl' } } } },
        },
      }),
    );
    expect(result.samples[0]?.gt).toEqual(bird);
    expect(result.report.refused).toEqual([
      { field: 'gt', sampleId: 's1', labelId: C, reason: 'REPLACEMENT_DROPPED' },
    ]);
  });

  it('leaves samples without downloaded labels or recorded ids untouched (same object)', () => {
    const untouched = imageSample('s9', { gt: detections(detection(oid(50), 'cat')) });
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored(), untouched],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
      }),
    );
    expect(result.samples[1]).toBe(untouched);
  });

  it('does not mutate its inputs', () => {
    const input = mergeInput({
      samples: [stored()],
      gt: field({ type: 'detections' }),
      idMap: uploaded,
      annotations: { gt: { detections: { s1: byId(detection(A, 'dog'), detection(NEW, 'cow')) } } },
    });
    const snapshot = structuredClone(input);
    mergeAnnotations(input);
    expect(input).toEqual(snapshot);
  });

  it('reports labels for samples that are not in the page as skipped', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored()],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: {
          gt: {
            detections: {
              s1: byId(detection(A, 'cat'), detection(B, 'dog')),
              gone: byId(detection(NEW, 'x')),
            },
          },
        },
      }),
    );
    expect(result.report.skipped).toEqual([
      { field: 'gt', sampleId: 'gone', labelId: NEW, reason: 'SAMPLE_NOT_FOUND' },
    ]);
  });

  it('lists the samples it changed', () => {
    const result = mergeAnnotations(
      mergeInput({
        samples: [stored(), imageSample('s2')],
        gt: field({ type: 'detections' }),
        idMap: uploaded,
        annotations: { gt: { detections: { s1: byId(detection(A, 'cow'), detection(B, 'dog')) } } },
      }),
    );
    expect(result.report.changedSampleIds).toEqual(['s1']);
  });

  it('creates the target field in the dataset schema when it writes a new field', () => {
    const result = mergeAnnotations(
      mergeInput({
        dataset: { mediaType: 'image', sampleFields: {} },
        samples: [imageSample('s1')],
        gt: field({ type: 'detections', existingField: false }),
        annotations: { gt: { detections: { s1: byId(detection(NEW, 'cow')) } } },
      }),
    );
    expect(result.dataset.sampleFields.gt).toBe('Detections');
  });
});

describe('Function: mergeAnnotations — a downloaded label is data, whatever its keys', () => {
  it('adds a label with an own `__proto__` key as a plain key, its prototype untouched', () => {
    const added = JSON.parse(
      '{"_cls":"Detection","label":"cat","bounding_box":[0,0,1,1],"__proto__":{"polluted":true}}',
    ) as Record<string, unknown>;
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1', { gt: detections(detection(A, 'cat')) })],
        gt: field({ type: 'detections' }),
        idMap: { gt: { s1: [A] } },
        annotations: { gt: { detections: { s1: { [A]: detection(A, 'cat'), [NEW]: added } } } },
      }),
    );
    const label = gtOf(result).find((l) => l.id === NEW) as Record<string, unknown>;
    expect(Object.getPrototypeOf(label)).toBe(Object.prototype);
    expect(Object.hasOwn(label, '__proto__')).toBe(true);
    expect((label as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('edits a stored label with an own `__proto__` key as a plain key, its prototype untouched', () => {
    const withProto = JSON.parse(
      `{"_cls":"Detection","id":"${A}","label":"cat","bounding_box":[0,0,1,1],"__proto__":{"polluted":true}}`,
    ) as Record<string, unknown>;
    const result = mergeAnnotations(
      mergeInput({
        samples: [imageSample('s1', { gt: detections(withProto) })],
        // `occluded` is missing on the stored label, so the edit adds a key to the copy.
        gt: field({
          type: 'detections',
          attributes: { occluded: { type: 'checkbox', values: [true, false] } },
        }),
        idMap: { gt: { s1: [A] } },
        annotations: { gt: { detections: { s1: { [A]: detection(A, 'dog') } } } },
      }),
    );
    const label = gtOf(result)[0] as Record<string, unknown>;
    expect(label).toMatchObject({ label: 'dog', occluded: null });
    expect(Object.getPrototypeOf(label)).toBe(Object.prototype);
    expect(Object.hasOwn(label, '__proto__')).toBe(true);
  });
});

describe('Function: mergeAnnotations — a sample id is data, whatever it is', () => {
  it('keeps the id-map entry of a sample whose id is `__proto__` when a page records additions', () => {
    // As a load reads it: JSON.parse makes `__proto__` an own key like any other sample id.
    const idMap = JSON.parse(`{"gt":{"__proto__":["${A}"],"s1":["${B}"]}}`);
    const result = mergeAnnotations(
      mergeInput({
        samples: [
          imageSample('__proto__', { gt: detections(detection(A, 'cat')) }),
          imageSample('s1', { gt: detections(detection(B, 'dog')) }),
        ],
        gt: field({ type: 'detections' }),
        idMap,
        annotations: {
          gt: { detections: { s1: { [B]: detection(B, 'dog'), [NEW]: detection(NEW, 'cow') } } },
        },
      }),
    );
    const entries = result.idMap.gt as Record<string, unknown>;
    expect(Object.hasOwn(entries, '__proto__')).toBe(true);
    expect(entries.s1).toEqual([B, NEW]);
    expect(Object.getPrototypeOf(entries)).toBe(Object.prototype);
  });
});
