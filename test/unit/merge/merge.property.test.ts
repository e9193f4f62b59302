import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../lib/labels/index.js';
import {
  type Annotations,
  combineReports,
  duplicateDownloadIds,
  type IdMap,
  type MergeInput,
  mergeAnnotations,
} from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import { mergeTwice, oid } from '../../support/builders.js';

/**
 * A random run: samples with a Detections field `gt` and a single-label Classification field
 * `verdict`, the labels that were uploaded (classes cat/dog; `bird` never is), and a download
 * in which the annotator kept, edited or deleted each uploaded label and added new ones.
 */
const CLASSES = ['cat', 'dog', 'bird'] as const;
const BOXES = [
  [0.1, 0.1, 0.2, 0.2],
  [0.5, 0.5, 0.1, 0.3],
] as const;

const flags = fc.record({
  allowAdditions: fc.boolean(),
  allowDeletions: fc.boolean(),
  allowLabelEdits: fc.boolean(),
  allowSpatialEdits: fc.boolean(),
});

const storedLabel = fc.record({
  label: fc.constantFrom(...CLASSES),
  box: fc.constantFrom(...BOXES),
  occluded: fc.boolean(),
});
const fate = fc.record({
  keep: fc.boolean(),
  label: fc.option(fc.constantFrom(...CLASSES), { nil: undefined }),
  box: fc.option(fc.constantFrom(...BOXES), { nil: undefined }),
  occluded: fc.option(fc.boolean(), { nil: undefined }),
});
const sampleSpec = fc.record({
  labels: fc.array(fc.tuple(storedLabel, fate), { maxLength: 4 }),
  added: fc.array(storedLabel, { maxLength: 2 }),
  // Copies of labels uploaded on earlier samples (an index among them), pasted here.
  pasted: fc.array(fc.nat(), { maxLength: 2 }),
  inDownload: fc.boolean(),
  verdict: fc.option(fc.constantFrom('cat', 'dog'), { nil: undefined }),
  verdictFate: fc.constantFrom('keep', 'edit', 'replace', 'delete'),
  gtMissing: fc.boolean(),
});
const runSpec = fc.record({
  samples: fc.array(sampleSpec, { minLength: 1, maxLength: 6 }),
  gtFlags: flags,
  verdictFlags: flags,
  pageSize: fc.integer({ min: 1, max: 3 }),
});

type RunSpec = typeof runSpec extends fc.Arbitrary<infer T> ? T : never;

function buildRun(spec: RunSpec): MergeInput {
  let next = 0;
  const id = () => oid(++next);
  const samples: Sample[] = [];
  const idMap: IdMap = { gt: {}, verdict: {} };
  const gtDownload: Record<string, Record<string, unknown>> = {};
  const verdictDownload: Record<string, Record<string, unknown>> = {};
  const uploadedBefore: string[] = [];
  spec.samples.forEach((sampleSpec, index) => {
    const sampleId = `s${index}`;
    const stored: Record<string, unknown>[] = [];
    const uploaded: string[] = [];
    const download: Record<string, unknown> = {};
    for (const [label, fate] of sampleSpec.labels) {
      const labelId = id();
      stored.push({
        _cls: 'Detection',
        id: labelId,
        label: label.label,
        bounding_box: [...label.box],
        occluded: label.occluded,
      });
      if (label.label === 'bird') continue;
      uploaded.push(labelId);
      if (!fate.keep) continue;
      download[labelId] = {
        _cls: 'Detection',
        label: fate.label ?? label.label,
        bounding_box: [...(fate.box ?? label.box)],
        ...(fate.occluded === undefined ? {} : { occluded: fate.occluded }),
      };
    }
    for (const at of sampleSpec.pasted) {
      const copied = uploadedBefore[at % Math.max(uploadedBefore.length, 1)];
      if (copied !== undefined)
        download[copied] = { _cls: 'Detection', label: 'cat', bounding_box: [...BOXES[0]] };
    }
    uploadedBefore.push(...uploaded);
    for (const label of sampleSpec.added) {
      download[id()] = {
        _cls: 'Detection',
        label: label.label,
        bounding_box: [...label.box],
        occluded: label.occluded,
      };
    }
    const sample: Sample = { id: sampleId, filepath: `/d/${sampleId}.jpg` };
    if (!sampleSpec.gtMissing) sample.gt = { _cls: 'Detections', detections: stored };
    idMap.gt = { ...idMap.gt, [sampleId]: uploaded };
    if (sampleSpec.inDownload) gtDownload[sampleId] = download;

    if (sampleSpec.verdict !== undefined) {
      const verdictId = id();
      sample.verdict = { _cls: 'Classification', id: verdictId, label: sampleSpec.verdict };
      idMap.verdict = { ...idMap.verdict, [sampleId]: [verdictId] };
      const fateOf = sampleSpec.verdictFate;
      if (fateOf === 'keep')
        verdictDownload[sampleId] = {
          [verdictId]: { _cls: 'Classification', label: sampleSpec.verdict },
        };
      if (fateOf === 'edit')
        verdictDownload[sampleId] = { [verdictId]: { _cls: 'Classification', label: 'bird' } };
      if (fateOf === 'replace')
        verdictDownload[sampleId] = { [id()]: { _cls: 'Classification', label: 'bird' } };
    }
    samples.push(sample);
  });
  const gt: FieldSchema = {
    type: 'detections',
    classes: ['cat', 'dog'],
    attributes: { occluded: { type: 'checkbox', values: [true, false] } },
    existingField: true,
    ...spec.gtFlags,
  };
  const verdict: FieldSchema = {
    type: 'classification',
    classes: ['cat', 'dog', 'bird'],
    attributes: {},
    existingField: true,
    ...spec.verdictFlags,
  };
  return {
    dataset: { mediaType: 'image', sampleFields: { gt: 'Detections', verdict: 'Classification' } },
    samples,
    labelSchema: { gt, verdict },
    idMap,
    annotations: { gt: { detections: gtDownload }, verdict: { classifications: verdictDownload } },
  };
}

