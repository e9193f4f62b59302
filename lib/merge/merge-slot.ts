import type { LabelRecord } from '../labels/attributes.js';
import { isListClass, type LabelClass, LIST_CONTAINERS } from '../labels/label-types.js';
import type { FieldSchema } from '../schema/types.js';
import type { IdMapSlice } from './id-map-slice.js';
import { type LabelRefusal, mergeLabel, type Restrictions } from './merge-label.js';
import type { PageState, Slot } from './page-state.js';
import type { LabelChange, RefusalReason, ReportBuilder } from './report.js';
import { Edits, type IdSet, ownLabel, type SlotLabels } from './slot-labels.js';

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
  idMap: IdMapSlice;
  /** Scratch list for one label's refusals, reused so unrefused labels allocate nothing. */
  refusals: LabelRefusal[];
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

export function deleteLabels(merge: SlotMerge, slot: Slot, gone: ReadonlySet<string>): void {
  const value = merge.state.read(slot, merge.leaf) as LabelRecord | null | undefined;
  if (value == null) return;
  const present = listOf(value).filter((label) => gone.has(label.id as string));
  if (present.length === 0) return;
  if (!merge.restrictions.allowDeletions) {
    for (const label of present) refuse(merge, slot, label.id as string, 'DELETION_NOT_ALLOWED');
    return;
  }
  const listKey = listKeyOf(merge.storedAs);
  // List containers keep an empty list; single-label fields become null (SEMANTICS §6.3).
  const next =
    listKey === undefined
      ? null
      : { ...value, [listKey]: listOf(value).filter((label) => !gone.has(label.id as string)) };
  merge.state.write(slot, merge.leaf, next);
  for (const label of present) change(merge, slot, label.id as string, 'deleted');
}

/** An empty target receives every downloaded label at once (SEMANTICS §6.3 step 2). */
export function writeIntoEmpty(merge: SlotMerge, labels: SlotLabels): void {
  const { slot, ids } = labels;
  if (!merge.restrictions.allowAdditions) {
    for (const id of ids) refuse(merge, slot, id, 'ADDITION_NOT_ALLOWED');
    return;
  }
  const listKey = listKeyOf(merge.storedAs);
  // Single-label fields take the first label; the rest are dropped.
  const count = listKey === undefined ? 1 : ids.length;
  const written: LabelRecord[] = [];
  for (let i = 0; i < count; i += 1) written.push(ownLabel(labels, i));
  merge.state.write(
    slot,
    merge.leaf,
    listKey === undefined ? written[0] : { _cls: merge.storedAs, [listKey]: written },
  );
  for (let i = 0; i < count; i += 1) change(merge, slot, ids[i] as string, 'added');
  for (let i = count; i < ids.length; i += 1) {
    refuse(merge, slot, ids[i] as string, 'REPLACEMENT_DROPPED');
  }
  recordAdded(merge, slot, ids.slice(0, count));
}

/**
 * A present target: recorded labels merge in place, new ones are appended to lists.
 * Returns how many new labels were refused because additions are not allowed.
 */
export function mergeIntoValue(
  merge: SlotMerge,
  labels: SlotLabels,
  value: LabelRecord,
  recorded: IdSet,
): number {
  const { slot, ids } = labels;
  const { restrictions, report, refusals } = merge;
  // Recorded ids are edits, the rest additions in download order.
  const edits = new Edits(ids, recorded, labels.unique);
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
    if (at >= 0) {
      const storedId = stored.id as string;
      if (refusals.length > 0) refusals.length = 0;
      next = mergeLabel(
        stored,
        labels.labels[at] as LabelRecord,
        merge.field,
        restrictions,
        refusals,
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
      recordAdded(merge, slot, added);
    }
    if (changed) next = { ...value, [listKey]: merged };
  }
  if (changed) merge.state.write(slot, merge.leaf, next);

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
  return restrictions.allowAdditions ? 0 : (additions?.length ?? 0);
}

/** Added ids become recorded ids, so a second merge of the same download edits, not adds. */
function recordAdded(merge: SlotMerge, slot: Slot, ids: ReadonlyArray<string>): void {
  const current = merge.idMap.get(slot.sampleId);
  if (slot.frameId === undefined) {
    const recorded = Array.isArray(current) ? current : [];
    const added = newIds(recorded, ids);
    if (added.length > 0) merge.idMap.set(slot.sampleId, recorded.concat(added));
    return;
  }
  const frames =
    current !== undefined && typeof current === 'object' && !Array.isArray(current)
      ? { ...current }
      : {};
  const recorded = frames[slot.frameId];
  const list = Array.isArray(recorded) ? recorded : [];
  frames[slot.frameId] = list.concat(newIds(list, ids));
  merge.idMap.set(slot.sampleId, frames);
}

function newIds(recorded: ReadonlyArray<string>, ids: ReadonlyArray<string>): string[] {
  const added: string[] = [];
  for (const id of ids) if (!recorded.includes(id)) added.push(id);
  return added;
}
