import { describe, expect, it } from 'vitest';
import { rasterizePolygon } from '../../../../lib/backends/cvat/rasterize.js';
import type { Bitmap } from '../../../../lib/backends/cvat/rle.js';

const rowsOf = (mask: Bitmap | undefined) =>
  mask
    ? Array.from({ length: mask.height }, (_, y) =>
        Array.from(mask.bits.subarray(y * mask.width, (y + 1) * mask.width)),
      )
    : undefined;
const isSet = (mask: Bitmap | undefined, x: number, y: number) =>
  mask !== undefined &&
  x >= mask.left &&
  y >= mask.top &&
  x < mask.left + mask.width &&
  y < mask.top + mask.height &&
  mask.bits[(y - mask.top) * mask.width + (x - mask.left)] === 1;

describe('polygon rasterization (pixel centres, even-odd)', () => {
  it('covers a traced rectangle exactly as a CVAT rectangle: right and bottom exclusive', () => {
    const mask = rasterizePolygon([2, 1, 6, 1, 6, 4, 2, 4], 10, 10);
    expect(mask).toMatchObject({ left: 2, top: 1, width: 4, height: 3 });
    expect(mask?.bits.every((bit) => bit === 1)).toBe(true);
  });

  it('sets a pixel only when its centre is inside', () => {
    expect(rowsOf(rasterizePolygon([0, 0, 4, 0, 0, 4], 10, 10))).toEqual([
      [1, 1, 1],
      [1, 1, 0],
      [1, 0, 0],
    ]);
  });

  it('leaves the centre of a pentagram empty (even-odd, not nonzero)', () => {
    const star = [50, 10, 73.51, 82.36, 11.96, 37.64, 88.04, 37.64, 26.49, 82.36];
    const mask = rasterizePolygon(star, 100, 100);
    expect(isSet(mask, 50, 50)).toBe(false);
    expect(isSet(mask, 50, 20)).toBe(true);
    expect(isSet(mask, 20, 40)).toBe(true);
  });

  it('cuts what lies off the frame', () => {
    const mask = rasterizePolygon([-5, -5, 3, -5, 3, 3, -5, 3], 10, 10);
    expect(mask).toMatchObject({ left: 0, top: 0, width: 3, height: 3 });
  });

  it.each([
    ['two points', [0, 0, 5, 5]],
    ['a flat polygon', [0, 0, 5, 5, 10, 10]],
    ['a polygon off the frame', [20, 20, 30, 20, 30, 30]],
  ])('covers nothing for %s', (_name, flat) => {
    expect(rasterizePolygon(flat, 10, 10)).toBeUndefined();
  });
});
