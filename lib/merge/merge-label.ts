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

const HAS_LABEL: ReadonlySet<unknown> = new Set([
  'Classification',
  'Detection',
  'Polyline',
  'Keypoint',
]);
const HAS_INDEX: ReadonlySet<unknown> = new Set(['Detection', 'Polyline', 'Keypoint']);
const BOX = ['bounding_box'];
const BOX_AND_MASK = ['bounding_box', 'mask', 'mask_path'];
const POLYLINE = ['points', 'closed', 'filled'];
const POINTS = ['points'];
const MASK = ['mask', 'mask_path'];
const NONE: string[] = [];

function spatialKeys(cls: unknown, field: FieldSchema | null, downloaded: LabelRecord): string[] {
  switch (cls) {
    case 'Detection': {
      // A boxes-only run never uploaded masks, so it must not erase them (SEMANTICS §6.5).
      const withMask =
        field === null
          ? downloaded.mask != null || downloaded.mask_path != null
          : field.type === 'instance' || field.type === 'instances';
      return withMask ? BOX_AND_MASK : BOX;
    }
    case 'Polyline':
      return POLYLINE;
    case 'Keypoint':
      return POINTS;
    case 'Segmentation':
      return MASK;
    default:
      return NONE;
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
 * Copies `key` from the download unless a restriction forbids it; returns whether the
 * stored value changed, or pushes the refusal. FiftyOne copies nulls too; an absent key
 * stays absent rather than becoming null.
 */
function copyKey(
  out: LabelRecord,
  stored: LabelRecord,
  downloaded: LabelRecord,
  key: string,
  allowed: boolean,
  reason: RefusalReason,
  refusals: LabelRefusal[],
): boolean {
  const next = downloaded[key];
  const same = sameValue(stored[key], next);
  if (!allowed) {
    if (!same) refusals.push({ reason });
    return false;
  }
  if (next == null) {
    if (out[key] != null) out[key] = null;
  } else out[key] = next;
  return !same;
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
  let changed = false;

  if (HAS_LABEL.has(cls)) {
    changed =
      copyKey(
        out,
        stored,
        downloaded,
        'label',
        restrictions.allowLabelEdits,
        'LABEL_EDIT_NOT_ALLOWED',
        refusals,
      ) || changed;
  }
  if (HAS_INDEX.has(cls)) {
    changed =
      copyKey(
        out,
        stored,
        downloaded,
        'index',
        restrictions.allowIndexEdits,
        'INDEX_EDIT_NOT_ALLOWED',
        refusals,
      ) || changed;
  }
  const spatial = spatialKeys(cls, field, downloaded);
  if (restrictions.allowSpatialEdits) {
    for (const key of spatial) {
      changed =
        copyKey(out, stored, downloaded, key, true, 'SPATIAL_EDIT_NOT_ALLOWED', refusals) ||
        changed;
    }
  } else if (spatial.some((key) => !sameValue(stored[key], downloaded[key]))) {
    refusals.push({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' });
  }
  if (field?.onlyKeyframes) {
    changed =
      copyKey(out, stored, downloaded, 'keyframe', true, 'SPATIAL_EDIT_NOT_ALLOWED', refusals) ||
      changed;
  }

  if (field === null) {
    for (const [name, value] of customAttributes(downloaded)) {
      if (!sameValue(getAttribute(stored, name), value)) changed = true;
      setAttribute(out, name, value);
    }
  } else {
    const names = attributeNames(field, out.label);
    for (const name of names.writable) {
      const value = getAttribute(downloaded, name) ?? null;
      if (!sameValue(getAttribute(stored, name), value)) changed = true;
      setAttribute(out, name, value);
    }
    for (const name of names.readOnly) {
      if (!sameValue(getAttribute(stored, name), getAttribute(downloaded, name))) {
        refusals.push({ reason: 'READ_ONLY_ATTRIBUTE', attribute: name });
      }
    }
  }

  return { label: out, changed, refusals };
}

interface AttributeNames {
  writable: string[];
  readOnly: string[];
}

// Per field schema object, per class: computed once per merge instead of once per label.
const attributeNamesCache = new WeakMap<FieldSchema, Map<unknown, AttributeNames>>();

/**
 * The schema attributes that apply to a label: field-level ones plus those of every class
 * group containing its current class, split by `readOnly`.
 */
function attributeNames(field: FieldSchema, currentClass: unknown): AttributeNames {
  let byClass = attributeNamesCache.get(field);
  if (!byClass) {
    byClass = new Map();
    attributeNamesCache.set(field, byClass);
  }
  const cached = byClass.get(currentClass);
  if (cached) return cached;
  const specs: Array<[string, boolean]> = Object.entries(field.attributes).map(([name, spec]) => [
    name,
    spec.readOnly === true,
  ]);
  for (const entry of field.classes) {
    if (
      typeof entry === 'string' ||
      typeof currentClass !== 'string' ||
      !entry.classes.includes(currentClass)
    ) {
      continue;
    }
    for (const [name, spec] of Object.entries(entry.attributes))
      specs.push([name, spec.readOnly === true]);
  }
  const readOnly = [...new Set(specs.filter(([, isReadOnly]) => isReadOnly).map(([name]) => name))];
  const writable = [
    ...new Set(
      specs
        .filter(([name, isReadOnly]) => !isReadOnly && !readOnly.includes(name))
        .map(([name]) => name),
    ),
  ];
  const names = { writable, readOnly };
  byClass.set(currentClass, names);
  return names;
}
