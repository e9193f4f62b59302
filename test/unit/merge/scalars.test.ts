import { describe, expect, it } from 'vitest';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import { field, imageSample } from '../../support/builders.js';

function mergeScalar(
  stored: Record<string, unknown>,
  downloaded: Record<string, unknown>,
  idMap: Record<string, boolean>,
  overrides: Partial<FieldSchema> = {},
) {
  return mergeAnnotations({
    dataset: { mediaType: 'image', sampleFields: { quality: 'StringField' } },
    samples: Object.entries(stored).map(([id, quality]) =>
      imageSample(id, quality === undefined ? {} : { quality }),
    ),
    labelSchema: { quality: field({ type: 'scalar', ...overrides }) },
    idMap: { quality: idMap },
    annotations: { quality: { scalar: downloaded } },
  });
}

const qualityOf = (result: ReturnType<typeof mergeAnnotations>, index = 0) =>
  result.samples[index]?.quality;

describe('Function: mergeAnnotations — scalar fields (SEMANTICS §6.6)', () => {
  it('adds a value where there was none', () => {
    expect(qualityOf(mergeScalar({ s1: null }, { s1: 'good' }, { s1: false }))).toBe('good');
  });

  it('refuses an addition when additions are not allowed', () => {
    const result = mergeScalar(
      { s1: null },
      { s1: 'good' },
      { s1: false },
      { allowAdditions: false },
    );
    expect(qualityOf(result)).toBeNull();
    expect(result.report.refused[0]?.reason).toBe('ADDITION_NOT_ALLOWED');
  });

  it('deletes a value the annotator cleared', () => {
    expect(qualityOf(mergeScalar({ s1: 'good' }, {}, { s1: true }))).toBeNull();
  });

  it('refuses a deletion when deletions are not allowed, with a warning', () => {
    const result = mergeScalar({ s1: 'good' }, {}, { s1: true }, { allowDeletions: false });
    expect(qualityOf(result)).toBe('good');
    expect(result.warnings[0]).toContain('allowDeletions=false');
  });

  it('always applies an edit: scalar edits cannot be restricted', () => {
    const result = mergeScalar(
      { s1: 'good' },
      { s1: 'bad' },
      { s1: true },
      { allowAdditions: false, allowDeletions: false },
    );
    expect(qualityOf(result)).toBe('bad');
    expect(result.report.fields.quality?.edited).toBe(1);
  });

  it('deletes a value that was recorded as not uploaded (false) and not returned', () => {
    expect(qualityOf(mergeScalar({ s1: 'other' }, {}, { s1: false }))).toBeNull();
  });

  it('leaves samples with no id-map entry and no downloaded value untouched', () => {
    const result = mergeScalar({ s1: 'good', s2: 'keep' }, {}, { s1: true });
    expect(qualityOf(result, 1)).toBe('keep');
  });

  it('creates a new scalar field with a type inferred from the value', () => {
    const result = mergeAnnotations({
      dataset: { mediaType: 'image', sampleFields: {} },
      samples: [imageSample('s1')],
      labelSchema: { count: field({ type: 'scalar', existingField: false }) },
      idMap: {},
      annotations: { count: { scalar: { s1: 3 } } },
    });
    expect(result.samples[0]?.count).toBe(3);
    expect(result.dataset.sampleFields.count).toBe('IntField');
  });

  it('types a new scalar field by the first value it writes, not by a value it skips', () => {
    const result = mergeAnnotations({
      dataset: { mediaType: 'image', sampleFields: {} },
      samples: [imageSample('s1')],
      labelSchema: { count: field({ type: 'scalar', existingField: false }) },
      idMap: {},
      annotations: { count: { scalar: { gone: 'x', s1: 3 } } },
    });
    expect(result.samples[0]?.count).toBe(3);
    expect(result.dataset.sampleFields.count).toBe('IntField');
  });

  it('names the frame of a scalar on an unknown frame as the download named it', () => {
    const unknownFrame = 'f'.repeat(24);
    const result = mergeAnnotations({
      dataset: { mediaType: 'video', sampleFields: {}, frameFields: { quality: 'StringField' } },
      samples: [{ id: 'v1', filepath: '/v.mp4', media_type: 'video', frames: {} }],
      labelSchema: { 'frames.quality': field({ type: 'scalar' }) },
      idMap: {},
      annotations: { 'frames.quality': { scalar: { v1: { [unknownFrame]: 'good' } } } },
    });
    expect(result.report.skipped).toEqual([
      { field: 'frames.quality', sampleId: 'v1', frameId: unknownFrame, reason: 'FRAME_NOT_FOUND' },
    ]);
  });
});
