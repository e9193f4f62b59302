import type { LabelRecord } from '../labels/attributes.js';
import type { LabelClass } from '../labels/label-types.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { FieldSchema } from '../schema/types.js';
import type { IdMapSlice } from './id-map-slice.js';
import { restrictionsOf } from './merge-label.js';
import { listOf, mergeSlot, type SlotMerge } from './merge-slot.js';
import type { PageState, Slot } from './page-state.js';
import type { DownloadedLabels } from './parse-download.js';
import type { ReportBuilder } from './report.js';
import { IdSet, newPositions, type SlotLabels } from './slot-labels.js';
import { updateTracks } from './update-tracks.js';

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

interface RecordedSlot {
  key: string;
  slot: Slot;
  ids: IdSet;
}

// Sample fields key slots by sample id alone: no string is built per sample.
const slotKey = (sampleId: string, frameId: string | undefined): string =>
  frameId === undefined ? sampleId : `${sampleId}\u0000${frameId}`;

/**
 * Merges one label field of one page (FiftyOne's `_merge_labels`, SEMANTICS §6.2–6.3):
 * deletions come only from the id map, never from the field's content; additions and edits
 * obey the field's restrictions; every refusal is reported.
 */
export function mergeLabelField(merge: LabelFieldMerge): void {
  const { target } = merge;
  const slotMerge: SlotMerge = {
    state: merge.state,
    report: merge.report,
    target,
    leaf: merge.isFrameField ? target.slice('frames.'.length) : target,
    field: merge.field,
    storedAs: merge.storedAs,
    restrictions: restrictionsOf(merge.field),
    // Forced keyframe-only (a new field) concerns video frames only, where tracks are.
    onlyKeyframes: merge.isFrameField ? merge.onlyKeyframes : merge.field?.onlyKeyframes === true,
    idMap: merge.idMap,
    refusals: [],
    counts: { gone: 0, newIds: 0 },
  };
  if (merge.isFrameField) mergeFrameSlots(merge, slotMerge);
  else mergeSampleSlots(merge, slotMerge);

  const { restrictions, counts } = slotMerge;
  if (counts.gone > 0 && !restrictions.allowDeletions) {
    merge.warnings.push(
      `Ignored ${counts.gone} deleted labels in field '${target}' because \`allowDeletions=false\``,
    );
  }
  if (counts.newIds > 0 && !restrictions.allowAdditions) {
    merge.warnings.push(
      `Ignored ${counts.newIds} added labels in field '${target}' because \`allowAdditions=false\``,
    );
  }
}

/**
 * A sample field: one pass per sample. The download parse already split each sample's ids
 * into recorded and new, so no slot map, recorded-id sets or second classification is built.
 */
function mergeSampleSlots(merge: LabelFieldMerge, slotMerge: SlotMerge): void {
  const { state, idMap } = merge;
  const slots: SlotLabels[] = [];
  const skipped: string[][] = [];
  const downloaded = new Set<string>();
  for (const group of merge.downloaded) {
    const { sampleId, ids } = group;
    if (ids.length === 0) continue;
    if (!state.has(sampleId)) {
      skipAll(merge, sampleId, ids, 'SAMPLE_NOT_FOUND');
      skipped.push(ids);
      continue;
    }
    downloaded.add(sampleId);
    slots.push({
      key: sampleId,
      unique: true,
      slot: group,
      ids,
      labels: group.labels,
      newAt: group.newAt,
      allReturned: group.allReturned,
    });
  }
  // Samples the download left out entirely: everything recorded on them is gone.
  idMap.forEach((sampleId, entry) => {
    if (
      Array.isArray(entry) &&
      entry.length > 0 &&
      !downloaded.has(sampleId) &&
      state.has(sampleId)
    ) {
      mergeSlot(slotMerge, { sampleId }, undefined, entry);
    }
  });
  regenerateDuplicateIds(merge.target, slots, skipped, (labels) => {
    const recorded = idMap.get(labels.slot.sampleId);
    return Array.isArray(recorded) ? new IdSet(recorded) : IdSet.EMPTY;
  });
  for (const labels of slots) {
    const recorded = idMap.get(labels.slot.sampleId);
    mergeSlot(slotMerge, labels.slot, labels, Array.isArray(recorded) ? recorded : NO_IDS);
  }
}

