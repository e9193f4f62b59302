import { describe, expect, it } from 'vitest';
import { objectKeyOf, validateAnnoKey } from '../../../lib/runs/index.js';
import { runObjectPrefix } from '../../../lib/store/keys.js';
import { suffixedObjectKey } from '../../../lib/workflows/keys.js';

const CREATED = new Date('2026-01-02T03:04:05.000Z');

describe('Function: suffixedObjectKey', () => {
  it('adds the creation time in base 36, then the attempt from the second one on', () => {
    expect([0, 1, 2].map((attempt) => suffixedObjectKey('gt_review', CREATED, attempt))).toEqual([
      'gt_review__mjwaid1k',
      'gt_review__mjwaid1k_1',
      'gt_review__mjwaid1k_2',
    ]);
  });

  it('cuts a long key by code points so the result is still a run key of at most 128', () => {
    const long = `k${'\u{10480}'.repeat(100)}`;
    const key = suffixedObjectKey(long, CREATED, 3);

    expect(key.length).toBeLessThanOrEqual(128);
    expect(key.endsWith('__mjwaid1k_3')).toBe(true);
    expect(() => validateAnnoKey(key)).not.toThrow();
    expect(runObjectPrefix('d', key)).toBe(`runs/d/${key}/`);
    expect(runObjectPrefix('d', suffixedObjectKey('a'.repeat(128), CREATED, 0))).toMatch(
      /^runs\/d\/a+__mjwaid1k\/$/,
    );
  });
});

describe('Function: objectKeyOf', () => {
  it('is the object key, else (a run from before object keys) the run key', () => {
    expect(objectKeyOf({ annoKey: 'new', objectKey: 'old' })).toBe('old');
    expect(objectKeyOf({ annoKey: 'new' })).toBe('new');
  });
});
