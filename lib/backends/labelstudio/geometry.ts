/**
 * Label Studio stores geometry in percent (0–100) of the image, FiftyOne in relative
 * coordinates (0–1). `v * 100 / 100` is not always `v` in floating point, and the merge
 * compares coordinates exactly, so an untouched box would read as moved (and be refused when
 * spatial edits are off). {@link toPercent} therefore picks, among the doubles next to
 * `v * 100`, one that {@link fromPercent} maps back to exactly `v`.
 */
export function toPercent(relative: number): number {
  const percent = relative * 100;
  if (!Number.isFinite(percent) || percent / 100 === relative) return percent;
  for (let step = 1; step <= 4; step += 1) {
    for (const candidate of [nextDouble(percent, step), nextDouble(percent, -step)]) {
      if (candidate / 100 === relative) return candidate;
    }
  }
  return percent;
}

/**
 * `percent / 100`, snapped to the 15-significant-digit value that {@link toPercent} maps to
 * `percent` when there is one. So every coordinate written with up to 15 significant digits
 * comes back exactly; a 16–17-digit one can come back one unit in the last place off, since
 * many doubles share one percent value (see README, "What it cannot do").
 */
export function fromPercent(percent: number): number {
  const relative = percent / 100;
  const short = Number(relative.toPrecision(15));
  return short !== relative && toPercent(short) === percent ? short : relative;
}

const view = new DataView(new ArrayBuffer(8));

/** The double `steps` units in the last place away from `value` (finite, non-zero values). */
function nextDouble(value: number, steps: number): number {
  view.setFloat64(0, value);
  const bits = view.getBigInt64(0);
  // For negative doubles the bit pattern grows as the value falls.
  view.setBigInt64(0, bits + BigInt(value < 0 ? -steps : steps));
  return view.getFloat64(0);
}

/**
 * The axis-aligned box (relative `[x, y, w, h]`) around a Label Studio rectangle given in
 * percent and rotated by `rotation` degrees about its top-left corner, as the editor stores it.
 * The editor rotates in pixels, and a percent of the width is not one of the height: `image`
 * is the item's `original_width`/`original_height`; without it the image is taken as square.
 */
export function boundingBoxOfRectangle(
  value: { x: number; y: number; width: number; height: number; rotation?: number | undefined },
  image?: { width: number; height: number },
): [number, number, number, number] {
  const { x, y, width, height } = value;
  const rotation = value.rotation ?? 0;
  if (rotation % 360 === 0) {
    return [fromPercent(x), fromPercent(y), fromPercent(width), fromPercent(height)];
  }
  const pixelsWide = image?.width ?? 100;
  const pixelsHigh = image?.height ?? 100;
  const angle = (rotation * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const originX = (x / 100) * pixelsWide;
  const originY = (y / 100) * pixelsHigh;
  const corners = [
    [0, 0],
    [(width / 100) * pixelsWide, 0],
    [(width / 100) * pixelsWide, (height / 100) * pixelsHigh],
    [0, (height / 100) * pixelsHigh],
  ].map(([dx = 0, dy = 0]) => [originX + dx * cos - dy * sin, originY + dx * sin + dy * cos]);
  const xs = corners.map(([cx = 0]) => cx);
  const ys = corners.map(([, cy = 0]) => cy);
  const left = Math.min(...xs);
  const top = Math.min(...ys);
  return [
    left / pixelsWide,
    top / pixelsHigh,
    (Math.max(...xs) - left) / pixelsWide,
    (Math.max(...ys) - top) / pixelsHigh,
  ];
}
