import { LABEL_TYPES, type LabelType } from '../../../lib/labels/index.js';
import type { MergeInput } from '../../../lib/merge/index.js';

/**
 * Preconditions under which a merge is idempotent. Each one excludes a class of downloads on
 * which replaying the merge changes labels again (FiftyOne's semantics, kept on purpose, or a
 * known gap); invariants.property.test.ts names the finding behind each.
 */
type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The label groups of a download: one per sample, or per frame of a frame field. */
function* groups(input: MergeInput): Generator<{ field: string; type: string; group: Rec }> {
  for (const [field, byType] of Object.entries(input.annotations as Record<string, Rec>)) {
    for (const [type, bySample] of Object.entries(byType)) {
      if (type === 'scalar' || !isRec(bySample)) continue;
      for (const value of Object.values(bySample)) {
        if (!isRec(value)) continue;
        if (!field.startsWith('frames.')) yield { field, type, group: value };
        else
          for (const group of Object.values(value)) if (isRec(group)) yield { field, type, group };
      }
    }
  }
}

const distinctIndexes = (labels: unknown[]): boolean => {
  const indexes = labels
    .map((l) => (isRec(l) ? l.index : undefined))
    .filter((i) => typeof i === 'number');
  return new Set(indexes).size === indexes.length;
};

/**
 * No frame holds, stored or downloaded, two labels of one track (one numeric `index`) in a
 * field: a tracking tool draws one shape per track and frame. E.g. new labels 2 and 3, both
 * `index: 1`, on one frame of a tracked field: both are added (index 0); a replay matches
 * both to the last stored label at that frame and index, 3, and deletes 2.
 */
export function oneShapePerTrackAndFrame(input: MergeInput): boolean {
  for (const sample of input.samples as Rec[]) {
    for (const frame of Object.values(isRec(sample.frames) ? sample.frames : {})) {
      for (const value of Object.values(isRec(frame) ? frame : {})) {
        const list = isRec(value) ? Object.values(value).find(Array.isArray) : undefined;
        if (list && !distinctIndexes(list)) return false;
      }
    }
  }
  for (const { field, group } of groups(input)) {
    if (field.startsWith('frames.') && !distinctIndexes(Object.values(group))) return false;
  }
  return true;
}

/**
 * With `unexpected: 'keep'`, no two fields keep labels in one field: each field's pass treats
 * the other's additions as recorded and deletes them (SEMANTICS §6.2, §6.4). E.g. fields a and
 * b each return one Detection: a's is added, then deleted by b's pass, which adds its own;
 * a replay deletes b's too.
 */
export function oneFieldKeptPerType(input: MergeInput): boolean {
  if (input.unexpected !== 'keep') return true;
  const schema = input.labelSchema as Record<string, { type: LabelType }>;
  const senders = new Map<string, Set<string>>();
  for (const [field, byType] of Object.entries(input.annotations as Record<string, Rec>)) {
    const expected = schema[field] ? LABEL_TYPES[schema[field].type].returnType : undefined;
    const kept = Object.keys(byType).filter((t) => t !== expected && isRec(byType[t]));
    for (const type of kept) {
      if (Object.keys(byType[type] as Rec).length === 0) continue;
      const target = `${field.startsWith('frames.') ? 'frames.' : ''}${type}`;
      senders.set(target, (senders.get(target) ?? new Set()).add(field));
    }
  }
  return [...senders.values()].every((fields) => fields.size <= 1);
}
