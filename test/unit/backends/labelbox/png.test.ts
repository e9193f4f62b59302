import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeMaskPng } from '../../../../lib/backends/labelbox/index.js';
import { encodePng } from '../../../../lib/local/png.js';

const MASK = [
  [0, 1, 1, 0, 0],
  [1, 1, 0, 0, 1],
  [0, 0, 0, 1, 1],
  [1, 0, 1, 0, 1],
];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** A PNG of `rows` with `channels` per pixel, each row filtered with `filters[y]`. */
function png(
  rows: number[][],
  colorType: number,
  channels: number,
  filters: number[],
  depth = 8,
): Buffer {
  const width = rows[0]?.length ?? 0;
  const stride = width * channels;
  const raw = rows.map((row) =>
    row.flatMap((on) => new Array<number>(channels).fill(on ? 200 : 0)),
  );
  const out: number[] = [];
  raw.forEach((line, y) => {
    const filter = filters[y % filters.length] ?? 0;
    const prev = raw[y - 1] ?? new Array<number>(stride).fill(0);
    out.push(filter);
    line.forEach((x, i) => {
      const a = i >= channels ? (line[i - channels] ?? 0) : 0;
      const b = prev[i] ?? 0;
      const c = i >= channels ? (prev[i - channels] ?? 0) : 0;
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter] ?? 0;
      out.push((x - predicted) & 0xff);
    });
  });
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, data, Buffer.alloc(4)]); // the decoder does not check CRCs
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(out))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('Function: decodeMaskPng', () => {
  it('reads the RGB PNGs the emulator serves', () => {
    const bytes = encodePng(5, 4, (x, y) => (MASK[y]?.[x] ? [255, 255, 255] : [0, 0, 0]));
    expect(decodeMaskPng(bytes, 'm')).toEqual(MASK);
  });

  it.each([
    ['gray', 0, 1],
    ['RGB', 2, 3],
    ['gray + alpha', 4, 2],
    ['RGBA', 6, 4],
  ])('reads %s with every row filter', (_name, colorType, channels) => {
    expect(decodeMaskPng(png(MASK, colorType, channels, [1, 2, 3, 4]), 'm')).toEqual(MASK);
  });

  it.each([
    ['bytes that are not a PNG', Buffer.from('<html>'), 'is not a PNG'],
    ['a 16-bit PNG', png(MASK, 0, 2, [0], 16), '8-bit, non-interlaced expected'],
  ])('refuses %s with BACKEND_RESPONSE_INVALID', (_name, bytes, fragment) => {
    expect(() => decodeMaskPng(bytes, 'https://lb/mask.png')).toThrow(
      expect.objectContaining({
        code: 'BACKEND_RESPONSE_INVALID',
        message: expect.stringContaining(fragment),
      }),
    );
  });
});
