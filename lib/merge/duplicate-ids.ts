import type { LabelRecord } from '../labels/attributes.js';
import { isRecord } from '../labels/json.js';
import { isFrameField, type ReturnType } from '../labels/label-types.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { Annotations, DuplicateIds } from './contract.js';
import { type IdSet, newPositions, type SlotLabels } from './slot-labels.js';

/**
 * New labels whose ids are taken get ids of their own:
 * - a label pasted onto other samples or frames arrives with the same id several times;
 *   each copy that is not the recorded original becomes a new label (SEMANTICS §6.2);
 * - a new label whose id a label stored in its slot already has (stored before the run, or
 *   put there by another run, e.g. two runs loading one field into one `destField`) would
 *   sit beside it under the same id. FiftyOne appends it so; a replay then merged it into
 *   the stored one. It is a new label, so it gets a new id.
 * FiftyOne mints random ids; we derive them from (field, sample, frame, id) so a replayed
 * merge mints the same ones.
 * `skipped`: ids of groups with no slot (deleted samples, unknown frames), which count too.
 * `recordedOf`: a slot's recorded ids, to re-classify a minted id a replay recorded.
 * `storedOf`: the labels stored in a slot's list; none for a single-label field, whose
 * value a new label never joins.
 * `duplicatedInDownload`: ids the whole download (all pages) returns more than once.
 */
export function regenerateDuplicateIds(
  target: string,
  slots: ReadonlyArray<SlotLabels>,
  skipped: ReadonlyArray<ReadonlyArray<string>>,
  recordedOf: (labels: SlotLabels) => IdSet,
  storedOf: (labels: SlotLabels) => ReadonlyArray<LabelRecord>,
  duplicatedInDownload: ReadonlySet<string>,
): void {
  // Only a new id can be regenerated, and new ids are few: find them first, then count how
  // often each occurs in the whole download.
  let occurrences: Map<string, number> | undefined;
  for (const { ids, newAt } of slots) {
    if (newAt === undefined) continue;
    occurrences ??= new Map();
    for (const i of newAt) occurrences.set(ids[i] as string, 0);
  }
  if (occurrences === undefined) return;
  const count = (ids: ReadonlyArray<string>): void => {
    for (let i = 0; i < ids.length; i += 1) {
      const seen = occurrences.get(ids[i] as string);
      if (seen !== undefined) occurrences.set(ids[i] as string, seen + 1);
    }
  };
  for (const { ids } of slots) count(ids);
  // The whole download counts (SEMANTICS §6.2): a copy pasted onto a deleted sample too.
  for (const ids of skipped) count(ids);
  let duplicated: Set<string> | undefined;
  // forEach: no [id, count] pair per new id, as for…of over a Map makes.
  occurrences.forEach((count, id) => {
    if (count < 2) return;
    duplicated ??= new Set();
    duplicated.add(id);
  });
  for (const labels of slots) {
    const { slot, ids, newAt } = labels;
    if (newAt === undefined) continue;
    const stored = storedOf(labels);
    let minted = false;
    for (const i of newAt) {
      const id = ids[i] as string;
      if (!duplicated?.has(id) && !duplicatedInDownload.has(id) && !isStored(stored, id)) continue;
      ids[i] = deterministicObjectId(target, slot.sampleId, slot.frameId ?? '', id);
      // A minted id may meet the same id returned as such (a replayed paste).
      labels.unique = false;
      minted = true;
    }
    // A replayed merge mints the id the first one recorded: an edit now, not an addition,
    // and one the parse did not see come back.
    if (minted) {
      labels.newAt = newPositions(ids, recordedOf(labels));
      labels.goneFrom = undefined;
    }
  }
}

function isStored(stored: ReadonlyArray<LabelRecord>, id: string): boolean {
  // ObjectIds of one dataset share their leading digits (time, machine): a last-digit test
  // rejects most in one read, where `===` compares from the front.
  const last = id.charCodeAt(LAST);
  for (let i = 0; i < stored.length; i += 1) {
    const storedId = (stored[i] as LabelRecord).id;
    if (typeof storedId === 'string' && storedId.charCodeAt(LAST) === last && storedId === id)
      return true;
  }
  return false;
}

// Every id here is a 24-character ObjectId (checked at the merge's edge).
const LAST = 23;

/**
 * The ids a whole download returns more than once, per field and return type (see
 * {@link DuplicateIds}); fields and types without any are left out. Reads only keys.
 */
export function duplicateDownloadIds(annotations: Annotations): DuplicateIds {
  // Entries, then fromEntries: own keys even for a field named `__proto__`.
  const fields: Array<[string, Partial<Record<ReturnType, string[]>>]> = [];
  for (const field of Object.keys(annotations)) {
    const byType = annotations[field] ?? {};
    const types: Array<[ReturnType, string[]]> = [];
    for (const returnType of Object.keys(byType) as ReturnType[]) {
      if (returnType === 'scalar') continue;
      const ids = idsReturnedTwice(byType[returnType] ?? {}, isFrameField(field));
      if (ids.length > 0) types.push([returnType, ids]);
    }
    if (types.length > 0) fields.push([field, Object.fromEntries(types)]);
  }
  return Object.fromEntries(fields);
}

function idsReturnedTwice(bySample: Record<string, unknown>, frameField: boolean): string[] {
  const counts = new Map<string, number>();
  const count = (labels: unknown): void => {
    if (!isRecord(labels)) return;
    for (const id of Object.keys(labels)) counts.set(id, (counts.get(id) ?? 0) + 1);
  };
  for (const sampleId of Object.keys(bySample)) {
    const value = bySample[sampleId];
    if (!frameField) count(value);
    else if (isRecord(value)) for (const frameKey of Object.keys(value)) count(value[frameKey]);
  }
  const ids: string[] = [];
  counts.forEach((n, id) => {
    if (n > 1) ids.push(id);
  });
  return ids;
}
