import type { LabelRecord } from '../labels/attributes.js';
import { isListClass, type LabelClass, LIST_CONTAINERS } from '../labels/label-types.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { FieldSchema } from '../schema/types.js';
import type { IdMapSlice } from './id-map-slice.js';
import { mergeLabel, type Restrictions, restrictionsOf } from './merge-label.js';
import type { PageState, Slot } from './page-state.js';
import type { ReportBuilder } from './report.js';
import { updateTracks } from './update-tracks.js';

/** Downloaded labels of one field: sample id → frame key ('' for images) → labels in order. */
export type DownloadedLabels = Map<string, Map<string, LabelRecord[]>>;

export interface LabelFieldMerge {
  state: PageState;
  report: ReportBuilder;
  warnings: string[];
  /** Where labels are written (`dest_field`-renamed), e.g. `ground_truth` or `frames.gt`. */
  target: string;
  /** The field's schema; null for kept unexpected labels (no restrictions apply). */
  field: FieldSchema | null;
  /** The class the target stores, e.g. `Detections`. */
  storedAs: LabelClass;
  downloaded: DownloadedLabels;
  /** The id map of the target; the ids this merge adds are recorded in it. */
  idMap: IdMapSlice;
  isFrameField: boolean;
  /** Reconcile video track indexes first (SEMANTICS §6.7). */
  tracked: boolean;
  onlyKeyframes: boolean;
}

interface SlotLabels {
  slot: Slot;
  labels: LabelRecord[];
}

const slotKey = (slot: Slot): string => `${slot.sampleId}\u0000${slot.frameId ?? ''}`;

/**
 * Merges one label field of one page (FiftyOne's `_merge_labels`, SEMANTICS §6.2–6.3):
 * deletions come only from the id map, never from the field's content; additions and edits
 * obey the field's restrictions; every refusal is reported.
 */
export function mergeLabelField(merge: LabelFieldMerge): void {
  const { state, target } = merge;
  const restrictions = restrictionsOf(merge.field);
  const leaf = merge.isFrameField ? target.slice('frames.'.length) : target;

  const downloaded = resolveSlots(merge);
  if (merge.tracked) reconcileTracks(merge, leaf, downloaded);
  const existing = recordedIds(merge);
  regenerateDuplicateIds(target, downloaded, existing);

  // 1. Deletions: recorded ids the download no longer has.
  let deletionCount = 0;
  for (const [key, recorded] of existing) {
    const returned = downloaded.get(key)?.labels;
    let gone: Set<string> | undefined;
    for (const id of recorded) {
      if (returned?.some((label) => label.id === id)) continue;
      gone ??= new Set();
      gone.add(id);
    }
    if (gone === undefined) continue;
    deletionCount += gone.size;
    deleteLabels(merge, restrictions, slotOf(key), leaf, gone);
  }
  if (deletionCount > 0 && !restrictions.allowDeletions) {
    merge.warnings.push(
      `Ignored ${deletionCount} deleted labels in field '${target}' because \`allowDeletions=false\``,
    );
  }

  // 2. Additions and edits, slot by slot in download order.
  let refusedAdditions = 0;
  for (const [key, { slot, labels }] of downloaded) {
    const recorded = existing.get(key) ?? new Set<string>();
    const value = state.read(slot, leaf) as LabelRecord | null | undefined;
    if (value == null) {
      refusedAdditions += labels.filter((label) => !recorded.has(label.id as string)).length;
      writeIntoEmpty(merge, restrictions, slot, leaf, labels);
    } else {
      refusedAdditions += mergeIntoValue(merge, restrictions, slot, leaf, value, labels, recorded);
    }
  }
  if (refusedAdditions > 0 && !restrictions.allowAdditions) {
    merge.warnings.push(
      `Ignored ${refusedAdditions} added labels in field '${target}' because \`allowAdditions=false\``,
    );
  }
}

function slotOf(key: string): Slot {
  const [sampleId, frameId] = key.split('\u0000') as [string, string];
  return frameId === '' ? { sampleId } : { sampleId, frameId };
}

/** Turns downloaded sample/frame keys into slots of this page; the rest is reported skipped. */
function resolveSlots(merge: LabelFieldMerge): Map<string, SlotLabels> {
  const slots = new Map<string, SlotLabels>();
  for (const [sampleId, frames] of merge.downloaded) {
    for (const [frameKey, labels] of frames) {
      if (labels.length === 0) continue;
      const skip = (reason: 'SAMPLE_NOT_FOUND' | 'FRAME_NOT_FOUND'): void => {
        for (const label of labels) {
          merge.report.skip({ field: merge.target, sampleId, labelId: label.id as string, reason });
        }
      };
      if (!merge.state.has(sampleId)) {
        skip('SAMPLE_NOT_FOUND');
        continue;
      }
      let slot: Slot = { sampleId };
      if (merge.isFrameField) {
        const frameId = merge.state.resolveFrame(sampleId, frameKey);
        if (frameId === undefined) {
          skip('FRAME_NOT_FOUND');
          continue;
        }
        slot = { sampleId, frameId };
      }
      const key = slotKey(slot);
      const into = slots.get(key);
      if (into) into.labels.push(...labels);
      else slots.set(key, { slot, labels: [...labels] });
    }
  }
  return slots;
}

