import type { LabelRecord } from '../labels/attributes.js';
import { isListClass, type LabelClass, LIST_CONTAINERS } from '../labels/label-types.js';
import type { FieldSchema } from '../schema/types.js';
import type { IdMapSlice } from './id-map-slice.js';
import { type LabelRefusal, mergeLabel, type Restrictions } from './merge-label.js';
import type { PageState, Slot } from './page-state.js';
import type { LabelChange, RefusalReason, ReportBuilder } from './report.js';
import { Edits, IdSet, ownLabel, type SlotLabels } from './slot-labels.js';

/** What every slot of one field's merge shares. */
export interface SlotMerge {
  state: PageState;
  report: ReportBuilder;
  /** The target field as reported, e.g. `frames.gt`. */
  target: string;
  /** The target's key on a sample or frame, e.g. `gt`. */
  leaf: string;
  field: FieldSchema | null;
  storedAs: LabelClass;
  restrictions: Restrictions;
  /** Keyframe-only, by the schema or by force for a new field: `keyframe` is merged. */
  onlyKeyframes: boolean;
  idMap: IdMapSlice;
  /** Scratch list for one label's refusals, reused so unrefused labels allocate nothing. */
  refusals: LabelRefusal[];
  /** Totals over the field's slots, for its warnings. */
  counts: {
    /** Recorded ids the download no longer has. */
    gone: number;
    /** Downloaded ids the id map does not record. */
    newIds: number;
  };
}

function listKeyOf(storedAs: LabelClass): string | undefined {
  return isListClass(storedAs) ? LIST_CONTAINERS[storedAs].listKey : undefined;
}

export function listOf(value: LabelRecord | null | undefined): LabelRecord[] {
  if (value == null) return [];
  const cls = value._cls;
  if (typeof cls === 'string' && isListClass(cls)) {
    return (value[LIST_CONTAINERS[cls].listKey] as LabelRecord[] | undefined) ?? [];
  }
  return [value];
}

function change(
  merge: SlotMerge,
  slot: Slot,
  labelId: string,
  action: LabelChange['action'],
): void {
  const { sampleId, frameId } = slot;
  merge.report.change(
    frameId === undefined
      ? { field: merge.target, sampleId, labelId, action }
      : { field: merge.target, sampleId, frameId, labelId, action },
  );
}

function refuse(
  merge: SlotMerge,
  slot: Slot,
  labelId: string,
  reason: RefusalReason,
  attribute?: string,
): void {
  const { sampleId, frameId } = slot;
  const where =
    frameId === undefined
      ? { field: merge.target, sampleId, labelId, reason }
      : { field: merge.target, sampleId, frameId, labelId, reason };
  merge.report.refuse(attribute === undefined ? where : { ...where, attribute });
}

/**
 * Merges one slot (a sample field, or a field of one frame): recorded ids the download no
 * longer has are deleted, recorded ones it has are edited, the rest are added (SEMANTICS
 * §6.3), and the slot is written once. `labels` is undefined when the download has nothing
 * for the slot; `recorded` is the slot's recorded ids. Counts for the field's warnings go to
 * `merge.counts`.
 */
export function mergeSlot(
  merge: SlotMerge,
  slot: Slot,
  labels: SlotLabels | undefined,
  recorded: ReadonlyArray<string>,
): void {
  const { state, leaf } = merge;
  const value = state.read(slot, leaf) as LabelRecord | null | undefined;
  const downloaded = labels !== undefined && labels.ids.length > 0 ? labels : undefined;
  const gone =
    recorded.length > 0 && labels?.allReturned !== true ? goneIds(recorded, labels) : undefined;
  if (gone !== undefined) merge.counts.gone += gone.ids.length;
  if (downloaded !== undefined) merge.counts.newIds += downloaded.newAt?.length ?? 0;
  let next = value;
  if (value != null && downloaded !== undefined && listKeyOf(merge.storedAs) !== undefined) {
    // A list: deletions, edits and additions in one scan of the stored labels.
    next = mergeIntoValue(merge, downloaded, value, gone);
  } else {
    // A single label deleted leaves the field empty, so the download's label is written
    // into it (SEMANTICS §6.3): delete first, then merge.
    if (value != null && gone !== undefined) next = deleteLabels(merge, slot, value, gone);
    if (downloaded !== undefined) {
      next =
        (next == null
          ? writeIntoEmpty(merge, downloaded)
          : mergeIntoValue(merge, downloaded, next, undefined)) ?? next;
    }
  }
  if (next !== value) state.write(slot, leaf, next ?? null);
}

