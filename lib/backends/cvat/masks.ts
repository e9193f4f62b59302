import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { sameValue } from '../../merge/same-value.js';
import type { FieldSchema } from '../../schema/types.js';
import { boxToCvat } from './coordinates.js';
import { rasterizePolygon } from './rasterize.js';
import { type Bitmap, clearBitmap, decodeCvatMask, encodeCvatMask } from './rle.js';

type Json = Record<string, unknown>;
export type Size = { width: number; height: number };

/**
 * A label CVAT cannot hold exactly (a box off the pixel grid, a mask of another size than
 * its box or frame, values other than 0/1 or without a class), kept at upload: the keys of
 * the mask shapes sent for it and the fields download gives back while exactly those
 * shapes come back, so an untouched label merges as unchanged.
 */
export const maskOriginalSchema = z.object({
  pieces: z.array(z.string()),
  fields: z.record(z.string(), z.unknown()),
});
export type MaskOriginal = z.infer<typeof maskOriginalSchema>;

/** A mask shape's identity for the untouched check: its class (segmentations) and points. */
export function pieceKey(className: string | undefined, points: readonly number[]): string {
  return `${className ?? ''}:${points.join(',')}`;
}

/** The Detection fields of a mask read back: the box of its pixels and the mask over it. */
export function detectionMask(mask: Bitmap, size: Size): Json {
  const bounding_box = [
    mask.left / size.width,
    mask.top / size.height,
    mask.width / size.width,
    mask.height / size.height,
  ];
  return { bounding_box, mask: rowsOf(mask) };
}

/** Class pieces painted in order with their mask target values on a zero frame. */
export function segmentationMask(
  pieces: ReadonlyArray<{ className: string; piece: Bitmap }>,
  schema: FieldSchema,
  size: Size,
): number[][] {
  const values = new Map<string, number>();
  for (const [value, name] of Object.entries(schema.maskTargets ?? {})) {
    // Integer targets only: RGB (`#rrggbb`) targets are not 2-D masks.
    if (!values.has(name) && /^\d+$/.test(value)) values.set(name, Number(value));
  }
  const frame: Grid = {
    left: 0,
    top: 0,
    width: size.width,
    height: size.height,
    bits: new Uint32Array(size.width * size.height),
  };
  for (const { className, piece } of pieces) {
    const value = values.get(className);
    if (value !== undefined) paint(frame, piece, value);
  }
  return rowsOf(frame);
}

/** The original of an instance whose mask shape would not read back as the label. */
export function instanceOriginal(
  label: Json,
  points: number[],
  size: Size,
): MaskOriginal | undefined {
  const read = detectionMask(decodeCvatMask(points), size);
  if (sameValue(read.bounding_box, label.bounding_box) && sameValue(read.mask, label.mask)) {
    return undefined;
  }
  return {
    pieces: [pieceKey(undefined, points)],
    fields: { bounding_box: label.bounding_box, mask: label.mask },
  };
}

/** The original of a segmentation whose class masks would not paint back its mask. */
export function segmentationOriginal(
  label: Json,
  sent: ReadonlyArray<{ className: string; points: number[] }>,
  schema: FieldSchema,
  size: Size,
): MaskOriginal | undefined {
  const pieces = sent.map(({ className, points }) => ({
    className,
    piece: decodeCvatMask(points),
  }));
  if (sameValue(segmentationMask(pieces, schema, size), label.mask)) return undefined;
  return {
    pieces: sent.map(({ className, points }) => pieceKey(className, points)),
    fields: { mask: label.mask },
  };
}

/** Which mask-bearing form a field has, if any: its shapes are collected, not placed one by one. */
export function maskFieldKind(type: FieldSchema['type']): 'instance' | 'segmentation' | undefined {
  if (type === 'instance' || type === 'instances') return 'instance';
  return type === 'segmentation' ? 'segmentation' : undefined;
}

function refuseMaskPath(label: Json, field: string): void {
  if (label.mask == null && typeof label.mask_path === 'string') {
    throw new BackendError(
      'BACKEND_UNSUPPORTED',
      `Label '${String(label.id)}' of field '${field}' has its mask in a file ('${label.mask_path}'), which the CVAT backend cannot read; load the mask into 'mask' first`,
      { field, labelId: String(label.id), maskPath: label.mask_path },
    );
  }
}

/** The value at (row, column) of a 2-D mask resized to `rows` × `columns`, nearest pixel centre. */
function sampler(mask: readonly (readonly number[])[], rows: number, columns: number) {
  const height = mask.length;
  const width = Math.max(0, ...mask.map((row) => row.length));
  return (row: number, column: number): number => {
    const y = rows === height ? row : Math.floor(((row + 0.5) * height) / rows);
    const x = columns === width ? column : Math.floor(((column + 0.5) * width) / columns);
    return mask[y]?.[x] ?? 0;
  };
}

/**
 * A Detection's mask as CVAT mask `points`: the mask covers the box, whose pixels are the
 * rectangle's (`round(x·W)` … `round((x+w)·W) - 1`); a mask of another size is resized to
 * them (nearest), and the part off the frame is cut. Undefined when the label has no mask
 * or its box has no pixel on the frame: it goes as a rectangle then.
 *
 * @throws BackendError `BACKEND_UNSUPPORTED` for a mask kept only as `mask_path`.
 */
