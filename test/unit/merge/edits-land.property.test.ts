import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAttribute } from '../../../lib/labels/index.js';
import type { MergeInput, MergeResult, RefusalReason } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import { editedInputs, mergeInputs } from './build-run.js';
import { isTracked, tracksKeepIds } from './preconditions.js';
import { holds } from './property-runs.js';
import { downloadedLabel, type RecordedLabel, recordedLabels, schemaAttributes } from './slots.js';

/**
 * The edits a merge must make, and the ones it must refuse and report, on every recorded
 * label the download returns under its id in its slot (SEMANTICS §6.5), over the random runs
 * of invariants.property.test.ts and runs where every label comes back edited. A merge that
 * ignores boxes, indexes or attributes passes every invariant there. Each property counts the
 * labels it saw actually edited and fails on none: a case never generated proves nothing.
 */
type Rec = Record<string, unknown>;

interface Returned extends RecordedLabel {
  downloaded: Rec;
  /** Its field's track indexes are reconciled, not copied from the download. */
  tracked: boolean;
}

/**
 * Each recorded label the download returns under its id in its slot, with that label. Track
 * reconciliation may move a tracked field's label to another id: samples where it would are
 * left out (see tracksKeepIds). A stored id returned unrecorded for its slot is added under
 * an id of its own; the walker does not yield that stored label: it is not recorded there.
 */
function* returnedLabels(input: MergeInput, result: MergeResult): Generator<Returned> {
  for (const recorded of recordedLabels(input, result)) {
    const downloaded = downloadedLabel(input, recorded, recorded.stored.id as string);
    if (downloaded === undefined) continue;
    if (!tracksKeepIds(input, recorded.target, recorded.sampleId)) continue;
    yield { ...recorded, downloaded, tracked: isTracked(input, recorded.target) };
  }
}

const INSTANCE_TYPES = new Set(['instance', 'instances']);

/** The keys a spatial edit writes, by class; a Detection's mask only in instance fields. */
function spatialKeys(field: FieldSchema, label: Rec): string[] {
  switch (label._cls) {
    case 'Detection':
      return INSTANCE_TYPES.has(field.type)
        ? ['bounding_box', 'mask', 'mask_path']
        : ['bounding_box'];
    case 'Polyline':
      return ['points', 'closed', 'filled'];
    case 'Keypoint':
      return ['points'];
    case 'Segmentation':
      return ['mask', 'mask_path'];
    default:
      return [];
  }
}
const HAS_INDEX = new Set(['Detection', 'Polyline', 'Keypoint']);

// An absent value and null are the same value (FiftyOne writes None where JSON omits a key).
const same = (a: unknown, b: unknown): boolean => isDeepStrictEqual(a ?? null, b ?? null);
const pick = (label: Rec, keys: string[]) => keys.map((key) => label[key] ?? null);

/** The one label merged under a recorded id: the download's, or the stored one edited. */
function only(merged: Rec[]): Rec {
  expect(merged).toHaveLength(1);
  return merged[0] as Rec;
}

