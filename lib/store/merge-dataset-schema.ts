import { StoreError } from '../errors/index.js';
import type { DatasetSchema } from '../schema/types.js';

type Mapping = Readonly<Record<string, string>>;

function conflict(message: string, details: Record<string, unknown>): StoreError {
  return new StoreError('SCHEMA_FIELD_CONFLICT', message, details);
}

/** `current` plus `seen`'s new entries; an entry both have must agree. */
function mergeMapping(
  current: Mapping | undefined,
  seen: Mapping | undefined,
  describe: (key: string, was: string, now: string) => StoreError,
): Record<string, string> | undefined {
  if (seen === undefined) return current === undefined ? undefined : { ...current };
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(seen)) {
    const was = merged[key];
    if (was !== undefined && was !== value) throw describe(key, was, value);
    merged[key] = value;
  }
  return merged;
}

/**
 * The dataset schema after seeing `seen`: new sample and frame fields and new mask targets
 * are added; nothing is removed, so merging is order-independent and repeatable. Like
 * FiftyOne, which refuses to redeclare a field with another type, a field may not change
 * type and a pixel value may not change class.
 *
 * @throws StoreError `SCHEMA_FIELD_CONFLICT` naming the field and both values.
 */
export function mergeDatasetSchema(current: DatasetSchema, seen: DatasetSchema): DatasetSchema {
  if (current.mediaType !== seen.mediaType) {
    throw conflict(`Dataset media type is '${current.mediaType}', not '${seen.mediaType}'`, {
      field: 'mediaType',
      was: current.mediaType,
      now: seen.mediaType,
    });
  }
  const fieldConflict = (prefix: string) => (field: string, was: string, now: string) =>
    conflict(`Field '${prefix}${field}' is a ${was}, not a ${now}`, {
      field: `${prefix}${field}`,
      was,
      now,
    });
  const sampleFields = mergeMapping(current.sampleFields, seen.sampleFields, fieldConflict(''));
  const frameFields = mergeMapping(current.frameFields, seen.frameFields, fieldConflict('frames.'));
  const targetConflict = (field: string) => (pixel: string, was: string, now: string) =>
    conflict(`Mask target ${pixel} of '${field}' is '${was}', not '${now}'`, {
      field,
      pixel,
      was,
      now,
    });
  const maskTargets: Record<string, Record<string, string>> = { ...current.maskTargets };
  for (const [field, targets] of Object.entries(seen.maskTargets ?? {})) {
    maskTargets[field] =
      mergeMapping(current.maskTargets?.[field], targets, targetConflict(field)) ?? {};
  }
  const defaultMaskTargets = mergeMapping(
    current.defaultMaskTargets,
    seen.defaultMaskTargets,
    targetConflict('default'),
  );
  return {
    mediaType: current.mediaType,
    sampleFields: sampleFields ?? {},
    ...(frameFields === undefined ? {} : { frameFields }),
    ...(current.maskTargets === undefined && seen.maskTargets === undefined ? {} : { maskTargets }),
    ...(defaultMaskTargets === undefined ? {} : { defaultMaskTargets }),
  };
}
