/**
 * Relative ↔ absolute pixel conversions, exactly as FiftyOne's CVAT integration does them
 * (SEMANTICS §9.9): uploads round with Python's `round` (half to even), downloads divide.
 * The products are computed in the same order as Python, so the same floats round the same.
 */

/** Python 3's `round(x)`: to the nearest integer, ties to the even one (`round(2.5) == 2`). */
export function pythonRound(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `[x, y, w, h]` relative → `[xtl, ytl, xbr, ybr]` pixels (CVAT rectangle). */
export function boxToCvat(box: readonly number[], width: number, height: number): number[] {
  const [x = 0, y = 0, w = 0, h = 0] = box;
  return [
    pythonRound(x * width),
    pythonRound(y * height),
    pythonRound((x + w) * width),
    pythonRound((y + h) * height),
  ];
}

/** CVAT rectangle `[xtl, ytl, xbr, ybr]` pixels → `[x, y, w, h]` relative. */
export function boxFromCvat(points: readonly number[], width: number, height: number): number[] {
  const [xtl = 0, ytl = 0, xbr = 0, ybr = 0] = points;
  return [xtl / width, ytl / height, (xbr - xtl) / width, (ybr - ytl) / height];
}

/** `[[x, y], …]` relative → flat `[x0, y0, x1, y1, …]` pixels. */
export function pointsToCvat(
  points: ReadonlyArray<readonly number[]>,
  width: number,
  height: number,
): number[] {
  return points.flatMap(([x = 0, y = 0]) => [pythonRound(x * width), pythonRound(y * height)]);
}

/** Flat `[x0, y0, …]` pixels → `[[x, y], …]` relative. */
export function pointsFromCvat(flat: readonly number[], width: number, height: number): number[][] {
  const out: number[][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) {
    out.push([(flat[index] ?? 0) / width, (flat[index + 1] ?? 0) / height]);
  }
  return out;
}
