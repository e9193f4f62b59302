import { describe, expect, it } from 'vitest';
import type { MergeReport } from '../../../lib/merge/index.js';
import { withoutDeletedSamples } from '../../../lib/workflows/deleted-samples.js';

/** A page of two samples: `gone` (a box added, a frame label edited, a scalar set) and `kept`. */
function pageReport(): MergeReport {
  return {
    fields: {
      gt: {
        added: 1,
        edited: 0,
        kept: 2,
        deleted: 1,
        refused: { SPATIAL_EDIT_NOT_ALLOWED: 1 },
        skipped: 1,
        unexpected: 1,
      },
      'frames.gt': {
        added: 0,
        edited: 1,
        kept: 0,
        deleted: 0,
        refused: {},
        skipped: 0,
        unexpected: 0,
      },
      weather: { added: 0, edited: 1, kept: 0, deleted: 0, refused: {}, skipped: 0, unexpected: 0 },
    },
    changes: [
      { field: 'gt', sampleId: 'gone', labelId: 'l1', action: 'added' },
      { field: 'gt', sampleId: 'kept', labelId: 'l2', action: 'deleted' },
      { field: 'frames.gt', sampleId: 'gone', frameId: 'f1', labelId: 'l3', action: 'edited' },
      { field: 'weather', sampleId: 'gone', action: 'edited' },
    ],
    refused: [{ field: 'gt', sampleId: 'gone', labelId: 'l4', reason: 'SPATIAL_EDIT_NOT_ALLOWED' }],
    skipped: [{ field: 'gt', sampleId: 'kept', labelId: 'l5', reason: 'FRAME_NOT_FOUND' }],
    unexpected: [
      {
        field: 'gt',
        sampleId: 'gone',
        labelId: 'l6',
        returnType: 'keypoints',
        disposition: 'returned',
      },
    ],
    changedSampleIds: ['gone', 'kept'],
  };
}

const ID_MAP = { gt: { gone: ['l1', 'l4'], kept: ['l5'] }, 'frames.gt': { gone: { f1: ['l3'] } } };

describe('withoutDeletedSamples', () => {
  it('moves the deleted samples’ changes to skipped SAMPLE_NOT_FOUND, where they were', () => {
    const { report } = withoutDeletedSamples(
      { report: pageReport(), idMap: ID_MAP },
      new Set(['gone']),
    );

    expect(report.changes).toEqual([
      { field: 'gt', sampleId: 'kept', labelId: 'l2', action: 'deleted' },
    ]);
    expect(report.skipped).toEqual([
      { field: 'gt', sampleId: 'kept', labelId: 'l5', reason: 'FRAME_NOT_FOUND' },
      { field: 'gt', sampleId: 'gone', labelId: 'l1', reason: 'SAMPLE_NOT_FOUND' },
      {
        field: 'frames.gt',
        sampleId: 'gone',
        frameId: 'f1',
        labelId: 'l3',
        reason: 'SAMPLE_NOT_FOUND',
      },
      { field: 'weather', sampleId: 'gone', reason: 'SAMPLE_NOT_FOUND' },
    ]);
    expect(report.changedSampleIds).toEqual(['kept']);
  });

  it('moves each field’s counts with its changes and leaves kept, refused and unexpected', () => {
    const { report } = withoutDeletedSamples(
      { report: pageReport(), idMap: ID_MAP },
      new Set(['gone']),
    );

    expect(report.fields).toEqual({
      gt: {
        added: 0,
        edited: 0,
        kept: 2,
        deleted: 1,
        refused: { SPATIAL_EDIT_NOT_ALLOWED: 1 },
        skipped: 2,
        unexpected: 1,
      },
      'frames.gt': {
        added: 0,
        edited: 0,
        kept: 0,
        deleted: 0,
        refused: {},
        skipped: 1,
        unexpected: 0,
      },
      weather: { added: 0, edited: 0, kept: 0, deleted: 0, refused: {}, skipped: 1, unexpected: 0 },
    });
    expect(report.refused).toEqual(pageReport().refused);
    expect(report.unexpected).toEqual(pageReport().unexpected);
  });

  it('leaves the deleted samples out of the id-map update, field by field', () => {
    const { idMap } = withoutDeletedSamples(
      { report: pageReport(), idMap: ID_MAP },
      new Set(['gone']),
    );

    expect(idMap).toEqual({ gt: { kept: ['l5'] }, 'frames.gt': {} });
  });

  it('returns the page unchanged, and never changes the plan it was given', () => {
    const page = { report: pageReport(), idMap: ID_MAP };

    expect(withoutDeletedSamples(page, new Set())).toEqual(page);
    withoutDeletedSamples(page, new Set(['gone', 'kept']));
    expect(page).toEqual({ report: pageReport(), idMap: ID_MAP });
  });
});
