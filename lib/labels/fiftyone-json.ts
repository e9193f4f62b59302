import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isObjectId, newObjectId } from './object-id.js';
import { type Sample, sampleSchema } from './schemas.js';

/**
 * FiftyOne's dataset exports (`samples.json` of a `FiftyOneDataset` export) use MongoDB
 * extended JSON: `_id: {$oid}`, `_media_type`, `_dataset_id`, dates as `{$date}`. This turns
 * such a document into our flat sample form, recursively (labels nested in containers too).
 */
export function normalizeFiftyOneDocument(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeFiftyOneDocument);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const oid = extendedJsonScalar(record);
  if (oid !== undefined) return oid;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(record)) {
    if (key === '_dataset_id' || key === '_sample_id' || key === '_rand') continue;
    if (key === '_id') out.id = normalizeFiftyOneDocument(inner);
    else if (key === '_media_type') out.media_type = inner;
    else out[key] = normalizeFiftyOneDocument(inner);
  }
  return out;
}

function extendedJsonScalar(record: Record<string, unknown>): unknown {
  const keys = Object.keys(record);
  if (keys.length !== 1) return undefined;
  if (keys[0] === '$oid') return record.$oid;
  if (keys[0] === '$date') {
    const date = record.$date;
    return typeof date === 'number' ? new Date(date).toISOString() : date;
  }
  return undefined;
}

const samplesExportSchema = z.object({ samples: z.array(z.unknown()) }).loose();

/**
 * Parses a FiftyOne `samples.json` export (or a bare array of samples) into samples.
 * Labels without ids get fresh ones, so an exported dataset imports as-is.
 */
export function parseFiftyOneSamples(document: unknown): Sample[] {
  const raw = Array.isArray(document)
    ? document
    : parseInput(samplesExportSchema, document, 'FiftyOne samples export').samples;
  return raw.map((entry, index) => {
    const normalized = normalizeFiftyOneDocument(entry) as Record<string, unknown>;
    if (normalized !== null && typeof normalized === 'object' && normalized.id === undefined) {
      normalized.id = newObjectId();
    }
    assignMissingLabelIds(normalized);
    return parseInput(sampleSchema, normalized, `sample [${index}]`);
  });
}

function assignMissingLabelIds(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) assignMissingLabelIds(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  const cls = record._cls;
  if (typeof cls === 'string' && SINGLE_LABEL_CLASSES.has(cls) && !isObjectId(record.id)) {
    record.id = newObjectId();
  }
  for (const inner of Object.values(record)) assignMissingLabelIds(inner);
}

const SINGLE_LABEL_CLASSES = new Set([
  'Classification',
  'Detection',
  'Polyline',
  'Keypoint',
  'Segmentation',
]);
