import { isRecord } from '../labels/json.js';
import type { LabelClass } from '../labels/label-types.js';
import type { DatasetSchema } from '../schema/types.js';
import { setOwn } from './id-map-slice.js';
import { type MergeTarget, otherKindHeld } from './targets.js';

type Rec = Record<string, unknown>;

/**
 * Why unexpected labels cannot be kept in `keepTarget` (the field named after their return
 * type, SEMANTICS §6.4), or undefined when they can. FiftyOne keeps them there whatever the
 * field is; then a schema field of that name had its recorded labels deleted by the kept
 * labels' pass (the two share the id map entry), and a field of another kind was corrupted.
 */
export function keepConflict(
  keepTarget: string,
  storedAs: LabelClass | null,
  plan: ReadonlyArray<MergeTarget>,
  dataset: DatasetSchema,
): string | undefined {
  if (plan.some(({ source, target }) => source === keepTarget || target === keepTarget)) {
    return `'${keepTarget}' is a field of the label schema`;
  }
  const other = otherKindHeld(dataset, keepTarget, storedAs);
  return other === undefined
    ? undefined
    : `'${keepTarget}' holds ${other}, not ${storedAs ?? 'a scalar'}`;
}

/**
 * One download of every field's kept labels of one type: they are merged into their field
 * in one pass. FiftyOne merges each field's in turn, so the second field's pass deleted the
 * labels the first had just kept (recorded in the same id map entry), and a replay deleted
 * the second's too. Per sample (and frame), a label id or scalar sent by two fields is the
 * later field's, as in one dict. The downloads were validated where they were listed.
 */
export function unionOfDownloads(downloads: ReadonlyArray<Rec>, frameField: boolean): Rec {
  if (downloads.length === 1) return downloads[0] as Rec;
  const union: Rec = {};
  for (const download of downloads) {
    for (const sampleId in download) {
      const value = download[sampleId];
      // Own keys only: `union.__proto__` would read, and then fill, Object.prototype.
      const into = ownValue(union, sampleId);
      if (!isRecord(value) || !isRecord(into)) setOwn(union, sampleId, copyOf(value, frameField));
      else if (!frameField) assignOwn(into, value);
      else
        for (const frameKey in value) {
          const frame = value[frameKey];
          const intoFrame = ownValue(into, frameKey);
          if (isRecord(frame) && isRecord(intoFrame)) assignOwn(intoFrame, frame);
          else setOwn(into, frameKey, isRecord(frame) ? { ...frame } : frame);
        }
    }
  }
  return union;
}

const ownValue = (record: Rec, key: string): unknown =>
  Object.hasOwn(record, key) ? record[key] : undefined;

/** A sample's entry, copied down to the dicts the union adds to. */
function copyOf(value: unknown, frameField: boolean): unknown {
  if (!isRecord(value)) return value;
  const copy: Rec = {};
  assignOwn(copy, value);
  if (frameField) {
    for (const key in copy) {
      const frame = copy[key];
      if (isRecord(frame)) setOwn<unknown>(copy, key, { ...frame });
    }
  }
  return copy;
}

function assignOwn(into: Rec, from: Rec): void {
  for (const key in from) setOwn(into, key, from[key]);
}
