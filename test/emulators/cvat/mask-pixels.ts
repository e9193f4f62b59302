/**
 * CVAT mask shapes as sets of pixels, written apart from the backend's RLE code so the
 * emulator checks it rather than agreeing with it. `points = [runs…, left, top, right,
 * bottom]`, right/bottom inclusive, runs row-major over the box starting with a clear run.
 */

/** Why `points` is not a CVAT mask on a `width` × `height` frame, or undefined. */
export function maskProblem(points: readonly number[], width: number, height: number) {
  if (points.length < 5) return `a mask needs runs and a box, got ${points.length} numbers`;
  if (points.some((value) => !Number.isInteger(value) || value < 0)) {
    return 'mask runs and box must be non-negative integers';
  }
  const [left = 0, top = 0, right = 0, bottom = 0] = points.slice(-4);
  if (right < left || bottom < top || right >= width || bottom >= height) {
    return `mask box [${left}, ${top}, ${right}, ${bottom}] is not inside the ${width}×${height} frame`;
  }
  const total = points.slice(0, -4).reduce((sum, run) => sum + run, 0);
  const area = (right - left + 1) * (bottom - top + 1);
  return total > area ? `mask runs cover ${total} pixels of a ${area}-pixel box` : undefined;
}

/** The set pixels of a mask, as `"x,y"` keys. */
export function maskPixels(points: readonly number[]): Set<string> {
  const [left = 0, top = 0, right = 0] = points.slice(-4);
  const width = right - left + 1;
  const out = new Set<string>();
  let at = 0;
  points.slice(0, -4).forEach((run, index) => {
    for (let k = 0; k < run; k += 1) {
      if (index % 2 === 1)
        out.add(`${left + ((at + k) % width)},${top + Math.floor((at + k) / width)}`);
    }
    at += run;
  });
  return out;
}

/** A mask over the tight box of `pixels` (CVAT's editor saves masks so). */
export function maskOfPixels(pixels: ReadonlySet<string>): number[] {
  const xy = [...pixels].map((key) => key.split(',').map(Number) as [number, number]);
  if (xy.length === 0) throw new Error('an empty mask is not a shape: delete it');
  const left = Math.min(...xy.map(([x]) => x));
  const right = Math.max(...xy.map(([x]) => x));
  const top = Math.min(...xy.map(([, y]) => y));
  const bottom = Math.max(...xy.map(([, y]) => y));
  const runs: number[] = [];
  let set = false;
  let length = 0;
  for (let y = top; y <= bottom; y += 1) {
    for (let x = left; x <= right; x += 1) {
      if (pixels.has(`${x},${y}`) !== set) {
        runs.push(length);
        set = !set;
        length = 0;
      }
      length += 1;
    }
  }
  runs.push(length);
  return [...runs, left, top, right, bottom];
}
