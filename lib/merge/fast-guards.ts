/**
 * Allocation-free pre-checks for the shapes that dominate a large merge. zod remains the
 * definition: each guard accepts only a subset of what its schema accepts (a property test
 * holds them to that), and whatever a guard does not accept goes through zod, which either
 * accepts it too or produces the error that names the culprit. Parsing every label with zod
 * costs more than merging it; this keeps validation at the edge without paying that twice.
 */

import { isRecord } from '../labels/json.js';

// 1 for the char codes of 0-9 and a-f, 0 for every other UTF-16 code unit: any charCodeAt
// indexes it, so no read falls outside the table.
const LOWER_HEX = new Uint8Array(0x10000);
for (const char of '0123456789abcdef') LOWER_HEX[char.charCodeAt(0)] = 1;

/**
 * Same as /^[0-9a-f]{24}$/, without the regex engine's cost on freshly parsed strings. The
 * 24 table reads are and-ed without a branch each: ~1.7x faster than a loop that tests
 * every character, and the id map's check is a tenth of a merge.
 */
export function isObjectIdString(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 24) return false;
  const hex = LOWER_HEX;
  const s = value;
  return (
    ((hex[s.charCodeAt(0)] as number) &
      (hex[s.charCodeAt(1)] as number) &
      (hex[s.charCodeAt(2)] as number) &
      (hex[s.charCodeAt(3)] as number) &
      (hex[s.charCodeAt(4)] as number) &
      (hex[s.charCodeAt(5)] as number) &
      (hex[s.charCodeAt(6)] as number) &
      (hex[s.charCodeAt(7)] as number) &
      (hex[s.charCodeAt(8)] as number) &
      (hex[s.charCodeAt(9)] as number) &
      (hex[s.charCodeAt(10)] as number) &
      (hex[s.charCodeAt(11)] as number) &
      (hex[s.charCodeAt(12)] as number) &
      (hex[s.charCodeAt(13)] as number) &
      (hex[s.charCodeAt(14)] as number) &
      (hex[s.charCodeAt(15)] as number) &
      (hex[s.charCodeAt(16)] as number) &
      (hex[s.charCodeAt(17)] as number) &
      (hex[s.charCodeAt(18)] as number) &
      (hex[s.charCodeAt(19)] as number) &
      (hex[s.charCodeAt(20)] as number) &
      (hex[s.charCodeAt(21)] as number) &
      (hex[s.charCodeAt(22)] as number) &
      (hex[s.charCodeAt(23)] as number)) ===
    1
  );
}

const isOptionalString = (value: unknown): boolean => value == null || typeof value === 'string';
// zod's number() refuses NaN and ±Infinity, and int() anything past the safe integers.
const isFiniteNumber = (value: unknown): boolean =>
  typeof value === 'number' && Number.isFinite(value);
const isOptionalNumber = (value: unknown): boolean => value == null || isFiniteNumber(value);

function isOptionalStringList(value: unknown): boolean {
  if (value === undefined) return true;
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}

function isBox(value: unknown): boolean {
  if (value == null) return true;
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    isFiniteNumber(value[0]) &&
    isFiniteNumber(value[1]) &&
    isFiniteNumber(value[2]) &&
    isFiniteNumber(value[3])
  );
}

/** A Detection without a mask, as detectionSchema would accept it. */
export function isPlainDetection(value: unknown): boolean {
  return isPlainDetectionBody(value) && isObjectIdString((value as { id?: unknown }).id);
}

/**
 * A Detection without a mask whose `id` is ignored: what detectionSchema accepts once a
 * valid id is set on it. Downloads key labels by id, so the id is checked on the key.
 */
export function isPlainDetectionBody(value: unknown): boolean {
  if (!isRecord(value) || value._cls !== 'Detection') return false;
  return (
    isOptionalString(value.label) &&
    isBox(value.bounding_box) &&
    value.mask == null &&
    isOptionalString(value.mask_path) &&
    isOptionalNumber(value.confidence) &&
    (value.index == null || Number.isSafeInteger(value.index)) &&
    isOptionalStringList(value.tags) &&
    (value.attributes === undefined || isRecord(value.attributes))
  );
}

/** A Classification without logits, as classificationSchema would accept it. */
export function isPlainClassification(value: unknown): boolean {
  return isPlainClassificationBody(value) && isObjectIdString((value as { id?: unknown }).id);
}

/** A Classification without logits whose `id` is ignored (see {@link isPlainDetectionBody}). */
export function isPlainClassificationBody(value: unknown): boolean {
  if (!isRecord(value) || value._cls !== 'Classification') return false;
  return (
    isOptionalString(value.label) &&
    isOptionalNumber(value.confidence) &&
    value.logits == null &&
    isOptionalStringList(value.tags)
  );
}

/** A sample without frames, as sampleSchema would accept it. */
export function isPlainSample(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { id, filepath, media_type: mediaType, metadata, tags, frames } = value;
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    typeof filepath === 'string' &&
    filepath.length > 0 &&
    (mediaType === undefined || mediaType === 'image' || mediaType === 'video') &&
    (metadata == null || isRecord(metadata)) &&
    isOptionalStringList(tags) &&
    frames === undefined
  );
}

/** An id-map slice of plain sample-level entries (lists of ObjectIds or booleans). */
export function isPlainIdMap(value: unknown): boolean {
  if (!isRecord(value)) return false;
  // for…in rather than Object.values: no array of a page's entries per field. It visits at
  // least the own keys, so the guard accepts no more than before.
  for (const name in value) {
    const field = value[name];
    if (!isRecord(field)) return false;
    for (const sampleId in field) {
      const entry = field[sampleId];
      if (typeof entry === 'boolean') continue;
      if (!Array.isArray(entry)) return false;
      for (let i = 0; i < entry.length; i += 1) if (!isObjectIdString(entry[i])) return false;
    }
  }
  return true;
}
