import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../lib/labels/index.js';
import {
  type Annotations,
  type MergeInput,
  mergeAnnotations,
  SCHEMALESS_KEY,
} from '../../../lib/merge/index.js';
import type { DatasetSchema } from '../../../lib/schema/types.js';
import {
  byId,
  classification,
  detection,
  detections,
  imageDataset,
  imageSample,
  mergeTwice,
  oid,
} from '../../support/builders.js';

const A = oid(1);
const B = oid(2);
const C = oid(3);
const F1 = oid(0xf1);

/** A download of a schemaless run: a box on s1, a tag on s2, all under the schemaless key. */
const download: Annotations = {
  [SCHEMALESS_KEY]: {
    detections: { s1: byId(detection(A, 'car')) },
    classifications: { s2: byId(classification(B, 'day')) },
  },
};

function schemaless(parts: Partial<MergeInput> = {}): MergeInput {
  return {
    dataset: imageDataset({}),
    samples: [imageSample('s1'), imageSample('s2')],
    labelSchema: {},
    idMap: {},
    annotations: download,
    schemaless: true,
    ...parts,
  };
}

describe('Function: mergeAnnotations — schemaless runs (SEMANTICS §6.4, FiftyOne label field None)', () => {
  it("keeps every label in a field named after its type ('keep')", () => {
    const result = mergeAnnotations(schemaless({ unexpected: 'keep' }));

    expect(result.samples[0]?.detections).toEqual(detections(detection(A, 'car')));
    expect(result.samples[1]?.classifications).toEqual({
      _cls: 'Classifications',
      classifications: [classification(B, 'day')],
    });
    expect(result.dataset.sampleFields).toEqual({
      detections: 'Detections',
      classifications: 'Classifications',
    });
  });

  it('records the kept labels in the id map of the field they were kept in', () => {
    const result = mergeAnnotations(schemaless({ unexpected: 'keep' }));

    expect(result.idMap).toEqual({
      detections: { s1: [A] },
      classifications: { s2: [B] },
    });
  });

  it('changes nothing when the same download is merged again', () => {
    const { again } = mergeTwice(schemaless({ unexpected: 'keep' }));

    expect(again.report.changedSampleIds).toEqual([]);
    expect(again.report.fields.detections).toMatchObject({ added: 0, edited: 0, kept: 1 });
  });

  it('deletes a kept label that a later download of its type no longer returns', () => {
    const { first } = mergeTwice(schemaless({ unexpected: 'keep' }));

    const result = mergeAnnotations(
      schemaless({
        unexpected: 'keep',
        samples: first.samples,
        idMap: first.idMap,
        dataset: first.dataset,
        annotations: { [SCHEMALESS_KEY]: { detections: { s2: byId(detection(C, 'car')) } } },
      }),
    );

    expect(result.samples[0]?.detections).toEqual(detections());
    expect(result.samples[1]?.detections).toEqual(detections(detection(C, 'car')));
    expect(result.report.fields.detections).toMatchObject({ added: 1, deleted: 1 });
  });

  it("returns every label under the schemaless key by default ('return')", () => {
    const result = mergeAnnotations(schemaless());

    expect(result.unexpected).toEqual(download);
    expect(result.samples[0]).toEqual(imageSample('s1'));
    expect(result.report.unexpected).toEqual([
      {
        field: SCHEMALESS_KEY,
        sampleId: 's1',
        labelId: A,
        returnType: 'detections',
        disposition: 'returned',
      },
      {
        field: SCHEMALESS_KEY,
        sampleId: 's2',
        labelId: B,
        returnType: 'classifications',
        disposition: 'returned',
      },
    ]);
  });

  it("drops every label with 'ignore', listing each in the report", () => {
    const result = mergeAnnotations(schemaless({ unexpected: 'ignore' }));

    expect(result.samples.map((sample) => Object.keys(sample))).toEqual([
      Object.keys(imageSample('s1')),
      Object.keys(imageSample('s2')),
    ]);
    expect(result.unexpected).toBeNull();
    expect(result.report.unexpected.map((entry) => entry.disposition)).toEqual([
      'ignored',
      'ignored',
    ]);
  });

  it('refuses to keep labels in a field of another kind, with a warning naming it', () => {
    const result = mergeAnnotations(
      schemaless({ unexpected: 'keep', dataset: imageDataset({ detections: 'Classifications' }) }),
    );

    expect(result.samples[0]?.detections).toBeUndefined();
    expect(result.report.unexpected[0]).toMatchObject({ disposition: 'refused', labelId: A });
    expect(result.warnings).toEqual([
      "Not keeping 1 unexpected detections of field '': 'detections' holds Classifications, not Detections",
    ]);
  });

  it('keeps labels on frames in frame fields on a video dataset', () => {
    const dataset: DatasetSchema = { mediaType: 'video', sampleFields: {}, frameFields: {} };
    const video: Sample = {
      id: 'v1',
      filepath: '/v1.mp4',
      media_type: 'video',
      frames: { '1': { id: F1 } },
    };

    const result = mergeAnnotations(
      schemaless({
        dataset,
        samples: [video],
        unexpected: 'keep',
        annotations: {
          [SCHEMALESS_KEY]: { detections: { v1: { '1': byId(detection(C, 'car')) } } },
        },
      }),
    );

    expect(result.samples[0]?.frames?.['1']?.detections).toEqual(detections(detection(C, 'car')));
    expect(result.dataset.frameFields).toEqual({ detections: 'Detections' });
  });

  it('ignores a string destField with a warning: the labels go to fields named after their types', () => {
    const result = mergeAnnotations(schemaless({ unexpected: 'keep', destField: 'reviewed' }));

    expect(result.samples[0]?.detections).toEqual(detections(detection(A, 'car')));
    expect(result.samples[0]?.reviewed).toBeUndefined();
    expect(result.warnings).toEqual([
      "Ignoring string `destField='reviewed'` since the run is schemaless: its labels are kept in fields named after their types",
    ]);
  });

  it('reads nothing under the schemaless key of a run that has a label schema', () => {
    const result = mergeAnnotations(schemaless({ schemaless: false, unexpected: 'keep' }));

    expect(result.samples[0]).toEqual(imageSample('s1'));
    expect(result.report.unexpected).toEqual([]);
  });
});
