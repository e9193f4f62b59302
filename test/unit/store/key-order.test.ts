import { describe, expect, it } from 'vitest';
import { compareKeyStrings, compareTaskIds, taskKey } from '../../../lib/store/keys.js';

describe('key order', () => {
  it('orders strings by UTF-8 bytes, as DynamoDB does, not by UTF-16 code units', () => {
    // U+FF01 is one UTF-16 unit above a surrogate pair's first, yet below it in UTF-8.
    expect('\u{1F600}' < '\uFF01').toBe(true);
    expect(compareKeyStrings('\u{1F600}', '\uFF01')).toBeGreaterThan(0);
  });

  it("orders task ids as their sort keys, escaping '#' and '%' included", () => {
    const ids = ['a%b', 'a#b', 'a$b', 'a&b', 'a\u{1F600}', 'a\uFF01'];
    const bySortKey = [...ids].sort((x, y) =>
      compareKeyStrings(taskKey('d', 'run', x).sk, taskKey('d', 'run', y).sk),
    );

    expect([...ids].sort(compareTaskIds)).toEqual(bySortKey);
    expect(bySortKey.slice(0, 2)).toEqual(['a$b', 'a#b']);
  });
});
