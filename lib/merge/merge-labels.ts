import type { LabelRecord } from '../labels/attributes.js';
import { isListClass, type LabelClass } from '../labels/label-types.js';
import type { FieldSchema } from '../schema/types.js';
import { regenerateDuplicateIds } from './duplicate-ids.js';
import { mergeFrameSlots } from './frame-slots.js';
import type { IdMapSlice } from './id-map-slice.js';
import { restrictionsOf } from './merge-label.js';
import { listOf, mergeSlot, type SlotMerge } from './merge-slot.js';
import type { PageState } from './page-state.js';
import type { DownloadedLabels } from './parse-download.js';
import type { ReportBuilder } from './report.js';
import { IdSet, type SlotLabels } from './slot-labels.js';

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
  /** Ids the whole download (all pages) returns more than once (see DuplicateIds). */
  duplicatedInDownload: ReadonlySet<string>;
  /** Reconcile video track indexes first (SEMANTICS §6.7). */
  tracked: boolean;
  onlyKeyframes: boolean;
}

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
      merge.report.skipLabels(merge.target, sampleId, ids, 'SAMPLE_NOT_FOUND');
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
      goneFrom: group.goneFrom,
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
  regenerateDuplicateIds(
    merge.target,
    slots,
    skipped,
    (labels) => {
      const recorded = idMap.get(labels.slot.sampleId);
      return Array.isArray(recorded) ? new IdSet(recorded) : IdSet.EMPTY;
    },
    storedLabels(slotMerge),
    merge.duplicatedInDownload,
  );
  for (const labels of slots) {
    const recorded = idMap.get(labels.slot.sampleId);
    mergeSlot(slotMerge, labels.slot, labels, Array.isArray(recorded) ? recorded : NO_IDS);
  }
}

const NO_IDS: ReadonlyArray<string> = [];

/** The labels stored in a slot's list, for regenerateDuplicateIds; none for single labels. */
export function storedLabels(merge: SlotMerge): (labels: SlotLabels) => ReadonlyArray<LabelRecord> {
  if (!isListClass(merge.storedAs)) return () => NO_LABELS;
  return ({ slot }) => listOf(merge.state.read(slot, merge.leaf) as LabelRecord | null | undefined);
}

const NO_LABELS: ReadonlyArray<LabelRecord> = [];
