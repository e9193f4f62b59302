import { InvalidInputError, StoreError } from '../errors/index.js';
import {
  type BlobPointer,
  type BlobStore,
  blobPointerSchema,
  isBlobPointer,
  sha256Hex,
} from './blob-store.js';
import { INLINE_ITEM_BYTES, itemSize, valueSize } from './item-size.js';

/**
 * Large label fields (masks, dense video frames) leave the item for S3 when the item would
 * pass {@link INLINE_ITEM_BYTES}; the item keeps a {@link BlobPointer} in their place and
 * reads put the value back. Only label values (objects with a `_cls`) and `frames` move:
 * anything else that large is refused, as the item has no business holding it.
 */

export type Fields = Record<string, unknown>;

export function isOffloadable(field: string, value: unknown): boolean {
  if (field === 'frames') return value !== null && typeof value === 'object';
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { _cls?: unknown })._cls === 'string'
  );
}

/** One value to write to S3 before the item that points at it. */
export interface BlobUpload {
  readonly field: string;
  readonly key: string;
  readonly json: string;
  readonly sha256: string;
}

export interface OffloadPlan {
  /** The fields as the item stores them: large label values replaced by pointers. */
  readonly fields: Fields;
  /** Fields whose stored value differs from the one given (they became pointers). */
  readonly offloaded: readonly string[];
  readonly uploads: readonly BlobUpload[];
}

export interface OffloadRequest {
  /** The whole item as it would be written, `fields` included at their place. */
  readonly item: Fields;
  /** The map of fields that may move (a sample's `data`). */
  readonly fields: Fields;
  readonly bucket: string;
  readonly blobKey: (field: string, sha256: string) => string;
  /** Names the item in the error, e.g. `sample 's1' of dataset 'd'`. */
  readonly describe: string;
  readonly limit?: number;
}

/**
 * Decides, without I/O, which fields move to S3 so the item fits: the largest offloadable
 * fields first, until it does. Pure, so a refusal happens before anything is written.
 *
 * @throws StoreError `ITEM_TOO_LARGE` when the item cannot fit even with every label field
 *   in S3, naming its size, the limit and its largest fields.
 */
export function planOffload(request: OffloadRequest): OffloadPlan {
  const limit = request.limit ?? INLINE_ITEM_BYTES;
  let size = itemSize(request.item);
  if (size <= limit) return { fields: request.fields, offloaded: [], uploads: [] };

  const candidates = Object.entries(request.fields)
    .filter(([field, value]) => isOffloadable(field, value) && !isBlobPointer(value))
    .map(([field, value]) => ({ field, value, bytes: valueSize(value) }))
    .sort((a, b) => b.bytes - a.bytes);
  const fields: Fields = { ...request.fields };
  const uploads: BlobUpload[] = [];
  for (const { field, value, bytes } of candidates) {
    if (size <= limit) break;
    const json = JSON.stringify(value);
    const sha256 = sha256Hex(json);
    const key = request.blobKey(field, sha256);
    const pointer: BlobPointer = { $ref: { bucket: request.bucket, key, sha256 } };
    fields[field] = pointer;
    uploads.push({ field, key, json, sha256 });
    size -= bytes - valueSize(pointer);
  }
  if (size > limit) {
    const largest = Object.entries(fields)
      .map(([field, value]) => ({ field, bytes: valueSize(value) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3);
    throw new StoreError(
      'ITEM_TOO_LARGE',
      `The ${request.describe} is ${kb(size)} KB even with its label fields in S3; items hold ` +
        `at most ${kb(limit)} KB (largest fields: ${largest
          .map(({ field, bytes }) => `${field} ${kb(bytes)} KB`)
          .join(', ')})`,
      { bytes: size, limit, largestFields: largest },
    );
  }
  return { fields, offloaded: uploads.map(({ field }) => field), uploads };
}

function kb(bytes: number): number {
  return Math.ceil(bytes / 1024);
}

/** Writes a plan's blobs; content-addressed, so repeating it is harmless. */
export async function uploadBlobs(blobs: BlobStore, plan: OffloadPlan): Promise<void> {
  await Promise.all(plan.uploads.map(({ key, json, sha256 }) => blobs.putJson(key, json, sha256)));
}

/** The fields with every pointer replaced by the value it points at. */
export async function resolveBlobs(blobs: BlobStore, fields: Fields): Promise<Fields> {
  const entries = await Promise.all(
    Object.entries(fields).map(async ([field, value]) => {
      const pointer = blobPointerSchema.safeParse(value);
      return [field, pointer.success ? await blobs.getJson(pointer.data) : value] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Refuses caller values shaped like a pointer: the store would later mistake them for one.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the field.
 */
export function assertNoPointers(fields: Fields, what: string): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, '$ref')) {
      throw new InvalidInputError(
        `Invalid ${what} at '${field}': '$ref' objects are reserved for the store's S3 pointers`,
        { field },
      );
    }
  }
}
