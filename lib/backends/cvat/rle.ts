import { BackendError } from '../../errors/index.js';

/**
 * A binary mask placed on a frame: `bits[row * width + column]` is 1 where the pixel
 * (`left + column`, `top + row`) is set. Everything mask-shaped passes through this form.
 */
export interface Bitmap {
  left: number;
  top: number;
  width: number;
  height: number;
  bits: Uint8Array;
}

/** A clear bitmap over columns `left..right - 1` and rows `top..bottom - 1`. */
export function clearBitmap(left: number, top: number, right: number, bottom: number): Bitmap {
  const width = right - left;
  const height = bottom - top;
  return { left, top, width, height, bits: new Uint8Array(width * height) };
}

/**
 * A bitmap as CVAT mask `points` (reference §1.4): run lengths row-major over the box,
 * alternating clear and set runs and starting with a clear one (so a set first pixel gives a
 * leading 0), then `left, top, right, bottom` with right and bottom inclusive.
 */
export function encodeCvatMask(mask: Bitmap): number[] {
  const runs: number[] = [];
  let current = 0;
  let length = 0;
  for (const bit of mask.bits) {
    const value = bit ? 1 : 0;
    if (value !== current) {
      runs.push(length);
      current = value;
      length = 0;
    }
    length += 1;
  }
  runs.push(length);
  const { left, top, width, height } = mask;
  return [...runs, left, top, left + width - 1, top + height - 1];
}

/**
 * CVAT mask `points` → a bitmap. Runs may stop short of the box's end (the rest is clear);
 * runs past it, a box with right < left, or non-integers are not a CVAT mask.
 *
 * @throws BackendError `BACKEND_RESPONSE_INVALID` naming what is wrong.
 */
export function decodeCvatMask(points: readonly number[]): Bitmap {
  const invalid = (why: string) =>
    new BackendError('BACKEND_RESPONSE_INVALID', `CVAT mask is malformed: ${why}`, {
      points: points.length > 12 ? [...points.slice(0, 8), '…', ...points.slice(-4)] : points,
    });
  if (points.length < 5) throw invalid(`${points.length} numbers, need runs and a box`);
  if (!points.every((value) => Number.isInteger(value) && value >= 0)) {
    throw invalid('runs and box must be non-negative integers');
  }
  const [left = 0, top = 0, right = 0, bottom = 0] = points.slice(-4);
  if (right < left || bottom < top) {
    throw invalid(`box [${left}, ${top}, ${right}, ${bottom}] is empty`);
  }
  const width = right - left + 1;
  const height = bottom - top + 1;
  const bits = new Uint8Array(width * height);
  let at = 0;
  for (let run = 0; run < points.length - 4; run += 1) {
    const length = points[run] ?? 0;
    if (at + length > bits.length) {
      throw invalid(`runs cover more than the box's ${width}×${height} pixels`);
    }
    if (run % 2 === 1) bits.fill(1, at, at + length);
    at += length;
  }
  return { left, top, width, height, bits };
}