type LabelRecord = Record<string, unknown>;
const labelsOf = (sample: Sample | undefined): LabelRecord[] => {
  const gt = sample?.gt as { detections: LabelRecord[] } | null | undefined;
  return gt?.detections ?? [];
};

/** The slice of a run that one page of samples needs. */
function pageOf(input: MergeInput, samples: Sample[]): MergeInput {
  const ids = new Set(samples.map((sample) => sample.id));
  const slice = <T>(record: Record<string, T> | undefined): Record<string, T> =>
    Object.fromEntries(Object.entries(record ?? {}).filter(([sampleId]) => ids.has(sampleId)));
  const idMap: IdMap = Object.fromEntries(
    Object.entries(input.idMap).map(([name, entries]) => [name, slice(entries)]),
  );
  const annotations: Annotations = Object.fromEntries(
    Object.entries(input.annotations).map(([name, byType]) => [
      name,
      Object.fromEntries(Object.entries(byType).map(([type, bySample]) => [type, slice(bySample)])),
    ]),
  );
  return { ...input, samples, idMap, annotations };
}

describe('Property: mergeAnnotations', () => {
  it('is idempotent: merging the same download again changes nothing', () => {
    fc.assert(
      fc.property(runSpec, (spec) => {
        const { first, again } = mergeTwice(buildRun(spec));
        expect(again.samples).toEqual(first.samples);
        expect(again.report.changes).toEqual([]);
      }),
    );
  });

  it('never violates a restriction flag', () => {
    fc.assert(
      fc.property(runSpec, (spec) => {
        const input = buildRun(spec);
        const { samples } = mergeAnnotations(input);
        const flagsOf = spec.gtFlags;
        input.samples.forEach((before, index) => {
          const after = labelsOf(samples[index]);
          const beforeById = new Map(labelsOf(before).map((label) => [label.id, label]));
          const afterIds = new Set(after.map((label) => label.id));
          if (!flagsOf.allowDeletions)
            for (const id of beforeById.keys()) expect(afterIds).toContain(id);
          if (!flagsOf.allowAdditions)
            for (const id of afterIds) expect(beforeById.has(id)).toBe(true);
          for (const label of after) {
            const original = beforeById.get(label.id);
            if (!original) continue;
            if (!flagsOf.allowLabelEdits) expect(label.label).toBe(original.label);
            if (!flagsOf.allowSpatialEdits)
              expect(label.bounding_box).toEqual(original.bounding_box);
          }
        });
      }),
    );
  });

  it('never deletes or changes a label that was not uploaded', () => {
    fc.assert(
      fc.property(runSpec, (spec) => {
        const input = buildRun(spec);
        const { samples } = mergeAnnotations(input);
        input.samples.forEach((before, index) => {
          const recorded = new Set((input.idMap.gt?.[before.id] as string[] | undefined) ?? []);
          const after = labelsOf(samples[index]);
          for (const label of labelsOf(before)) {
            if (recorded.has(label.id as string)) continue;
            expect(after).toContainEqual(label);
          }
        });
      }),
    );
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(runSpec, (spec) => {
        const input = buildRun(spec);
        const snapshot = structuredClone(input);
        mergeAnnotations(input);
        expect(input).toEqual(snapshot);
      }),
    );
  });

  it('merges a run page by page exactly as it merges the whole run at once', () => {
    fc.assert(
      fc.property(runSpec, (spec) => {
        const input = buildRun(spec);
        const whole = mergeAnnotations(input);
        const merged: Sample[] = [];
        let report = undefined as ReturnType<typeof combineReports> | undefined;
        for (let start = 0; start < input.samples.length; start += spec.pageSize) {
          const page = mergeAnnotations({
            ...pageOf(input, input.samples.slice(start, start + spec.pageSize)),
            // Copies pasted across pages: each page learns them from the whole download.
            duplicateIds: duplicateDownloadIds(input.annotations),
          });
          merged.push(...page.samples);
          report = report ? combineReports(report, page.report) : page.report;
        }
        expect(merged).toEqual(whole.samples);
        expect(report?.fields).toEqual(whole.report.fields);
      }),
    );
  });
});
