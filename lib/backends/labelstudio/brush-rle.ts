import { InvalidInputError } from '../../errors/index.js';

/**
 * Label Studio's brush RLE (label-studio-converter `brush.py`, `decode_rle`/`encode_rle`): a
 * big-endian bit stream of a flat RGBA image (H × W × 4 bytes). Header: 32 bits value count,
 * 5 bits word size − 1, four 4-bit run-length widths − 1. Then blocks: 1 bit "repeat?",
 * 2 bits choosing a width, that many bits of (length − 1); a repeat block holds one word,
 * repeated; a literal block holds `length` words. Masks live in the alpha channel.
 */

class BitReader {
  #position = 0;
  constructor(private readonly bytes: readonly number[]) {}

  read(width: number): number {
    let value = 0;
    for (let bit = 0; bit < width; bit += 1) {
      const index = this.#position >> 3;
      const byte = this.bytes[index];
      if (byte === undefined) throw new InvalidInputError('Brush RLE ends early', { index });
      value = value * 2 + ((byte >> (7 - (this.#position & 7))) & 1);
      this.#position += 1;
    }
    return value;
  }
}

class BitWriter {
  readonly bytes: number[] = [];
  #position = 0;

  write(value: number, width: number): void {
    for (let bit = width - 1; bit >= 0; bit -= 1) {
      const index = this.#position >> 3;
      if (index === this.bytes.length) this.bytes.push(0);
      if (Math.floor(value / 2 ** bit) % 2 === 1) {
        this.bytes[index] = (this.bytes[index] ?? 0) | (1 << (7 - (this.#position & 7)));
      }
      this.#position += 1;
    }
  }
}

/** Decodes to the flat RGBA bytes. @throws InvalidInputError on a truncated or bad stream. */
export function decodeBrushRle(rle: readonly number[]): Uint8Array {
  const input = new BitReader(rle);
  const count = input.read(32);
  const wordSize = input.read(5) + 1;
  const widths = [0, 1, 2, 3].map(() => input.read(4) + 1);
  const out = new Uint8Array(count);
  let i = 0;
  while (i < count) {
    const repeat = input.read(1);
    const width = widths[input.read(2)] ?? 1;
    const end = Math.min(count, i + 1 + input.read(width));
    if (repeat) {
      out.fill(input.read(wordSize), i, end);
      i = end;
    } else {
      while (i < end) {
        out[i] = input.read(wordSize);
        i += 1;
      }
    }
  }
  return out;
}

const WIDTHS = [3, 6, 9, 16];

/** Encodes flat RGBA bytes with repeat blocks only: masks are long runs, so this is compact. */
export function encodeBrushRle(values: Uint8Array): number[] {
  const out = new BitWriter();
  out.write(values.length, 32);
  out.write(7, 5);
  for (const width of WIDTHS) out.write(width - 1, 4);
  let i = 0;
  while (i < values.length) {
    const value = values[i] ?? 0;
    let end = i + 1;
    while (end < values.length && values[end] === value && end - i < 2 ** 16) end += 1;
    const length = end - i;
    const choice = WIDTHS.findIndex((width) => length - 1 < 2 ** width);
    out.write(1, 1);
    out.write(choice, 2);
    out.write(length - 1, WIDTHS[choice] ?? 16);
    out.write(value, 8);
    i = end;
  }
  return out.bytes;
}

/** A full-image mask (rows of 0/1) from a brush RLE of a `width` × `height` image. */
export function maskFromBrushRle(
  rle: readonly number[],
  width: number,
  height: number,
): number[][] {
  const rgba = decodeBrushRle(rle);
  if (rgba.length !== width * height * 4) {
    throw new InvalidInputError(
      `Brush RLE holds ${rgba.length} values; a ${width}×${height} RGBA image has ${width * height * 4}`,
      { width, height, values: rgba.length },
    );
  }
  const mask: number[][] = [];
  for (let y = 0; y < height; y += 1) {
    const row: number[] = [];
    for (let x = 0; x < width; x += 1) row.push((rgba[(y * width + x) * 4 + 3] ?? 0) > 0 ? 1 : 0);
    mask.push(row);
  }
  return mask;
}

/** The brush RLE of a full-image mask: set pixels opaque white, as the editor paints them. */
export function brushRleFromMask(mask: readonly (readonly number[])[]): number[] {
  const height = mask.length;
  const width = mask[0]?.length ?? 0;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if ((mask[y]?.[x] ?? 0) !== 0) rgba.fill(255, (y * width + x) * 4, (y * width + x) * 4 + 4);
    }
  }
  return encodeBrushRle(rgba);
}