/** A frame field: frames are resolved (by number or id) and tracks reconciled first. */
function mergeFrameSlots(merge: LabelFieldMerge, slotMerge: SlotMerge): void {
  const skipped: string[][] = [];
  const downloaded = resolveSlots(merge, skipped);
  if (merge.tracked) reconcileTracks(merge, slotMerge.leaf, downloaded);
  const existing = recordedIds(merge);
  for (const labels of downloaded.values()) {
    labels.newAt = newPositions(labels.ids, existing.get(labels.key)?.ids ?? IdSet.EMPTY);
  }
  regenerateDuplicateIds(
    merge.target,
    [...downloaded.values()],
    skipped,
    (labels) => existing.get(labels.key)?.ids ?? IdSet.EMPTY,
  );
  for (const recorded of existing.values()) {
    if (!downloaded.has(recorded.key))
      mergeSlot(slotMerge, recorded.slot, undefined, recorded.ids.ids);
  }
  for (const labels of downloaded.values()) {
    mergeSlot(slotMerge, labels.slot, labels, existing.get(labels.key)?.ids.ids ?? NO_IDS);
  }
}

const NO_IDS: ReadonlyArray<string> = [];

/** Turns downloaded sample/frame keys into slots of this page; the rest is reported skipped. */
function resolveSlots(merge: LabelFieldMerge, skipped: string[][]): Map<string, SlotLabels> {
  const slots = new Map<string, SlotLabels>();
  for (const { sampleId, frameKey, ids, labels } of merge.downloaded) {
    if (ids.length === 0) continue;
    if (!merge.state.has(sampleId)) {
      skipAll(merge, sampleId, ids, 'SAMPLE_NOT_FOUND');
      skipped.push(ids);
      continue;
    }
    let frameId: string | undefined;
    if (merge.isFrameField) {
      frameId = merge.state.resolveFrame(sampleId, frameKey);
      if (frameId === undefined) {
        skipAll(merge, sampleId, ids, 'FRAME_NOT_FOUND', frameKey);
        skipped.push(ids);
        continue;
      }
    }
    const key = slotKey(sampleId, frameId);
    const into = slots.get(key);
    if (into) {
      // A frame sent under both its number and its id is one frame, one dict: an id sent
      // under both keys collapses to the label returned last (SEMANTICS §6.2), in its
      // first place, instead of arriving twice.
      for (let i = 0; i < ids.length; i += 1) {
        const at = into.ids.indexOf(ids[i] as string);
        if (at >= 0) into.labels[at] = labels[i] as LabelRecord;
        else {
          into.ids.push(ids[i] as string);
          into.labels.push(labels[i] as LabelRecord);
        }
      }
    } else {
      const slot: Slot = frameId === undefined ? { sampleId } : { sampleId, frameId };
      // The group's own arrays (parsed for this merge): ids may be rewritten in place.
      slots.set(key, {
        key,
        unique: true,
        slot,
        ids,
        labels,
        newAt: undefined,
        allReturned: false,
      });
    }
  }
  return slots;
}

function skipAll(
  merge: LabelFieldMerge,
  sampleId: string,
  ids: ReadonlyArray<string>,
  reason: 'SAMPLE_NOT_FOUND' | 'FRAME_NOT_FOUND',
  frameKey?: string,
): void {
  const { report, target: field } = merge;
  for (const labelId of ids) {
    // An unknown frame is named as the download named it (a frame id or number).
    report.skip(
      frameKey === undefined
        ? { field, sampleId, labelId, reason }
        : { field, sampleId, frameId: frameKey, labelId, reason },
    );
  }
}