export function instanceMaskPoints(label: Json, field: string, size: Size): number[] | undefined {
  refuseMaskPath(label, field);
  const mask = label.mask as number[][] | null | undefined;
  if (!mask || mask.length === 0) return undefined;
  const [xtl = 0, ytl = 0, xbr = 0, ybr = 0] = boxToCvat(
    label.bounding_box as number[],
    size.width,
    size.height,
  );
  const rows = Math.max(1, ybr - ytl);
  const columns = Math.max(1, xbr - xtl);
  const left = Math.max(0, xtl);
  const top = Math.max(0, ytl);
  const right = Math.min(size.width, xtl + columns);
  const bottom = Math.min(size.height, ytl + rows);
  if (right <= left || bottom <= top) return undefined;
  const at = sampler(mask, rows, columns);
  const out = clearBitmap(left, top, right, bottom);
  for (let y = top; y < bottom; y += 1) {
    for (let x = left; x < right; x += 1) {
      if (at(y - ytl, x - xtl)) out.bits[(y - top) * out.width + (x - left)] = 1;
    }
  }
  return encodeCvatMask(out);
}

/**
 * A Segmentation as one CVAT mask per class present (value → class by the field's mask
 * targets), each over the tight box of its pixels. A mask of another size than the frame is
 * resized to it (nearest). Values without a target are not sent (they come back as 0).
 *
 * @throws BackendError `BACKEND_UNSUPPORTED` for a mask kept only as `mask_path`.
 */
export function segmentationMasks(
  label: Json,
  field: string,
  schema: FieldSchema,
  size: Size,
): Array<{ className: string; points: number[] }> {
  refuseMaskPath(label, field);
  const mask = label.mask as number[][] | null | undefined;
  if (!mask || mask.length === 0) return [];
  const at = sampler(mask, size.height, size.width);
  const boxes = new Map<number, { left: number; top: number; right: number; bottom: number }>();
  for (let y = 0; y < size.height; y += 1) {
    for (let x = 0; x < size.width; x += 1) {
      const value = at(y, x);
      if (!value) continue;
      const box = boxes.get(value);
      if (!box) boxes.set(value, { left: x, top: y, right: x, bottom: y });
      else {
        box.left = Math.min(box.left, x);
        box.right = Math.max(box.right, x);
        box.bottom = y;
      }
    }
  }
  const out: Array<{ className: string; points: number[] }> = [];
  for (const [value, box] of [...boxes].sort(([a], [b]) => a - b)) {
    const className = schema.maskTargets?.[String(value)];
    if (className === undefined) continue;
    const width = box.right - box.left + 1;
    const height = box.bottom - box.top + 1;
    const bits = new Uint8Array(width * height);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        if (at(box.top + y, box.left + x) === value) bits[y * width + x] = 1;
      }
    }
    out.push({
      className,
      points: encodeCvatMask({ left: box.left, top: box.top, width, height, bits }),
    });
  }
  return out;
}

/** A shape as read: its pixels, and its key when it is a mask shape (polygons have none). */
export interface MaskPiece {
  bits: Bitmap | undefined;
  key: string | undefined;
}

/**
 * A CVAT mask or polygon shape as the pixels it sets on the frame (cut to it); a mask keeps
 * its key (with `className` in segmentations) for the untouched check.
 */
export function maskPieceOf(
  type: string,
  points: readonly number[],
  size: Size,
  className?: string,
): MaskPiece {
  if (type === 'polygon') {
    return { bits: rasterizePolygon(points, size.width, size.height), key: undefined };
  }
  return { bits: cutToFrame(decodeCvatMask(points), size), key: pieceKey(className, points) };
}

function cutToFrame(mask: Bitmap, size: Size): Bitmap | undefined {
  if (mask.left + mask.width <= size.width && mask.top + mask.height <= size.height) return mask;
  const width = Math.max(0, Math.min(mask.width, size.width - mask.left));
  const height = Math.max(0, Math.min(mask.height, size.height - mask.top));
  if (width === 0 || height === 0) return undefined;
  const bits = new Uint8Array(width * height);
  for (let y = 0; y < height; y += 1) {
    bits.set(mask.bits.subarray(y * mask.width, y * mask.width + width), y * width);
  }
  return { left: mask.left, top: mask.top, width, height, bits };
}

/** The union of pieces over the union of their boxes; undefined when there is none. */
export function unionOf(pieces: readonly Bitmap[]): Bitmap | undefined {
  if (pieces.length === 0) return undefined;
  const left = Math.min(...pieces.map((piece) => piece.left));
  const top = Math.min(...pieces.map((piece) => piece.top));
  const right = Math.max(...pieces.map((piece) => piece.left + piece.width));
  const bottom = Math.max(...pieces.map((piece) => piece.top + piece.height));
  const out = clearBitmap(left, top, right, bottom);
  for (const piece of pieces) paint(out, piece, 1);
  return out;
}

/** A grid of values placed on the frame: a bitmap, or a segmentation's class values. */
export type Grid = Omit<Bitmap, 'bits'> & { bits: Uint8Array | Uint32Array };

/** Sets `value` where `piece` is set, on `target`. */
export function paint(target: Grid, piece: Bitmap, value: number): void {
  for (let y = 0; y < piece.height; y += 1) {
    const row = (piece.top - target.top + y) * target.width + (piece.left - target.left);
    for (let x = 0; x < piece.width; x += 1) {
      if (piece.bits[y * piece.width + x]) target.bits[row + x] = value;
    }
  }
}

/** A grid's rows as FiftyOne's 2-D mask. */
export function rowsOf(mask: Grid): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < mask.height; y += 1) {
    rows.push(Array.from(mask.bits.subarray(y * mask.width, (y + 1) * mask.width)));
  }
  return rows;
}
