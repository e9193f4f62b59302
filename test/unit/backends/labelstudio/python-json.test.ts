import { describe, expect, it } from 'vitest';
import { pythonJsonDumps } from '../../../emulators/labelstudio/index.js';

describe('Function: pythonJsonDumps (the emulator writes webhook bodies as Label Studio does)', () => {
  it.each([
    [{ action: 'X', n: [1, 2.5, null, true] }, '{"action": "X", "n": [1, 2.5, null, true]}'],
    [{ description: 'café' }, '{"description": "caf\\u00e9"}'],
    [{ emoji: '😀' }, '{"emoji": "\\ud83d\\ude00"}'],
    [{ quote: 'a"b\\c\n' }, '{"quote": "a\\"b\\\\c\\n"}'],
    [{ empty: {}, list: [] }, '{"empty": {}, "list": []}'],
  ])('writes %j as json.dumps does', (value, expected) => {
    expect(pythonJsonDumps(value)).toBe(expected);
  });
});
