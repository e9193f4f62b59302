import {
  customAttributes,
  getAttribute,
  type LabelRecord,
  setAttribute,
} from '../labels/attributes.js';
import { BUILTIN_LABEL_KEYS } from '../labels/label-types.js';
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

/**
 * Merges a downloaded label into the stored one (FiftyOne's `_merge_label`, SEMANTICS §6.5)
 * and pushes onto `refusals` every difference a restriction kept out. Returns the stored
 * label itself when nothing changes, else a new label. `field` is null for kept unexpected
 * labels: no restrictions, and every custom attribute is copied.
 */
export function mergeLabel(
  stored: LabelRecord,
  downloaded: LabelRecord,
  field: FieldSchema | null,
  restrictions: Restrictions,
  refusals: LabelRefusal[],
): LabelRecord {
  // Most labels come back unchanged: compare first, and copy only the ones that changed.
  return differs(stored, downloaded, field, restrictions, refusals)
    ? applyEdits(stored, downloaded, field, restrictions)
    : stored;
}

/** Whether merging would change the stored label; pushes the refusals as it compares. */
function differs(
  stored: LabelRecord,
  downloaded: LabelRecord,
  field: FieldSchema | null,
  restrictions: Restrictions,
  refusals: LabelRefusal[],
): boolean {
  const cls = stored._cls;
  let changed = false;
  // Class attributes follow the class the label will have: the edited one if edits are allowed.
  let currentClass = stored.label;
  if (HAS_LABEL.has(cls)) {
    const next = downloaded.label;
    if (!sameValue(stored.label, next)) {
      if (restrictions.allowLabelEdits) changed = true;
      else refusals.push({ reason: 'LABEL_EDIT_NOT_ALLOWED' });
    }
    if (restrictions.allowLabelEdits && next != null) currentClass = next;
    else if (restrictions.allowLabelEdits && stored.label != null) currentClass = null;
  }
  if (HAS_INDEX.has(cls) && !sameValue(stored.index, downloaded.index)) {
    if (restrictions.allowIndexEdits) changed = true;
    else refusals.push({ reason: 'INDEX_EDIT_NOT_ALLOWED' });
  }
  const spatial = spatialKeys(cls, field, downloaded);
  let spatialSame = true;
  for (const key of spatial) spatialSame &&= sameValue(stored[key], downloaded[key]);
  if (!spatialSame) {
    if (restrictions.allowSpatialEdits) changed = true;
    else refusals.push({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' });
  }
  if (field?.onlyKeyframes && !sameValue(stored.keyframe, downloaded.keyframe)) changed = true;

  if (field === null) {
    for (const [name, value] of customAttributes(downloaded)) {
      if (!sameValue(getAttribute(stored, name), value)) changed = true;
    }
    return changed;
  }
  const names = attributeNames(field, currentClass);
  const read = names.custom ? readCustom : getAttribute;
  for (const name of names.writable) {
    if (!sameValue(read(stored, name), read(downloaded, name) ?? null)) changed = true;
  }
  for (const name of names.readOnly) {
    if (!sameValue(read(stored, name), read(downloaded, name))) {
      refusals.push({ reason: 'READ_ONLY_ATTRIBUTE', attribute: name });
    }
  }
  return changed;
}

/**
 * getAttribute for a name known not to be builtin: a label without a legacy `attributes`
 * dict (most) needs one own-key test, not the builtin-key set and the dict lookups.
 */
function readCustom(label: LabelRecord, name: string): unknown {
  if (Object.hasOwn(label, name)) return label[name];
  return label.attributes === undefined ? undefined : getAttribute(label, name);
}

/**
 * The merged label: a copy of the stored one with every allowed key written from the
 * download, in FiftyOne's order. Nulls are copied too; an absent key stays absent.
 */
function applyEdits(
  stored: LabelRecord,
  downloaded: LabelRecord,
  field: FieldSchema | null,
  restrictions: Restrictions,
): LabelRecord {
  const out: LabelRecord = { ...stored };
  const cls = stored._cls;
  if (HAS_LABEL.has(cls) && restrictions.allowLabelEdits) copyKey(out, downloaded, 'label');
  if (HAS_INDEX.has(cls) && restrictions.allowIndexEdits) copyKey(out, downloaded, 'index');
  if (restrictions.allowSpatialEdits) {
    for (const key of spatialKeys(cls, field, downloaded)) copyKey(out, downloaded, key);
  }
  if (field?.onlyKeyframes) copyKey(out, downloaded, 'keyframe');
  if (field === null) {
    for (const [name, value] of customAttributes(downloaded)) setAttribute(out, name, value);
  } else {
    for (const name of attributeNames(field, out.label).writable) {
      setAttribute(out, name, getAttribute(downloaded, name) ?? null);
    }
  }
  return out;
}

function copyKey(out: LabelRecord, downloaded: LabelRecord, key: string): void {
  const next = downloaded[key];
  if (next == null) {
    if (out[key] != null) out[key] = null;
  } else out[key] = next;
}

interface AttributeNames {
  writable: string[];
  readOnly: string[];
  /** No name is a builtin label key, so {@link readCustom} reads them all. */
  custom: boolean;
}

// Per field schema object, per class: computed once per merge instead of once per label.
const attributeNamesCache = new WeakMap<FieldSchema, Map<unknown, AttributeNames>>();
// A field's labels merge one after another: remember the last field's entry.
let lastField: FieldSchema | undefined;
let lastByClass: Map<unknown, AttributeNames> | undefined;

/**
 * The schema attributes that apply to a label: field-level ones plus those of every class
 * group containing its current class, split by `readOnly`.
 */
function attributeNames(field: FieldSchema, currentClass: unknown): AttributeNames {
  let byClass = field === lastField ? lastByClass : attributeNamesCache.get(field);
  if (!byClass) {
    byClass = new Map();
    attributeNamesCache.set(field, byClass);
  }
  lastField = field;
  lastByClass = byClass;
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
  const custom = !writable.some(isBuiltin) && !readOnly.some(isBuiltin);
  const names = { writable, readOnly, custom };
  byClass.set(currentClass, names);
  return names;
}

const isBuiltin = (name: string): boolean => BUILTIN_LABEL_KEYS.has(name);
