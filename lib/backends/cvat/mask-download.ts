import type { FieldSchema } from '../../schema/types.js';
import {
  detectionMask,
  type MaskOriginal,
  type MaskPiece,
  type Size,
  segmentationMask,
  unionOf,
} from './masks.js';

type Json = Record<string, unknown>;

export interface MaskPlace {
  field: string;
  sampleId: string;
  frameKey: string | undefined;
  size: Size;
}

interface Downloaded {
  at: MaskPlace;
  returnType: 'detections' | 'segmentation';
  id: string;
  label: Json;
}

type Piece = MaskPiece;

/**
 * Mask and polygon shapes of instance and segmentation fields, gathered over a download and
 * turned into labels at the end (SEMANTICS §9.6): an instance's pieces (its mask, or polygons
 * sharing its label id) become one Detection whose box is the pieces' box and whose mask
 * covers it; a sample's segmentation pieces are painted, in order, with their class's mask
 * target value into one full-frame Segmentation (uncovered pixels 0) carrying the first
 * recorded id among them. A label sent lossily whose mask shapes all come back as sent gets
 * its recorded original instead, so it merges as unchanged.
 */
export class DownloadedMasks {
  private readonly instances = new Map<string, { at: MaskPlace; label: Json; pieces: Piece[] }>();
  private readonly segmentations = new Map<
    string,
    {
      at: MaskPlace;
      schema: FieldSchema;
      id: string | undefined;
      fallbackId: string;
      pieces: Array<Piece & { className: string }>;
    }
  >();

  constructor(private readonly originals: Readonly<Record<string, MaskOriginal>> = {}) {}

  hasInstance(slot: string): boolean {
    return this.instances.has(slot);
  }

  addInstance(slot: string, at: MaskPlace, label: Json, piece: Piece): void {
    const entry = this.instances.get(slot) ?? { at, label, pieces: [] };
    this.instances.set(slot, entry);
    entry.pieces.push(piece);
  }

  addSegment(
    at: MaskPlace,
    schema: FieldSchema,
    ids: { recorded: string | undefined; fallback: string },
    className: string,
    piece: Piece,
  ): void {
    const key = `${at.field}\u0000${at.sampleId}\u0000${at.frameKey ?? ''}`;
    const entry = this.segmentations.get(key) ?? {
      at,
      schema,
      id: undefined,
      fallbackId: ids.fallback,
      pieces: [],
    };
    this.segmentations.set(key, entry);
    entry.id ??= ids.recorded;
    entry.pieces.push({ ...piece, className });
  }

  *labels(): Generator<Downloaded> {
    for (const { at, label, pieces } of this.instances.values()) {
      const id = String(label.id);
      const original = this.untouched(id, pieces);
      const mask = unionOf(pieces.flatMap((piece) => (piece.bits ? [piece.bits] : [])));
      // Only polygons that cover no pixel: nothing to be a label.
      if (!mask) continue;
      const fields = original ?? detectionMask(mask, at.size);
      yield { at, returnType: 'detections', id, label: { ...label, ...fields } };
    }
    for (const { at, schema, id, fallbackId, pieces } of this.segmentations.values()) {
      const segmentationId = id ?? fallbackId;
      const mask =
        this.untouched(segmentationId, pieces)?.mask ??
        segmentationMask(
          pieces.flatMap(({ className, bits }) => (bits ? [{ className, piece: bits }] : [])),
          schema,
          at.size,
        );
      yield {
        at,
        returnType: 'segmentation',
        id: segmentationId,
        label: { _cls: 'Segmentation', id: segmentationId, mask },
      };
    }
  }

  /** The recorded original of a label whose pieces are exactly the mask shapes sent. */
  private untouched(id: string, pieces: readonly Piece[]): Json | undefined {
    const original = this.originals[id];
    if (!original || pieces.some((piece) => piece.key === undefined)) return undefined;
    const keys = pieces.map((piece) => piece.key).sort();
    const sent = [...original.pieces].sort();
    return keys.length === sent.length && keys.every((key, i) => key === sent[i])
      ? original.fields
      : undefined;
  }
}