/** The refusals of index, spatial and read-only attribute edits a label should get. */
function expectedRefusals({ field, stored, downloaded, merged }: Returned): Refusal[] {
  const out: Refusal[] = [];
  if (
    HAS_INDEX.has(String(stored._cls)) &&
    field.allowIndexEdits === false &&
    !same(stored.index, downloaded.index)
  ) {
    out.push({ reason: 'INDEX_EDIT_NOT_ALLOWED' });
  }
  const keys = spatialKeys(field, stored);
  if (field.allowSpatialEdits === false && keys.some((k) => !same(stored[k], downloaded[k]))) {
    out.push({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' });
  }
  // Attributes follow the class the label ends up with.
  for (const name of schemaAttributes(field, only(merged).label).readOnly) {
    if (!same(getAttribute(stored, name), getAttribute(downloaded, name))) {
      out.push({ reason: 'READ_ONLY_ATTRIBUTE', attribute: name });
    }
  }
  return out;
}

interface Refusal {
  reason: RefusalReason;
  attribute?: string;
}

function reportedRefusals(result: MergeResult, label: Returned): Refusal[] {
  return result.report.refused
    .filter(
      (r) =>
        r.field === label.target &&
        r.sampleId === label.sampleId &&
        r.frameId === label.frameId &&
        r.labelId === label.stored.id,
    )
    .map((r) =>
      r.attribute === undefined
        ? { reason: r.reason }
        : { reason: r.reason, attribute: r.attribute },
    );
}

// Edits of one label class in a field that allows them are a small share of a broad run's
// labels: runs where every label comes back edited make each kind common.
const INPUTS = fc.oneof(
  { weight: 1, arbitrary: mergeInputs() },
  { weight: 2, arbitrary: editedInputs() },
);
const runs = (check: (input: MergeInput, result: MergeResult) => void) => holds(check, INPUTS);

const byName = (a: Refusal, b: Refusal) =>
  `${a.reason} ${a.attribute}`.localeCompare(`${b.reason} ${b.attribute}`);

describe('mergeAnnotations edits of recorded labels (random runs of every field kind)', () => {
  it('applies an allowed class edit', () => {
    let applied = 0;
    runs((input, result) => {
      for (const { field, stored, downloaded, merged } of returnedLabels(input, result)) {
        if (field.allowLabelEdits === false || !('label' in stored)) continue;
        expect(only(merged).label ?? null, String(stored.id)).toEqual(downloaded.label ?? null);
        if (!same(stored.label, downloaded.label)) applied += 1;
      }
    });
    expect(applied).toBeGreaterThan(0);
  });

  it('applies an allowed spatial edit of each label class', () => {
    const applied = new Map<string, number>();
    runs((input, result) => {
      for (const label of returnedLabels(input, result)) {
        const { field, stored, downloaded, merged } = label;
        const keys = spatialKeys(field, stored);
        if (field.allowSpatialEdits === false || keys.length === 0) continue;
        expect(pick(only(merged), keys), String(stored.id)).toEqual(pick(downloaded, keys));
        if (keys.some((k) => !same(stored[k], downloaded[k]))) {
          const instance = stored._cls === 'Detection' && keys.includes('mask');
          const kind = instance ? 'Detection of an instance field' : String(stored._cls);
          applied.set(kind, (applied.get(kind) ?? 0) + 1);
        }
      }
    });
    expect([...applied.keys()].sort()).toEqual([
      'Detection',
      'Detection of an instance field',
      'Keypoint',
      'Polyline',
      'Segmentation',
    ]);
  });

  it("keeps a Detection's stored mask in a field that is not an instance field", () => {
    let edited = 0;
    runs((input, result) => {
      for (const { field, stored, downloaded, merged } of returnedLabels(input, result)) {
        if (stored._cls !== 'Detection' || INSTANCE_TYPES.has(field.type)) continue;
        const keys = ['mask', 'mask_path'];
        expect(pick(only(merged), keys), String(stored.id)).toEqual(pick(stored, keys));
        if (!same(stored.mask, downloaded.mask)) edited += 1;
      }
    });
    expect(edited).toBeGreaterThan(0);
  });

  it('applies an allowed index edit', () => {
    let applied = 0;
    runs((input, result) => {
      for (const { field, stored, downloaded, merged, tracked } of returnedLabels(input, result)) {
        const { allowIndexEdits } = field;
        if (allowIndexEdits === false || tracked || !HAS_INDEX.has(String(stored._cls))) continue;
        expect(only(merged).index ?? null, String(stored.id)).toEqual(downloaded.index ?? null);
        if (!same(stored.index, downloaded.index)) applied += 1;
      }
    });
    expect(applied).toBeGreaterThan(0);
  });

  it("writes each writable schema attribute of the label's final class from the download, null when it lacks one", () => {
    const applied = { field: 0, classGroup: 0, cleared: 0 };
    runs((input, result) => {
      for (const { field, stored, downloaded, merged } of returnedLabels(input, result)) {
        const label = only(merged);
        for (const name of schemaAttributes(field, label.label).writable) {
          const value = getAttribute(downloaded, name) ?? null;
          expect(getAttribute(label, name) ?? null, `${String(stored.id)} ${name}`).toEqual(value);
          if (same(getAttribute(stored, name), value)) continue;
          applied[name in field.attributes ? 'field' : 'classGroup'] += 1;
          if (value === null) applied.cleared += 1;
        }
      }
    });
    expect(applied.field).toBeGreaterThan(0);
    expect(applied.classGroup).toBeGreaterThan(0);
    expect(applied.cleared).toBeGreaterThan(0);
  });

  it.each([
    ['index edit', 'INDEX_EDIT_NOT_ALLOWED', ''],
    ['spatial edit', 'SPATIAL_EDIT_NOT_ALLOWED', ''],
    ['read-only attribute edit', 'READ_ONLY_ATTRIBUTE', ', naming the attribute'],
  ] as const)('reports each refused %s once, as %s%s', (_edit, reason, _naming) => {
    let refused = 0;
    runs((input, result) => {
      for (const label of returnedLabels(input, result)) {
        if (reason === 'INDEX_EDIT_NOT_ALLOWED' && label.tracked) continue;
        const expected = expectedRefusals(label).filter((r) => r.reason === reason);
        const reported = reportedRefusals(result, label).filter((r) => r.reason === reason);
        expect(reported.sort(byName), String(label.stored.id)).toEqual(expected.sort(byName));
        refused += expected.length;
      }
    });
    expect(refused).toBeGreaterThan(0);
  });
});
