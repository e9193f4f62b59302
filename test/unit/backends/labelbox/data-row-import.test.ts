import { describe, expect, it } from 'vitest';
import { chunkByBytes, refusals } from '../../../../lib/backends/labelbox/data-row-import.js';

const item = (n: number) => ({ key: `s${n}`, pad: 'x'.repeat(20) });

describe('Function: chunkByBytes', () => {
  it('keeps a list that fits in one JSON array', () => {
    const items = [item(1), item(2)];

    expect(chunkByBytes(items, 1000)).toEqual([JSON.stringify(items)]);
  });

  it('halves a list that does not fit until every chunk does, keeping the order', () => {
    const items = [1, 2, 3, 4, 5].map(item);
    const one = Buffer.byteLength(JSON.stringify([item(1)]));

    const chunks = chunkByBytes(items, 2 * one + 1);

    expect(chunks.every((chunk) => Buffer.byteLength(chunk) <= 2 * one + 1)).toBe(true);
    expect(chunks.flatMap((chunk) => JSON.parse(chunk) as unknown[])).toEqual(items);
    expect(chunks).toHaveLength(3);
  });

  it('sends an item larger than the limit alone, as the SDK does', () => {
    expect(chunkByBytes([item(1), item(2)], 10)).toEqual([
      JSON.stringify([item(1)]),
      JSON.stringify([item(2)]),
    ]);
  });

  it('makes no chunk of no items', () => {
    expect(chunkByBytes([], 10)).toEqual([]);
  });
});

describe('Function: refusals', () => {
  it('names a few refused global keys with their reasons, then counts the rest', () => {
    const failed = ['a', 'b', 'c'].map((globalKey) => ({ globalKey, message: 'taken' }));

    expect(refusals(failed, 2)).toBe(': a (taken), b (taken), and 1 more');
  });
});
