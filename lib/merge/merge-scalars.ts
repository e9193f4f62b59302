import type { Scalar } from '../labels/schemas.js';
import type { FieldSchema } from '../schema/types.js';
import type { IdMapSlice } from './id-map-slice.js';
import { restrictionsOf } from './merge-label.js';
import type { PageState, Slot } from './page-state.js';
import type { ReportBuilder } from './report.js';

/** Downloaded scalar values: sample id → frame key ('' for sample fields) → value. */
export type DownloadedScalars = Map<string, Map<string, Scalar>>;

export interface ScalarFieldMerge {
  state: PageState;
  report: ReportBuilder;
  warnings: string[];
  target: string;
  field: FieldSchema | null;
  downloaded: DownloadedScalars;
  idMap: IdMapSlice;
  isFrameField: boolean;
}

/**
 * Merges a scalar field (FiftyOne's `_merge_scalars`, SEMANTICS §6.6). Candidates are the
 * samples (frames) the id map recorded, uploaded or not, plus those with a downloaded value.
 * A value appearing is an addition, disappearing a deletion; any other change is an edit and
 * is always applied: scalar edits cannot be restricted. Returns the first value written
 * other than null, which types a field the merge creates.
 */
export function mergeScalarField(merge: ScalarFieldMerge): Scalar | undefined {
  const { state, report, target } = merge;
  const restrictions = restrictionsOf(merge.field);
  const leaf = merge.isFrameField ? target.slice('frames.'.length) : target;

  const candidates = new Map<string, { slot: Slot; value: Scalar }>();
  merge.idMap.forEach((sampleId, entry) => {
    if (!state.has(sampleId)) return;
    if (!merge.isFrameField) {
      if (typeof entry === 'boolean') candidates.set(sampleId, { slot: { sampleId }, value: null });
    } else if (typeof entry === 'object' && !Array.isArray(entry)) {
      for (const [frameId, recorded] of Object.entries(entry)) {
        if (typeof recorded === 'boolean' && state.frameNumber(sampleId, frameId) !== undefined) {
          candidates.set(`${sampleId}\u0000${frameId}`, {
            slot: { sampleId, frameId },
            value: null,
          });
        }
      }
    }
  });
  for (const [sampleId, frames] of merge.downloaded) {
    if (!state.has(sampleId)) {
      report.skip({ field: target, sampleId, reason: 'SAMPLE_NOT_FOUND' });
      continue;
    }
    for (const [frameKey, value] of frames) {
      if (!merge.isFrameField) {
        candidates.set(sampleId, { slot: { sampleId }, value });
        continue;
      }
      const frameId = state.resolveFrame(sampleId, frameKey);
      if (frameId === undefined) {
        // Named as the download named it (a frame id or number).
        report.skip({ field: target, sampleId, frameId: frameKey, reason: 'FRAME_NOT_FOUND' });
        continue;
      }
      candidates.set(`${sampleId}\u0000${frameId}`, { slot: { sampleId, frameId }, value });
    }
  }

  let ignoredAdditions = 0;
  let ignoredDeletions = 0;
  let firstWritten: Scalar | undefined;
  for (const { slot, value } of candidates.values()) {
    const current = (state.read(slot, leaf) ?? null) as Scalar;
    if (current === value) continue;
    const where = {
      field: target,
      sampleId: slot.sampleId,
      ...(slot.frameId ? { frameId: slot.frameId } : {}),
    };
    if (current === null) {
      if (!restrictions.allowAdditions) {
        ignoredAdditions += 1;
        report.refuse({ ...where, reason: 'ADDITION_NOT_ALLOWED' });
        continue;
      }
      state.write(slot, leaf, value);
      firstWritten ??= value;
      report.change({ ...where, action: 'added' });
    } else if (value === null) {
      if (!restrictions.allowDeletions) {
        ignoredDeletions += 1;
        report.refuse({ ...where, reason: 'DELETION_NOT_ALLOWED' });
        continue;
      }
      state.write(slot, leaf, null);
      report.change({ ...where, action: 'deleted' });
    } else {
      state.write(slot, leaf, value);
      firstWritten ??= value;
      report.change({ ...where, action: 'edited' });
    }
  }
  if (ignoredAdditions > 0) {
    merge.warnings.push(
      `Ignored ${ignoredAdditions} added labels in field '${target}' because \`allowAdditions=false\``,
    );
  }
  if (ignoredDeletions > 0) {
    merge.warnings.push(
      `Ignored ${ignoredDeletions} deleted labels in field '${target}' because \`allowDeletions=false\``,
    );
  }
  return firstWritten;
}
