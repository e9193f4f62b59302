import type { IdMap } from '../merge/contract.js';
import type { FieldReport, MergeReport, SkippedLabel } from '../merge/report.js';

/**
 * A page's report and id-map update once the samples in `gone` were found deleted between
 * planning and writing: nothing the plan decided for them landed.
 *
 * Their label changes become skipped labels (`SAMPLE_NOT_FOUND`, same field, frame and
 * label), and each field's counts move with them, so counts still match lists; they leave
 * `changedSampleIds`. Refusals and unexpected entries stay: they were never written anyway
 * and still say what the download held. Their id-map entries are left out of the update, so
 * the task keeps what it recorded for them, as when a sample is deleted before planning.
 *
 * Pure: a rerun that finds the same samples gone derives the same report from the same plan.
 */
export function withoutDeletedSamples(
  page: { readonly report: MergeReport; readonly idMap: IdMap },
  gone: ReadonlySet<string>,
): { report: MergeReport; idMap: IdMap } {
  if (gone.size === 0) return { report: page.report, idMap: page.idMap };
  const { report } = page;
  const fields: Record<string, FieldReport> = {};
  for (const [name, entry] of Object.entries(report.fields)) {
    fields[name] = { ...entry, refused: { ...entry.refused } };
  }
  const changes: MergeReport['changes'] = [];
  const skipped: SkippedLabel[] = [];
  for (const change of report.changes) {
    if (!gone.has(change.sampleId)) {
      changes.push(change);
      continue;
    }
    const { action, ...where } = change;
    skipped.push({ ...where, reason: 'SAMPLE_NOT_FOUND' });
    const entry = fields[change.field];
    // A change is always counted under its field; the guard only satisfies the index type.
    if (entry === undefined) continue;
    entry[action] -= 1;
    entry.skipped += 1;
  }
  return {
    report: {
      ...report,
      fields,
      changes,
      skipped: [...report.skipped, ...skipped],
      changedSampleIds: report.changedSampleIds.filter((id) => !gone.has(id)),
    },
    idMap: withoutSamples(page.idMap, gone),
  };
}

function withoutSamples(idMap: IdMap, gone: ReadonlySet<string>): IdMap {
  const out: IdMap = {};
  for (const [field, entries] of Object.entries(idMap)) {
    out[field] = Object.fromEntries(Object.entries(entries).filter(([id]) => !gone.has(id)));
  }
  return out;
}