/** The recorded (uploaded or previously added) ids per slot, for this page's samples. */
function recordedIds(merge: LabelFieldMerge): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [sampleId, entry] of merge.idMap.entries()) {
    if (!merge.state.has(sampleId)) continue;
    if (Array.isArray(entry)) {
      if (!merge.isFrameField && entry.length > 0) out.set(slotKey({ sampleId }), new Set(entry));
    } else if (typeof entry === 'object' && merge.isFrameField) {
      for (const [frameId, ids] of Object.entries(entry)) {
        if (Array.isArray(ids) && ids.length > 0)
          out.set(slotKey({ sampleId, frameId }), new Set(ids));
      }
    }
  }
  return out;
}

/**
 * A label pasted onto other samples or frames arrives with the same id several times; each
 * copy that is not the recorded original becomes a new label. FiftyOne mints random ids;
 * we derive them from (field, sample, frame, id) so a replayed merge mints the same ones.
 */
function regenerateDuplicateIds(
  target: string,
  downloaded: Map<string, SlotLabels>,
  existing: Map<string, Set<string>>,
): void {
  // Only a new key can be regenerated, and new keys are few: find their ids first, then
  // count how often each occurs in the whole download.
  const occurrences = new Map<string, number>();
  for (const [key, { labels }] of downloaded) {
    const recorded = existing.get(key);
    for (const label of labels)
      if (!recorded?.has(label.id as string)) occurrences.set(label.id as string, 0);
  }
  if (occurrences.size === 0) return;
  for (const { labels } of downloaded.values()) {
    for (const label of labels) {
      const count = occurrences.get(label.id as string);
      if (count !== undefined) occurrences.set(label.id as string, count + 1);
    }
  }
  const duplicated = new Set([...occurrences].filter(([, count]) => count > 1).map(([id]) => id));
  if (duplicated.size === 0) return;
  for (const [key, { slot, labels }] of downloaded) {
    const recorded = existing.get(key);
    for (const label of labels) {
      const id = label.id as string;
      if (duplicated.has(id) && !recorded?.has(id)) {
        label.id = deterministicObjectId(target, slot.sampleId, slot.frameId ?? '', id);
      }
    }
  }
}

function reconcileTracks(
  merge: LabelFieldMerge,
  leaf: string,
  downloaded: Map<string, SlotLabels>,
): void {
  const bySample = new Map<string, Array<{ frameId: string; labels: LabelRecord[] }>>();
  for (const { slot, labels } of downloaded.values()) {
    const frames = bySample.get(slot.sampleId) ?? [];
    frames.push({ frameId: slot.frameId as string, labels });
    bySample.set(slot.sampleId, frames);
  }
  for (const [sampleId, frames] of bySample) {
    const stored = [];
    for (const [frameId, frame] of merge.state.frames(sampleId)) {
      for (const label of listOf(frame[leaf] as LabelRecord | null | undefined)) {
        stored.push({
          frameId,
          id: label.id as string,
          index: label.index as number | null | undefined,
        });
      }
    }
    updateTracks(frames, stored, merge.onlyKeyframes);
  }
}

function listKeyOf(storedAs: LabelClass): string | undefined {
  return isListClass(storedAs) ? LIST_CONTAINERS[storedAs].listKey : undefined;
}

function listOf(value: LabelRecord | null | undefined): LabelRecord[] {
  if (value == null) return [];
  const cls = value._cls;
  if (typeof cls === 'string' && isListClass(cls)) {
    return (value[LIST_CONTAINERS[cls].listKey] as LabelRecord[] | undefined) ?? [];
  }
  return [value];
}

function deleteLabels(
  merge: LabelFieldMerge,
  restrictions: Restrictions,
  slot: Slot,
  leaf: string,
  gone: Set<string>,
): void {
  const value = merge.state.read(slot, leaf) as LabelRecord | null | undefined;
  if (value == null) return;
  const present = listOf(value).filter((label) => gone.has(label.id as string));
  if (present.length === 0) return;
  const where = {
    field: merge.target,
    sampleId: slot.sampleId,
    ...(slot.frameId ? { frameId: slot.frameId } : {}),
  };
  if (!restrictions.allowDeletions) {
    for (const label of present)
      merge.report.refuse({
        ...where,
        labelId: label.id as string,
        reason: 'DELETION_NOT_ALLOWED',
      });
    return;
  }
  const listKey = listKeyOf(merge.storedAs);
  // List containers keep an empty list; single-label fields become null (SEMANTICS §6.3).
  const next =
    listKey === undefined
      ? null
      : { ...value, [listKey]: listOf(value).filter((label) => !gone.has(label.id as string)) };
  merge.state.write(slot, leaf, next);
  for (const label of present)
    merge.report.change({ ...where, labelId: label.id as string, action: 'deleted' });
}