/** Recorded ids the download did not return, each once; undefined when there are none. */
function goneIds(
  recorded: ReadonlyArray<string>,
  labels: SlotLabels | undefined,
): IdSet | undefined {
  const from = labels?.goneFrom;
  if (from !== undefined && recorded.length - from <= GONE_SCAN_MAX)
    return goneAfter(recorded, from);
  const returned = labels === undefined ? undefined : new IdSet(labels.ids);
  let gone: string[] | undefined;
  for (const id of recorded) {
    if (returned?.has(id)) continue;
    gone ??= [];
    if (!gone.includes(id)) gone.push(id);
  }
  return gone === undefined ? undefined : new IdSet(gone);
}

// goneAfter looks each candidate up among the returned ids: a scan, so only for a few.
const GONE_SCAN_MAX = 16;

/**
 * {@link goneIds} when the returned recorded ids are `recorded[0..from)`: the ids after
 * them, except one also listed before `from` (it came back there), each once.
 */
function goneAfter(recorded: ReadonlyArray<string>, from: number): IdSet | undefined {
  let gone: string[] | undefined;
  for (let j = from; j < recorded.length; j += 1) {
    const id = recorded[j] as string;
    // Listed earlier: before `from` it came back, after it is already gone.
    if (recorded.indexOf(id) !== j) continue;
    gone ??= [];
    gone.push(id);
  }
  return gone === undefined ? undefined : new IdSet(gone);
}

/** The value without the gone labels, or `value` itself when none is present or allowed. */
function deleteLabels(
  merge: SlotMerge,
  slot: Slot,
  value: LabelRecord,
  gone: IdSet,
): LabelRecord | null {
  const stored = listOf(value);
  const allowed = merge.restrictions.allowDeletions;
  // The labels that stay, allocated at the first one deleted.
  let remaining: LabelRecord[] | undefined;
  for (let i = 0; i < stored.length; i += 1) {
    const label = stored[i] as LabelRecord;
    if (!gone.has(label.id as string)) {
      remaining?.push(label);
      continue;
    }
    if (!allowed) refuse(merge, slot, label.id as string, 'DELETION_NOT_ALLOWED');
    else {
      change(merge, slot, label.id as string, 'deleted');
      remaining ??= stored.slice(0, i);
    }
  }
  if (remaining === undefined) return value;
  const listKey = listKeyOf(merge.storedAs);
  // List containers keep an empty list; single-label fields become null (SEMANTICS §6.3).
  return listKey === undefined ? null : { ...value, [listKey]: remaining };
}

/**
 * An empty target receives every downloaded label at once (SEMANTICS §6.3 step 2). Returns
 * the value to write, or undefined when additions are refused.
 */
function writeIntoEmpty(merge: SlotMerge, labels: SlotLabels): LabelRecord | undefined {
  const { slot, ids } = labels;
  if (!merge.restrictions.allowAdditions) {
    for (const id of ids) refuse(merge, slot, id, 'ADDITION_NOT_ALLOWED');
    return undefined;
  }
  const listKey = listKeyOf(merge.storedAs);
  // Single-label fields take the first label; the rest are dropped.
  const count = listKey === undefined ? 1 : ids.length;
  const written: LabelRecord[] = [];
  for (let i = 0; i < count; i += 1) written.push(ownLabel(labels, i));
  for (let i = 0; i < count; i += 1) change(merge, slot, ids[i] as string, 'added');
  for (let i = count; i < ids.length; i += 1) {
    refuse(merge, slot, ids[i] as string, 'REPLACEMENT_DROPPED');
  }
  recordAdded(merge, slot, ids.slice(0, count));
  return listKey === undefined ? written[0] : { _cls: merge.storedAs, [listKey]: written };
}

/**
 * A present target: recorded labels merge in place, new ones are appended to lists, and
 * (lists only) stored labels whose ids are `gone` are deleted in the same scan. Returns the
 * merged value: `value` itself when nothing changed.
 */
