import { describe, expect, it } from 'vitest';
import {
  boxFromCvat,
  boxToCvat,
  pointsFromCvat,
  pointsToCvat,
  pythonRound,
} from '../../../../lib/backends/cvat/index.js';

describe('CVAT coordinates: pythonRound', () => {
  // Expected values are Python 3's round() on the same doubles.
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [3.5, 4],
    [-0.5, 0],
    [-1.5, -2],
    [-2.5, -2],
    [2.4999999999999996, 2],
    [2.5000000000000004, 3],
    // Products as uploads compute them; Python gives the same doubles and the same results.
    [0.1 * 35, 4],
    [0.3 * 5, 2],
    [0.7 * 5, 4],
    [0.45 * 10, 4],
    [0.55 * 10, 6],
    [0.125 * 20, 2],
    [7, 7],
  ])('round(%s) is %s, half to even like Python', (value, expected) => {
    expect(pythonRound(value)).toBe(expected);
  });
});

describe('CVAT coordinates: boxes', () => {
  it('converts [x, y, w, h] to corner pixels with Python rounding', () => {
    // 0.25*10 = 2.5 → 2, (0.25+0.5)*10 = 7.5 → 8, 0.125*20 = 2.5 → 2, (0.125+0.25)*20 = 7.5 → 8
    expect(boxToCvat([0.25, 0.125, 0.5, 0.25], 10, 20)).toEqual([2, 2, 8, 8]);
  });

  it('converts corner pixels back by dividing, so pixel-aligned boxes round-trip exactly', () => {
    const box = [0.1, 0.25, 0.5, 0.5];
    expect(boxFromCvat(boxToCvat(box, 640, 480), 640, 480)).toEqual(box);
    expect(boxFromCvat([64, 120, 384, 360], 640, 480)).toEqual([0.1, 0.25, 0.5, 0.5]);
  });

  it('quantizes boxes that are not pixel-aligned to whole pixels (as FiftyOne does)', () => {
    expect(boxFromCvat(boxToCvat([0.1234, 0.1, 0.2, 0.2], 64, 48), 64, 48)).toEqual([
      8 / 64,
      5 / 48,
      (21 - 8) / 64,
      (14 - 5) / 48,
    ]);
  });
});

describe('CVAT coordinates: points', () => {
  it('flattens [[x, y], …] to pixels and back', () => {
    const flat = pointsToCvat(
      [
        [0.5, 0.25],
        [0.75, 1],
      ],
      64,
      48,
    );
    expect(flat).toEqual([32, 12, 48, 48]);
    expect(pointsFromCvat(flat, 64, 48)).toEqual([
      [0.5, 0.25],
      [0.75, 1],
    ]);
  });
});
