import type { LabelRecord } from '../labels/attributes.js';
import { regenerateDuplicateIds } from './duplicate-ids.js';
import { type LabelFieldMerge, storedLabels } from './merge-labels.js';
import { listOf, mergeSlot, type SlotMerge } from './merge-slot.js';
import type { Slot } from './page-state.js';
import { IdSet, newPositions, type SlotLabels } from './slot-labels.js';
import { updateTracks } from './update-tracks.js';

interface RecordedSlot {
  key: string;
  slot: Slot;
  ids: IdSet;
}

// A frame's slot key; a frame-less key (the sample id) is kept for recorded sample entries.
const slotKey = (sampleId: string, frameId: string | undefined): string =>
  frameId === undefined ? sampleId : `${sampleId}\u0000${frameId}`;

/** A frame field: frames are resolved (by number or id) and tracks reconciled first. */
export function mergeFrameSlots(merge: LabelFieldMerge, slotMerge: SlotMerge): void {
  const skipped: string[][] = [];
  const downloaded = resolveSlots(merge, skipped);
  const existing = recordedIds(merge);
  const recordedOf = (labels: SlotLabels): IdSet => existing.get(labels.key)?.ids ?? IdSet.EMPTY;
  for (const labels of downloaded.values())
    labels.newAt = newPositions(labels.ids, recordedOf(labels));
  // Copies get their own ids before tracks are matched: a replay then finds the minted ids
  // stored and keeps their tracks (matched first, the copies were re-numbered every time).
  regenerateDuplicateIds(
    merge.target,
    [...downloaded.values()],
    skipped,
    recordedOf,
    storedLabels(slotMerge),
    merge.duplicatedInDownload,
  );
  if (merge.tracked) {
    reconcileTracks(merge, slotMerge.leaf, downloaded);
    // Tracks give labels stored ids: classify again.
    for (const labels of downloaded.values()) {
      labels.newAt = newPositions(labels.ids, recordedOf(labels));
    }
  }
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
      merge.report.skipLabels(merge.target, sampleId, ids, 'SAMPLE_NOT_FOUND');
      skipped.push(ids);
      continue;
    }
    let frameId: string | undefined;
    if (merge.isFrameField) {
      frameId = merge.state.resolveFrame(sampleId, frameKey);
      if (frameId === undefined) {
        merge.report.skipLabels(merge.target, sampleId, ids, 'FRAME_NOT_FOUND', frameKey);
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
        goneFrom: undefined,
      });
    }
  }
  return slots;
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
    // Matching keeps a frame's ids distinct (updateTracks), so `unique` still holds.
    for (let i = 0; i < labels.length; i += 1) ids[i] = (labels[i] as LabelRecord).id as string;
  }
}