function mergeIntoValue(
  merge: SlotMerge,
  labels: SlotLabels,
  value: LabelRecord,
  gone: IdSet | undefined,
): LabelRecord {
  const { slot, ids } = labels;
  const { restrictions, report, refusals } = merge;
  // Recorded ids are edits, the rest additions in download order.
  const edits = new Edits(labels);
  const additions = edits.additions;

  const listKey = listKeyOf(merge.storedAs);
  const storedLabels = listKey === undefined ? [value] : listOf(value);
  // The merged list, allocated at the first label that changes.
  let merged: LabelRecord[] | undefined;
  // Counted here and reported once: one field lookup per slot, not per unchanged label.
  let kept = 0;
  for (let i = 0; i < storedLabels.length; i += 1) {
    const stored = storedLabels[i] as LabelRecord;
    let next = stored;
    const at = edits.take(stored.id);
    // Gone ids are the recorded ones not downloaded, so only a label without an edit can be
    // gone: most labels have one, and skip the gone lookup.
    if (at < 0 && gone?.has(stored.id as string)) {
      if (!restrictions.allowDeletions)
        refuse(merge, slot, stored.id as string, 'DELETION_NOT_ALLOWED');
      else {
        change(merge, slot, stored.id as string, 'deleted');
        merged ??= storedLabels.slice(0, i);
        continue;
      }
    } else if (at >= 0) {
      const storedId = stored.id as string;
      if (refusals.length > 0) refusals.length = 0;
      next = mergeLabel(
        stored,
        labels.labels[at] as LabelRecord,
        merge.field,
        restrictions,
        refusals,
        merge.onlyKeyframes,
      );
      for (const refusal of refusals) {
        refuse(merge, slot, storedId, refusal.reason, refusal.attribute);
      }
      if (next !== stored) change(merge, slot, storedId, 'edited');
      else kept += 1;
    }
    if (merged === undefined && next !== stored) merged = storedLabels.slice(0, i);
    merged?.push(next);
  }

  if (kept > 0) report.kept(merge.target, kept);
  let changed = merged !== undefined;
  let next: LabelRecord = listKey === undefined ? (merged?.[0] ?? value) : value;
  if (listKey !== undefined) {
    if (restrictions.allowAdditions && additions !== undefined) {
      merged ??= storedLabels.slice();
      const added: string[] = [];
      for (const i of additions) {
        merged.push(ownLabel(labels, i));
        added.push(ids[i] as string);
      }
      changed = true;
      for (const id of added) change(merge, slot, id, 'added');
      // Additions are the ids the slot does not record, so none needs the check.
      recordAdded(merge, slot, added, true);
    }
    if (changed) next = { ...value, [listKey]: merged };
  }

  if (edits.pending)
    for (const id of edits.untaken()) {
      const { sampleId, frameId } = slot;
      report.skip(
        frameId === undefined
          ? { field: merge.target, sampleId, labelId: id, reason: 'LABEL_NOT_IN_DATASET' }
          : { field: merge.target, sampleId, frameId, labelId: id, reason: 'LABEL_NOT_IN_DATASET' },
      );
    }
  if (listKey === undefined || !restrictions.allowAdditions) {
    const reason = restrictions.allowAdditions ? 'REPLACEMENT_DROPPED' : 'ADDITION_NOT_ALLOWED';
    for (const i of additions ?? []) refuse(merge, slot, ids[i] as string, reason);
  }
  return next;
}

/**
 * Added ids become recorded ids, so a second merge of the same download edits, not adds.
 * `unrecorded`: the caller knows none of `ids` is recorded yet.
 */
function recordAdded(
  merge: SlotMerge,
  slot: Slot,
  ids: ReadonlyArray<string>,
  unrecorded = false,
): void {
  const current = merge.idMap.get(slot.sampleId);
  if (slot.frameId === undefined) {
    const recorded = Array.isArray(current) ? current : [];
    const added = unrecorded ? ids : newIds(recorded, ids);
    if (added.length > 0) merge.idMap.set(slot.sampleId, recorded.concat(added));
    return;
  }
  const frames =
    current !== undefined && typeof current === 'object' && !Array.isArray(current)
      ? { ...current }
      : {};
  const recorded = frames[slot.frameId];
  const list = Array.isArray(recorded) ? recorded : [];
  frames[slot.frameId] = list.concat(unrecorded ? ids : newIds(list, ids));
  merge.idMap.set(slot.sampleId, frames);
}

function newIds(
  recorded: ReadonlyArray<string>,
  ids: ReadonlyArray<string>,
): ReadonlyArray<string> {
  // Added ids are new by definition unless a replay recorded them: no copy when all are.
  let i = 0;
  while (i < ids.length && !recorded.includes(ids[i] as string)) i += 1;
  if (i === ids.length) return ids;
  const added = ids.slice(0, i);
  for (i += 1; i < ids.length; i += 1) {
    const id = ids[i] as string;
    if (!recorded.includes(id)) added.push(id);
  }
  return added;
}
