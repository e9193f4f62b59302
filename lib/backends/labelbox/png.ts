import { inflateSync } from 'node:zlib';
import { BackendError } from '../../errors/index.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Channels per color type: gray, -, RGB, palette, gray+alpha, -, RGBA.
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * A mask PNG as rows of 0/1: a pixel is on when any of its color channels is non-zero
 * (Labelbox paints an object's pixels, the rest is black). Only what mask PNGs use is read:
 * 8-bit depth, no interlacing; anything else is refused rather than misread.
 *
 * @throws BackendError `BACKEND_RESPONSE_INVALID` naming what is wrong with the file.
 */
export function decodeMaskPng(bytes: Uint8Array, what: string): number[][] {
  const png = Buffer.from(bytes);
  const fail = (why: string) =>
    new BackendError('BACKEND_RESPONSE_INVALID', `The mask ${what} ${why}`, { mask: what });
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) throw fail('is not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      channels = CHANNELS[body[9] ?? -1] ?? 0;
      if (depth !== 8 || channels === 0 || body[12] !== 0) {
        throw fail('uses a PNG layout masks do not use (8-bit, non-interlaced expected)');
      }
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (width === 0 || height === 0) throw fail('has no image header');
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw fail('is truncated');
  const rows: number[][] = [];
  let previous: Buffer = Buffer.alloc(stride);
  for (let y = 0; y < height; y += 1) {
    const start = y * (stride + 1);
    const line = unfilter(
      raw[start] ?? 0,
      raw.subarray(start + 1, start + 1 + stride),
      previous,
      channels,
    );
    const row: number[] = [];
    for (let x = 0; x < width; x += 1) {
      let on = 0;
      for (let c = 0; c < channels; c += 1) if ((line[x * channels + c] ?? 0) !== 0) on = 1;
      row.push(on);
    }
    rows.push(row);
    previous = line;
  }
  return rows;
}

function unfilter(filter: number, line: Uint8Array, previous: Uint8Array, bpp: number): Buffer {
  const out = Buffer.alloc(line.length);
  for (let i = 0; i < line.length; i += 1) {
    const a = i >= bpp ? (out[i - bpp] ?? 0) : 0;
    const b = previous[i] ?? 0;
    const c = i >= bpp ? (previous[i - bpp] ?? 0) : 0;
    const x = line[i] ?? 0;
    let predicted = 0;
    if (filter === 1) predicted = a;
    else if (filter === 2) predicted = b;
    else if (filter === 3) predicted = (a + b) >> 1;
    else if (filter === 4) predicted = paeth(a, b, c);
    out[i] = (x + predicted) & 0xff;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