/** The recorded (uploaded or previously added) ids per slot, for this page's samples. */
function recordedIds(merge: LabelFieldMerge): Map<string, RecordedSlot> {
  const out = new Map<string, RecordedSlot>();
  merge.idMap.forEach((sampleId, entry) => {
    if (!merge.state.has(sampleId)) return;
    if (Array.isArray(entry)) {
      if (!merge.isFrameField && entry.length > 0) {
        out.set(sampleId, { key: sampleId, slot: { sampleId }, ids: new IdSet(entry) });
      }
    } else if (typeof entry === 'object' && merge.isFrameField) {
      for (const [frameId, ids] of Object.entries(entry)) {
        if (Array.isArray(ids) && ids.length > 0) {
          const key = slotKey(sampleId, frameId);
          out.set(key, { key, slot: { sampleId, frameId }, ids: new IdSet(ids) });
        }
      }
    }
  });
  return out;
}

/**
 * A label pasted onto other samples or frames arrives with the same id several times; each
 * copy that is not the recorded original becomes a new label. FiftyOne mints random ids;
 * we derive them from (field, sample, frame, id) so a replayed merge mints the same ones.
 */
function regenerateDuplicateIds(
  target: string,
  slots: ReadonlyArray<SlotLabels>,
  skipped: ReadonlyArray<ReadonlyArray<string>>,
  recordedOf: (labels: SlotLabels) => IdSet,
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
  for (const [id, count] of occurrences) {
    if (count < 2) continue;
    duplicated ??= new Set();
    duplicated.add(id);
  }
  if (duplicated === undefined) return;
  for (const labels of slots) {
    const { slot, ids, newAt } = labels;
    if (newAt === undefined) continue;
    let minted = false;
    for (const i of newAt) {
      const id = ids[i] as string;
      if (!duplicated.has(id)) continue;
      ids[i] = deterministicObjectId(target, slot.sampleId, slot.frameId ?? '', id);
      // A minted id may meet the same id returned as such (a replayed paste).
      labels.unique = false;
      minted = true;
    }
    // A replayed merge mints the id the first one recorded: an edit now, not an addition.
    if (minted) labels.newAt = newPositions(ids, recordedOf(labels));
  }
}

function reconcileTracks(
  merge: LabelFieldMerge,
  leaf: string,
  downloaded: Map<string, SlotLabels>,
): void {
  const bySample = new Map<string, Array<{ frameId: string; labels: LabelRecord[] }>>();
  for (const { slot, ids, labels } of downloaded.values()) {
    // updateTracks rewrites ids, indexes and keyframes: it gets the merge's own copies.
    for (let i = 0; i < labels.length; i += 1) labels[i] = { ...labels[i], id: ids[i] };
    const frames = bySample.get(slot.sampleId) ?? [];
    frames.push({ frameId: slot.frameId as string, labels });
    bySample.set(slot.sampleId, frames);
  }
  for (const [sampleId, frames] of bySample) {
    const stored = [];
    const entry = merge.idMap.get(sampleId);
    const recordedByFrame =
      entry !== undefined && typeof entry === 'object' && !Array.isArray(entry) ? entry : {};
    for (const [frameId, frame] of merge.state.frames(sampleId)) {
      const recorded = recordedByFrame[frameId];
      for (const label of listOf(frame[leaf] as LabelRecord | null | undefined)) {
        stored.push({
          frameId,
          id: label.id as string,
          index: label.index as number | null | undefined,
          recorded: Array.isArray(recorded) && recorded.includes(label.id as string),
        });
      }
    }
    updateTracks(frames, stored, merge.onlyKeyframes);
  }
  for (const slot of downloaded.values()) {
    const { ids, labels } = slot;
    for (let i = 0; i < labels.length; i += 1) ids[i] = (labels[i] as LabelRecord).id as string;
    // Labels at one track index of a frame take the same stored id.
    slot.unique = false;
  }
}