/** An empty target receives every downloaded label at once (SEMANTICS §6.3 step 2). */
function writeIntoEmpty(
  merge: LabelFieldMerge,
  restrictions: Restrictions,
  slot: Slot,
  leaf: string,
  labels: LabelRecord[],
): void {
  const where = {
    field: merge.target,
    sampleId: slot.sampleId,
    ...(slot.frameId ? { frameId: slot.frameId } : {}),
  };
  if (!restrictions.allowAdditions) {
    for (const label of labels)
      merge.report.refuse({
        ...where,
        labelId: label.id as string,
        reason: 'ADDITION_NOT_ALLOWED',
      });
    return;
  }
  const listKey = listKeyOf(merge.storedAs);
  const written = listKey === undefined ? labels.slice(0, 1) : labels;
  merge.state.write(
    slot,
    leaf,
    listKey === undefined ? written[0] : { _cls: merge.storedAs, [listKey]: written },
  );
  for (const label of written)
    merge.report.change({ ...where, labelId: label.id as string, action: 'added' });
  for (const label of labels.slice(written.length)) {
    merge.report.refuse({ ...where, labelId: label.id as string, reason: 'REPLACEMENT_DROPPED' });
  }
  recordAdded(merge, slot, written);
}

/**
 * A present target: recorded labels merge in place, new ones are appended to lists.
 * Returns how many new labels were refused because additions are not allowed.
 */
function mergeIntoValue(
  merge: LabelFieldMerge,
  restrictions: Restrictions,
  slot: Slot,
  leaf: string,
  value: LabelRecord,
  labels: LabelRecord[],
  recorded: Set<string>,
): number {
  const where = {
    field: merge.target,
    sampleId: slot.sampleId,
    ...(slot.frameId ? { frameId: slot.frameId } : {}),
  };
  const edits = new Map<string, LabelRecord>();
  const additions: LabelRecord[] = [];
  for (const label of labels) {
    if (recorded.has(label.id as string)) edits.set(label.id as string, label);
    else additions.push(label);
  }

  let changed = false;
  const mergeOne = (stored: LabelRecord): LabelRecord => {
    const downloaded = edits.get(stored.id as string);
    if (!downloaded) return stored;
    edits.delete(stored.id as string);
    const result = mergeLabel(stored, downloaded, merge.field, restrictions);
    for (const refusal of result.refusals)
      merge.report.refuse({ ...where, labelId: stored.id as string, ...refusal });
    if (result.changed) {
      changed = true;
      merge.report.change({ ...where, labelId: stored.id as string, action: 'edited' });
      return result.label;
    }
    merge.report.kept(merge.target);
    return stored;
  };

  const listKey = listKeyOf(merge.storedAs);
  let next: LabelRecord;
  if (listKey === undefined) {
    next = mergeOne(value);
  } else {
    const list = listOf(value).map(mergeOne);
    if (restrictions.allowAdditions && additions.length > 0) {
      list.push(...additions);
      changed = true;
      for (const label of additions)
        merge.report.change({ ...where, labelId: label.id as string, action: 'added' });
      recordAdded(merge, slot, additions);
    }
    next = changed ? { ...value, [listKey]: list } : value;
  }
  if (changed) merge.state.write(slot, leaf, next);

  for (const id of edits.keys())
    merge.report.skip({ ...where, labelId: id, reason: 'LABEL_NOT_IN_DATASET' });
  if (listKey === undefined || !restrictions.allowAdditions) {
    const reason = restrictions.allowAdditions ? 'REPLACEMENT_DROPPED' : 'ADDITION_NOT_ALLOWED';
    for (const label of additions)
      merge.report.refuse({ ...where, labelId: label.id as string, reason });
  }
  return restrictions.allowAdditions ? 0 : additions.length;
}

/** Added ids become recorded ids, so a second merge of the same download edits, not adds. */
function recordAdded(merge: LabelFieldMerge, slot: Slot, labels: ReadonlyArray<LabelRecord>): void {
  const ids = labels.map((label) => label.id as string);
  if (slot.frameId === undefined) {
    const current = merge.idMap.get(slot.sampleId);
    const recorded = Array.isArray(current) ? current : [];
    const added = ids.filter((id) => !recorded.includes(id));
    if (added.length > 0) merge.idMap.set(slot.sampleId, recorded.concat(added));
    return;
  }
  const current = merge.idMap.get(slot.sampleId);
  const frames =
    current !== undefined && typeof current === 'object' && !Array.isArray(current)
      ? { ...current }
      : {};
  const recorded = frames[slot.frameId];
  const list = Array.isArray(recorded) ? recorded : [];
  frames[slot.frameId] = [...list, ...ids.filter((id) => !list.includes(id))];
  merge.idMap.set(slot.sampleId, frames);
}
