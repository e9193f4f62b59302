import { z } from 'zod';
import { returnTypeSchema } from '../labels/label-types.js';

/**
 * Why a change the annotator made was not applied. FiftyOne drops most of these silently;
 * we count and list every one (the merged labels are still exactly FiftyOne's).
 */
export const refusalReasonSchema = z.enum([
  'ADDITION_NOT_ALLOWED',
  'DELETION_NOT_ALLOWED',
  'LABEL_EDIT_NOT_ALLOWED',
  'INDEX_EDIT_NOT_ALLOWED',
  'SPATIAL_EDIT_NOT_ALLOWED',
  'READ_ONLY_ATTRIBUTE',
  /** A single-label field already holds a label, so the annotator's new one cannot land. */
  'REPLACEMENT_DROPPED',
]);
export type RefusalReason = z.infer<typeof refusalReasonSchema>;

/** Downloaded labels that had nowhere to go, for reasons other than a restriction. */
export const skipReasonSchema = z.enum([
  /** The sample was deleted from the dataset after the run was annotated. */
  'SAMPLE_NOT_FOUND',
  /** A frame id the sample does not have. */
  'FRAME_NOT_FOUND',
  /** An edited label that was removed from the dataset after the run was annotated. */
  'LABEL_NOT_IN_DATASET',
]);
export type SkipReason = z.infer<typeof skipReasonSchema>;

const where = {
  field: z.string(),
  sampleId: z.string(),
  frameId: z.string().optional(),
  labelId: z.string().optional(),
};

export const labelChangeSchema = z.object({
  ...where,
  action: z.enum(['added', 'edited', 'deleted']),
});
export const refusedChangeSchema = z.object({
  ...where,
  reason: refusalReasonSchema,
  attribute: z.string().optional(),
});
export const skippedLabelSchema = z.object({ ...where, reason: skipReasonSchema });
export const unexpectedEntrySchema = z.object({
  ...where,
  returnType: returnTypeSchema,
  disposition: z.enum(['returned', 'ignored', 'kept', 'refused']),
});

export const fieldReportSchema = z.object({
  added: z.number().int(),
  edited: z.number().int(),
  /** Labels matched to an uploaded label whose merge changed nothing. */
  kept: z.number().int(),
  deleted: z.number().int(),
  refused: z.partialRecord(refusalReasonSchema, z.number().int()),
  skipped: z.number().int(),
  unexpected: z.number().int(),
});

/** Everything a merge did and declined to do, per field and per label. */
export const mergeReportSchema = z.object({
  fields: z.record(z.string(), fieldReportSchema),
  /** Field by field, sample by sample; in a list, the stored labels' deletions and edits in
   * their stored order, then the additions in download order. */
  changes: z.array(labelChangeSchema),
  refused: z.array(refusedChangeSchema),
  skipped: z.array(skippedLabelSchema),
  unexpected: z.array(unexpectedEntrySchema),
  changedSampleIds: z.array(z.string()),
});

export type FieldReport = z.infer<typeof fieldReportSchema>;
export type LabelChange = z.infer<typeof labelChangeSchema>;
export type RefusedChange = z.infer<typeof refusedChangeSchema>;
export type SkippedLabel = z.infer<typeof skippedLabelSchema>;
export type UnexpectedEntry = z.infer<typeof unexpectedEntrySchema>;
export type MergeReport = z.infer<typeof mergeReportSchema>;

export function emptyReport(): MergeReport {
  return {
    fields: {},
    changes: [],
    refused: [],
    skipped: [],
    unexpected: [],
    changedSampleIds: [],
  };
}

function emptyFieldReport(): FieldReport {
  return { added: 0, edited: 0, kept: 0, deleted: 0, refused: {}, skipped: 0, unexpected: 0 };
}

/** Collects one merge's report; the merge calls these as it goes. */
export class ReportBuilder {
  readonly report: MergeReport = emptyReport();
  private readonly changed = new Set<string>();
  private lastChanged: string | undefined;

  // A merge reports field by field: remember the last field's entry.
  private lastField: string | undefined;
  private lastEntry: FieldReport | undefined;

  fieldReport(field: string): FieldReport {
    if (field === this.lastField && this.lastEntry !== undefined) return this.lastEntry;
    let entry = this.report.fields[field];
    if (!entry) {
      entry = emptyFieldReport();
      this.report.fields[field] = entry;
    }
    this.lastField = field;
    this.lastEntry = entry;
    return entry;
  }

  change(change: LabelChange): void {
    this.report.changes.push(change);
    // Named increments: `entry[change.action]` was a keyed load and store per change.
    const entry = this.fieldReport(change.field);
    if (change.action === 'edited') entry.edited += 1;
    else if (change.action === 'added') entry.added += 1;
    else entry.deleted += 1;
    // Changes come sample by sample: most are to the sample the last one changed.
    if (change.sampleId !== this.lastChanged) {
      this.changed.add(change.sampleId);
      this.lastChanged = change.sampleId;
    }
  }

  kept(field: string, count = 1): void {
    this.fieldReport(field).kept += count;
  }

  refuse(refusal: RefusedChange): void {
    this.report.refused.push(refusal);
    const counts = this.fieldReport(refusal.field).refused;
    counts[refusal.reason] = (counts[refusal.reason] ?? 0) + 1;
  }

  skip(skipped: SkippedLabel): void {
    this.report.skipped.push(skipped);
    this.fieldReport(skipped.field).skipped += 1;
  }

  /** Downloaded labels that had nowhere to go; an unknown frame is named as downloaded. */
  skipLabels(
    field: string,
    sampleId: string,
    labelIds: ReadonlyArray<string>,
    reason: SkipReason,
    frameKey?: string,
  ): void {
    for (const labelId of labelIds) {
      this.skip(
        frameKey === undefined
          ? { field, sampleId, labelId, reason }
          : { field, sampleId, frameId: frameKey, labelId, reason },
      );
    }
  }

  unexpected(entry: UnexpectedEntry): void {
    this.report.unexpected.push(entry);
    this.fieldReport(entry.field).unexpected += 1;
  }

  finish(): MergeReport {
    this.report.changedSampleIds = [...this.changed];
    return this.report;
  }
}

/**
 * Adds page reports into a run report. Pages hold disjoint samples, so counts add up and
 * lists concatenate; a load merges page by page and aggregates with this.
 */
export function combineReports(a: MergeReport, b: MergeReport): MergeReport {
  const fields: Record<string, FieldReport> = {};
  for (const source of [a.fields, b.fields]) {
    for (const [name, report] of Object.entries(source)) {
      const into = fields[name] ?? emptyFieldReport();
      into.added += report.added;
      into.edited += report.edited;
      into.kept += report.kept;
      into.deleted += report.deleted;
      into.skipped += report.skipped;
      into.unexpected += report.unexpected;
      const refused = { ...into.refused };
      for (const [reason, count] of Object.entries(report.refused) as [RefusalReason, number][]) {
        refused[reason] = (refused[reason] ?? 0) + count;
      }
      into.refused = refused;
      fields[name] = into;
    }
  }
  return {
    fields,
    changes: [...a.changes, ...b.changes],
    refused: [...a.refused, ...b.refused],
    skipped: [...a.skipped, ...b.skipped],
    unexpected: [...a.unexpected, ...b.unexpected],
    changedSampleIds: [...new Set([...a.changedSampleIds, ...b.changedSampleIds])],
  };
}
