import { describe, expect, it } from 'vitest';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import { JsonParseCache } from '../../../lib/merge/options-cache.js';
import {
  detection,
  detections,
  field,
  imageSample,
  mergeInput,
  oid,
} from '../../support/builders.js';

function countingCache() {
  const calls: unknown[] = [];
  const cache = new JsonParseCache((value) => {
    calls.push(value);
    return { parsed: value };
  }, 2);
  return { cache, calls };
}

describe('JsonParseCache (the merge options of a run, parsed once)', () => {
  it('parses equal JSON content once, whatever object holds it', () => {
    const { cache, calls } = countingCache();
    const first = cache.get({ gt: { type: 'detections', classes: ['car'] } });
    const second = cache.get({ gt: { type: 'detections', classes: ['car'] } });
    expect(second).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it('parses again when the same object was changed in place', () => {
    const { cache, calls } = countingCache();
    const schema = { gt: { type: 'detections', classes: ['car'] } };
    cache.get(schema);
    schema.gt.classes.push('person');
    expect(cache.get(schema)).toEqual({
      parsed: { gt: { type: 'detections', classes: ['car', 'person'] } },
    });
    expect(calls).toHaveLength(2);
  });

  it.each([
    ['a Date', { at: new Date(0) }],
    ['NaN', { n: Number.NaN }],
    ['a class instance', { m: new Map() }],
    ['undefined in an array', { list: [undefined] }],
  ])('never caches a value JSON would alter (%s)', (_, value) => {
    const { cache, calls } = countingCache();
    cache.get(value);
    cache.get(value);
    expect(calls).toHaveLength(2);
  });

  it('does not cache a parse that throws', () => {
    let calls = 0;
    const cache = new JsonParseCache(() => {
      calls += 1;
      throw new Error('bad schema');
    });
    expect(() => cache.get({ a: 1 })).toThrow('bad schema');
    expect(() => cache.get({ a: 1 })).toThrow('bad schema');
    expect(calls).toBe(2);
  });

  it('hands out a frozen copy and leaves the caller’s objects unfrozen', () => {
    const input = { gt: { classes: ['car'] } };
    const cache = new JsonParseCache((value) => value);
    const parsed = cache.get(input) as typeof input;
    expect(parsed).not.toBe(input);
    expect(Object.isFrozen(parsed.gt.classes)).toBe(true);
    expect(Object.isFrozen(input.gt)).toBe(false);
  });

  it('keeps at most its capacity, dropping the oldest content', () => {
    const { cache, calls } = countingCache();
    cache.get({ a: 1 });
    cache.get({ b: 1 });
    cache.get({ c: 1 });
    cache.get({ b: 1 });
    cache.get({ a: 1 });
    expect(calls).toHaveLength(4);
  });
});

describe('Function: mergeAnnotations — its parsed options are cached by content', () => {
  const A = oid(1);
  const input = (gt: ReturnType<typeof field>) =>
    mergeInput({
      samples: [imageSample('s1', { gt: detections(detection(A, 'cat')) })],
      gt,
      idMap: { gt: { s1: [A] } },
      annotations: { gt: { detections: { s1: {} } } },
    });

  it('obeys a label schema changed in place between two merges', () => {
    const gt = field({ type: 'detections', allowDeletions: true });
    expect(mergeAnnotations(input(gt)).report.fields.gt?.deleted).toBe(1);
    gt.allowDeletions = false;
    const second = mergeAnnotations(input(gt)).report;
    expect(second.fields.gt?.deleted).toBe(0);
    expect(second.refused.map((r) => r.reason)).toEqual(['DELETION_NOT_ALLOWED']);
  });

  it('returns a dataset schema the caller may change without touching the next merge', () => {
    const gt = field({ type: 'detections' });
    const first = mergeAnnotations(input(gt)).dataset;
    first.sampleFields.extra = 'StringField';
    expect(mergeAnnotations(input(gt)).dataset.sampleFields).toEqual({ gt: 'Detections' });
  });
});
