import {
  customAttributes,
  getAttribute,
  type LabelRecord,
  setAttribute,
} from '../labels/attributes.js';
import type { FieldSchema } from '../schema/types.js';
import type { RefusalReason } from './report.js';
import { sameValue } from './same-value.js';

/** The restriction flags in force for one field; absent flags mean allowed (SEMANTICS §3.8). */
export interface Restrictions {
  allowAdditions: boolean;
  allowDeletions: boolean;
  allowLabelEdits: boolean;
  allowIndexEdits: boolean;
  allowSpatialEdits: boolean;
}

export function restrictionsOf(field: FieldSchema | null): Restrictions {
  return {
    allowAdditions: field?.allowAdditions ?? true,
    allowDeletions: field?.allowDeletions ?? true,
    allowLabelEdits: field?.allowLabelEdits ?? true,
    allowIndexEdits: field?.allowIndexEdits ?? true,
    allowSpatialEdits: field?.allowSpatialEdits ?? true,
  };
}

const HAS_LABEL = new Set(['Classification', 'Detection', 'Polyline', 'Keypoint']);
const HAS_INDEX = new Set(['Detection', 'Polyline', 'Keypoint']);

function spatialKeys(cls: unknown, field: FieldSchema | null, downloaded: LabelRecord): string[] {
  switch (cls) {
    case 'Detection': {
      // A boxes-only run never uploaded masks, so it must not erase them (SEMANTICS §6.5).
      const withMask =
        field === null
          ? downloaded.mask != null || downloaded.mask_path != null
          : field.type === 'instance' || field.type === 'instances';
      return withMask ? ['bounding_box', 'mask', 'mask_path'] : ['bounding_box'];
    }
    case 'Polyline':
      return ['points', 'closed', 'filled'];
    case 'Keypoint':
      return ['points'];
    case 'Segmentation':
      return ['mask', 'mask_path'];
    default:
      return [];
  }
}

export interface LabelRefusal {
  reason: RefusalReason;
  attribute?: string;
}

export interface MergedLabel {
  label: LabelRecord;
  changed: boolean;
  refusals: LabelRefusal[];
}

/**
 * Merges a downloaded label into the stored one (FiftyOne's `_merge_label`, SEMANTICS §6.5)
 * and lists every difference a restriction kept out. `field` is null for kept unexpected
 * labels: no restrictions, and every custom attribute is copied.
 */
export function mergeLabel(
  stored: LabelRecord,
  downloaded: LabelRecord,
  field: FieldSchema | null,
  restrictions: Restrictions,
): MergedLabel {
  const out: LabelRecord = { ...stored };
  const refusals: LabelRefusal[] = [];
  const cls = stored._cls;

  const copy = (key: string, allowed: boolean, reason: RefusalReason): void => {
    const next = downloaded[key];
    if (!allowed) {
      if (!sameValue(stored[key], next)) refusals.push({ reason });
      return;
    }
    // FiftyOne copies nulls too; an absent key stays absent rather than becoming null.
    if (next == null) {
      if (out[key] != null) out[key] = null;
    } else out[key] = next;
  };

  if (typeof cls === 'string' && HAS_LABEL.has(cls))
    copy('label', restrictions.allowLabelEdits, 'LABEL_EDIT_NOT_ALLOWED');
  if (typeof cls === 'string' && HAS_INDEX.has(cls))
    copy('index', restrictions.allowIndexEdits, 'INDEX_EDIT_NOT_ALLOWED');
  let spatialRefused = false;
  for (const key of spatialKeys(cls, field, downloaded)) {
    if (restrictions.allowSpatialEdits) copy(key, true, 'SPATIAL_EDIT_NOT_ALLOWED');
    else if (!spatialRefused && !sameValue(stored[key], downloaded[key])) {
      refusals.push({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' });
      spatialRefused = true;
    }
  }
  if (field?.onlyKeyframes) copy('keyframe', true, 'SPATIAL_EDIT_NOT_ALLOWED');

  if (field === null) {
    for (const [name, value] of customAttributes(downloaded)) setAttribute(out, name, value);
  } else {
    const { writable, readOnly } = attributeNames(field, out.label);
    for (const name of writable) setAttribute(out, name, getAttribute(downloaded, name) ?? null);
    for (const name of readOnly) {
      if (!sameValue(getAttribute(stored, name), getAttribute(downloaded, name))) {
        refusals.push({ reason: 'READ_ONLY_ATTRIBUTE', attribute: name });
      }
    }
  }

  return { label: out, changed: !sameLabel(stored, out), refusals };
}

/**
 * The schema attributes that apply to a label: field-level ones plus those of every class
 * group containing its current class, split by `readOnly`.
 */
function attributeNames(
  field: FieldSchema,
  currentClass: unknown,
): { writable: string[]; readOnly: string[] } {
  const writable: string[] = [];
  const readOnly: string[] = [];
  const add = (attributes: FieldSchema['attributes']): void => {
    for (const [name, spec] of Object.entries(attributes)) {
      const into = spec.readOnly ? readOnly : writable;
      if (!into.includes(name)) into.push(name);
    }
  };
  add(field.attributes);
  for (const entry of field.classes) {
    if (
      typeof entry !== 'string' &&
      typeof currentClass === 'string' &&
      entry.classes.includes(currentClass)
    ) {
      add(entry.attributes);
    }
  }
  return { writable: writable.filter((name) => !readOnly.includes(name)), readOnly };
}

function sameLabel(a: LabelRecord, b: LabelRecord): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameValue(a[key], b[key])) return false;
  return true;
}
