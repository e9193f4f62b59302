import { type Bitmap, clearBitmap } from './rle.js';

/**
 * A polygon in pixel coordinates (flat `[x0, y0, x1, y1, …]`, as CVAT sends it) → the
 * pixels it covers on a `width` × `height` frame: a pixel is set when its centre
 * (`x + 0.5`, `y + 0.5`) is inside by the even-odd rule. So a polygon tracing a rectangle
 * `[l, t, r, b]` covers exactly the pixels `l..r-1` × `t..b-1`, as a CVAT rectangle does.
 * Undefined when no pixel is covered (fewer than 3 points, degenerate, off the frame).
 */
export function rasterizePolygon(
  flat: readonly number[],
  width: number,
  height: number,
): Bitmap | undefined {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let at = 0; at + 1 < flat.length; at += 2) {
    xs.push(flat[at] ?? 0);
    ys.push(flat[at + 1] ?? 0);
  }
  if (xs.length < 3) return undefined;
  const clampRow = (value: number) => Math.min(height, Math.max(0, value));
  const clampColumn = (value: number) => Math.min(width, Math.max(0, value));
  // Rows whose centre can be inside: centre y + 0.5 within [min, max).
  const firstRow = clampRow(Math.ceil(Math.min(...ys) - 0.5));
  const endRow = clampRow(Math.ceil(Math.max(...ys) - 0.5));
  const spans: Array<{ row: number; from: number; to: number }> = [];
  for (let row = firstRow; row < endRow; row += 1) {
    const centre = row + 0.5;
    const crossings: number[] = [];
    for (let i = 0, j = xs.length - 1; i < xs.length; j = i, i += 1) {
      const [xi = 0, yi = 0, xj = 0, yj = 0] = [xs[i], ys[i], xs[j], ys[j]];
      // Half-open in y, so a vertex on the scanline is counted once.
      if (yi <= centre !== yj <= centre) {
        crossings.push(xi + ((centre - yi) * (xj - xi)) / (yj - yi));
      }
    }
    crossings.sort((a, b) => a - b);
    // Even-odd: inside between the 1st and 2nd crossing, the 3rd and 4th, …
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      // Columns whose centre x + 0.5 lies in [enter, exit).
      const from = clampColumn(Math.ceil((crossings[k] ?? 0) - 0.5));
      const to = clampColumn(Math.ceil((crossings[k + 1] ?? 0) - 0.5));
      if (to > from) spans.push({ row, from, to });
    }
  }
  if (spans.length === 0) return undefined;
  const left = Math.min(...spans.map((span) => span.from));
  const right = Math.max(...spans.map((span) => span.to));
  const top = spans[0]?.row ?? 0;
  const bottom = (spans.at(-1)?.row ?? 0) + 1;
  const out = clearBitmap(left, top, right, bottom);
  for (const { row, from, to } of spans) {
    const start = (row - top) * out.width - left;
    for (let column = from; column < to; column += 1) out.bits[start + column] = 1;
  }
  return out;
}
