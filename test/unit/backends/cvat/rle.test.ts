import { describe, expect, it } from 'vitest';
import { type Bitmap, decodeCvatMask, encodeCvatMask } from '../../../../lib/backends/cvat/rle.js';

const bitmap = (left: number, top: number, rows: number[][]): Bitmap => ({
  left,
  top,
  width: rows[0]?.length ?? 0,
  height: rows.length,
  bits: Uint8Array.from(rows.flat()),
});

describe('CVAT mask RLE (reference §1.4)', () => {
  it.each([
    [
      'all clear: one clear run',
      bitmap(3, 4, [
        [0, 0],
        [0, 0],
      ]),
      [4, 3, 4, 4, 5],
    ],
    [
      'all set: a leading empty clear run',
      bitmap(3, 4, [
        [1, 1],
        [1, 1],
      ]),
      [0, 4, 3, 4, 4, 5],
    ],
    [
      'first pixel set: leading 0',
      bitmap(0, 0, [
        [1, 0],
        [0, 1],
      ]),
      [0, 1, 2, 1, 0, 0, 1, 1],
    ],
    ['1×1 set: right = left, bottom = top', bitmap(7, 2, [[1]]), [0, 1, 7, 2, 7, 2]],
    ['1×1 clear', bitmap(7, 2, [[0]]), [1, 7, 2, 7, 2]],
    [
      'runs cross rows (row-major), box inclusive',
      bitmap(5, 1, [
        [0, 1, 1],
        [1, 0, 0],
      ]),
      [1, 3, 2, 5, 1, 7, 2],
    ],
  ])('%s', (_name, mask, points) => {
    expect(encodeCvatMask(mask)).toEqual(points);
    expect(decodeCvatMask(points)).toEqual(mask);
  });

  it('reads runs that stop short of the box as clear to its end', () => {
    expect(decodeCvatMask([0, 1, 0, 0, 1, 1])).toEqual(
      bitmap(0, 0, [
        [1, 0],
        [0, 0],
      ]),
    );
  });

  it.each([
    ['runs past the box', [0, 5, 0, 0, 1, 1], 'more than the box'],
    ['a box with right < left', [1, 3, 0, 2, 0], 'is empty'],
    ['a fractional run', [0.5, 0, 0, 0, 0], 'non-negative integers'],
    ['no runs', [0, 0, 1, 1], 'need runs and a box'],
  ])('refuses %s as an invalid CVAT response', (_name, points, message) => {
    expect(() => decodeCvatMask(points)).toThrow(
      expect.objectContaining({
        code: 'BACKEND_RESPONSE_INVALID',
        message: expect.stringContaining(message),
      }),
    );
  });
});
