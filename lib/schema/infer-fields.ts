import type { Sample } from '../labels/schemas.js';
import type { DatasetSchema } from './types.js';

/** Sample keys that are the sample's own, not fields a user labels. */
export const SAMPLE_BUILTINS: ReadonlySet<string> = new Set([
  'id',
  'filepath',
  'media_type',
  'metadata',
  'tags',
  'frames',
  'created_at',
  'last_modified_at',
]);
const FRAME_BUILTINS = new Set(['id', 'frame_number', 'created_at', 'last_modified_at']);

const LABEL_CLASSES = new Set([
  'Classification',
  'Classifications',
  'Detection',
  'Detections',
  'Polyline',
  'Polylines',
  'Keypoint',
  'Keypoints',
  'Segmentation',
  'Regression',
  'TemporalDetection',
  'TemporalDetections',
  'Heatmap',
  'GeoLocation',
  'GeoLocations',
]);

/** FiftyOne's field type name for a value; undefined for null (it says nothing). */
export function fieldTypeOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return 'BooleanField';
  if (typeof value === 'number') return Number.isInteger(value) ? 'IntField' : 'FloatField';
  if (typeof value === 'string') return 'StringField';
  if (Array.isArray(value)) {
    const inner = value.map(fieldTypeOf).find((type) => type !== undefined);
    return inner === undefined ? 'ListField' : `ListField(${inner})`;
  }
  const cls = (value as { _cls?: unknown })._cls;
  if (typeof cls === 'string' && LABEL_CLASSES.has(cls)) return cls;
  return 'DictField';
}

/**
 * The field schema a set of samples implies: each non-builtin field's FiftyOne type from
 * its first non-null value (frame fields from every frame). The store merges it into the
 * dataset's schema, refusing a field that changes type.
 */
export function inferFieldSchema(mediaType: string, samples: Iterable<Sample>): DatasetSchema {
  const sampleFields: Record<string, string> = {};
  const frameFields: Record<string, string> = {};
  const note = (into: Record<string, string>, name: string, value: unknown): void => {
    if (into[name] !== undefined) return;
    const type = fieldTypeOf(value);
    if (type !== undefined) into[name] = type;
  };
  for (const sample of samples) {
    for (const [name, value] of Object.entries(sample))
      if (!SAMPLE_BUILTINS.has(name)) note(sampleFields, name, value);
    for (const frame of Object.values(sample.frames ?? {})) {
      for (const [name, value] of Object.entries(frame))
        if (!FRAME_BUILTINS.has(name)) note(frameFields, name, value);
    }
  }
  return {
    mediaType,
    sampleFields,
    ...(Object.keys(frameFields).length > 0 ? { frameFields } : {}),
  };
}
