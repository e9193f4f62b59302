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

const BOX = ['bounding_box'];
const BOX_AND_MASK = ['bounding_box', 'mask', 'mask_path'];
const POLYLINE = ['points', 'closed', 'filled'];
const POINTS = ['points'];
const MASK = ['mask', 'mask_path'];
const NONE: string[] = [];

/** What a label class has to compare: looked up once per label instead of a set test each. */
interface ClassTraits {
  hasLabel: boolean;
  hasIndex: boolean;
  /** The spatial keys; null for Detection, whose keys depend on masks (see spatialKeys). */
  spatial: string[] | null;
}
const DETECTION: ClassTraits = { hasLabel: true, hasIndex: true, spatial: null };
const POLYLINE_TRAITS: ClassTraits = { hasLabel: true, hasIndex: true, spatial: POLYLINE };
const KEYPOINT: ClassTraits = { hasLabel: true, hasIndex: true, spatial: POINTS };
const CLASSIFICATION: ClassTraits = { hasLabel: true, hasIndex: false, spatial: NONE };
const SEGMENTATION: ClassTraits = { hasLabel: false, hasIndex: false, spatial: MASK };
const OTHER: ClassTraits = { hasLabel: false, hasIndex: false, spatial: NONE };

function traitsOf(cls: unknown): ClassTraits {
  switch (cls) {
    case 'Detection':
      return DETECTION;
    case 'Polyline':
      return POLYLINE_TRAITS;
    case 'Keypoint':
      return KEYPOINT;
    case 'Classification':
      return CLASSIFICATION;
    case 'Segmentation':
      return SEGMENTATION;
    default:
      return OTHER;
  }
}

/** A Detection's spatial keys: with its mask only where the run uploaded masks. */
function detectionSpatialKeys(field: FieldSchema | null, downloaded: LabelRecord): string[] {
  // A boxes-only run never uploaded masks, so it must not erase them (SEMANTICS §6.5).
  const withMask =
    field === null
      ? downloaded.mask != null || downloaded.mask_path != null
      : field.type === 'instance' || field.type === 'instances';
  return withMask ? BOX_AND_MASK : BOX;
}

// Most values compare equal by identity (strings, equal numbers): settle those inline.
const same = (a: unknown, b: unknown): boolean => a === b || sameValue(a, b);

export interface LabelRefusal {
  reason: RefusalReason;
  attribute?: string;
}

/**
 * Merges a downloaded label into the stored one (FiftyOne's `_merge_label`, SEMANTICS §6.5)
 * and pushes onto `refusals` every difference a restriction kept out. Returns the stored
 * label itself when nothing changes, else a new label. `field` is null for kept unexpected
 * labels: no restrictions, and every custom attribute is copied. `onlyKeyframes`: the field
 * is keyframe-only, by its schema or by force as a new field (§6.7), so `keyframe` is copied.
 */
export function mergeLabel(
  stored: LabelRecord,
  downloaded: LabelRecord,
  field: FieldSchema | null,
  restrictions: Restrictions,
  refusals: LabelRefusal[],
  onlyKeyframes: boolean = field?.onlyKeyframes === true,
): LabelRecord {
  // One function compares and, for the few labels that changed, copies: each step is
  // settled once per label (class traits, spatial keys, attribute names), and the common
  // values (identical strings, equal coordinates) without a call.
  const traits = traitsOf(stored._cls);
  const { allowLabelEdits, allowIndexEdits, allowSpatialEdits } = restrictions;
  let changed = false;
  // Class attributes follow the class the label will have: the edited one if edits are allowed.
  let currentClass = stored.label;
  if (traits.hasLabel) {
    const next = downloaded.label;
    if (currentClass !== next && !sameValue(currentClass, next)) {
      if (allowLabelEdits) changed = true;
      else refusals.push({ reason: 'LABEL_EDIT_NOT_ALLOWED' });
    }
    if (allowLabelEdits && next != null) currentClass = next;
    else if (allowLabelEdits && stored.label != null) currentClass = null;
  }
  if (traits.hasIndex && !same(stored.index, downloaded.index)) {
    if (allowIndexEdits) changed = true;
    else refusals.push({ reason: 'INDEX_EDIT_NOT_ALLOWED' });
  }
  const spatial = traits.spatial ?? detectionSpatialKeys(field, downloaded);
  for (let i = 0; i < spatial.length; i += 1) {
    const key = spatial[i] as string;
    const a = stored[key];
    const b = downloaded[key];
    if (a === b || sameCoordinates(a, b)) continue;
    if (allowSpatialEdits) changed = true;
    else refusals.push({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' });
    break;
  }
  if (onlyKeyframes && !same(stored.keyframe, downloaded.keyframe)) changed = true;

  if (field === null) {
    const custom = customAttributes(downloaded);
    for (const [name, value] of custom) {
      if (!sameValue(getAttribute(stored, name), value)) changed = true;
    }
    if (!changed) return stored;
    const out = copyBuiltins(stored, downloaded, traits, restrictions, spatial, onlyKeyframes);
    for (const [name, value] of custom) setAttribute(out, name, value);
    return out;
  }

  const names = attributeNames(field, currentClass);
  const { writable, readOnly } = names;
  // Custom names on labels without a legacy `attributes` dict (most): plain keys both ways.
  const plain =
    names.custom && stored.attributes === undefined && downloaded.attributes === undefined;
  // Plain names are read inline, without a call per name.
  const read = names.custom ? readCustom : getAttribute;
  // A known change needs no further writable compare; read-only ones are still reported.
  for (let i = 0; i < writable.length && !changed; i += 1) {
    const name = writable[i] as string;
    const before = plain ? stored[name] : read(stored, name);
    const after = plain ? downloaded[name] : read(downloaded, name);
    if (!same(before, after ?? null)) changed = true;
  }
  for (let i = 0; i < readOnly.length; i += 1) {
    const name = readOnly[i] as string;
    const before = plain ? stored[name] : read(stored, name);
    const after = plain ? downloaded[name] : read(downloaded, name);
    if (!same(before, after)) refusals.push({ reason: 'READ_ONLY_ATTRIBUTE', attribute: name });
  }
  // Most labels come back unchanged: only the ones that changed are copied.
  if (!changed) return stored;
  const out = copyBuiltins(stored, downloaded, traits, restrictions, spatial, onlyKeyframes);
  for (let i = 0; i < writable.length; i += 1) {
    const name = writable[i] as string;
    if (plain) out[name] = downloaded[name] ?? null;
    else setAttribute(out, name, getAttribute(downloaded, name) ?? null);
  }
  return out;
}

/** Equal coordinate lists settled in one loop; anything else as {@link sameValue} says. */
function sameCoordinates(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i += 1;
    if (i === a.length) return true;
  }
  return sameValue(a, b);
}

/**
 * getAttribute for a name known not to be builtin nor inherited from Object.prototype: a
 * label without a legacy `attributes` dict (most) needs one property read.
 */
function readCustom(label: LabelRecord, name: string): unknown {
  const value = label[name];
  if (value !== undefined || label.attributes === undefined) return value;
  return Object.hasOwn(label, name) ? value : getAttribute(label, name);
}

/**
 * The copy of a changed label with every allowed builtin key written from the download,
 * in FiftyOne's order; the caller writes the attributes. Nulls are copied too; an absent
 * key stays absent.
 */
function copyBuiltins(
  stored: LabelRecord,
  downloaded: LabelRecord,
  traits: ClassTraits,
  restrictions: Restrictions,
  spatial: string[],
  onlyKeyframes: boolean,
): LabelRecord {
  // Spread, not Object.assign: an own `__proto__` key (JSON.parse makes them) stays a key.
  const out = { ...stored };
  if (traits.hasLabel && restrictions.allowLabelEdits) copyKey(out, downloaded, 'label');
  if (traits.hasIndex && restrictions.allowIndexEdits) copyKey(out, downloaded, 'index');
  if (restrictions.allowSpatialEdits) {
    for (let i = 0; i < spatial.length; i += 1) copyKey(out, downloaded, spatial[i] as string);
  }
  if (onlyKeyframes) copyKey(out, downloaded, 'keyframe');
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
  /** No name is a builtin label key nor inherited, so {@link readCustom} reads them all. */
  custom: boolean;
}

// Per field schema object, per class: computed once per merge instead of once per label.
const attributeNamesCache = new WeakMap<FieldSchema, Map<unknown, AttributeNames>>();
// A field's labels merge one after another: its last few classes are kept in a list, as a
// few identity compares of class strings cost less than a Map lookup per label.
let recentField: FieldSchema | undefined;
let recentClasses: unknown[] = [];
let recentNames: AttributeNames[] = [];
const RECENT_MAX = 8;

/**
 * The schema attributes that apply to a label: field-level ones plus those of every class
 * group containing its current class, split by `readOnly` (writable at either level wins).
 */
function attributeNames(field: FieldSchema, currentClass: unknown): AttributeNames {
  if (field !== recentField) {
    recentField = field;
    recentClasses = [];
    recentNames = [];
  }
  for (let i = 0; i < recentClasses.length; i += 1) {
    if (recentClasses[i] === currentClass) return recentNames[i] as AttributeNames;
  }
  const names = namesOf(field, currentClass);
  if (recentClasses.length < RECENT_MAX) {
    recentClasses.push(currentClass);
    recentNames.push(names);
  }
  return names;
}

function namesOf(field: FieldSchema, currentClass: unknown): AttributeNames {
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
  // FiftyOne merges the writable names of the field and of the class's groups (§6.5): a
  // name writable at either level is written; read-only are the names writable at neither.
  const writable = [
    ...new Set(specs.filter(([, isReadOnly]) => !isReadOnly).map(([name]) => name)),
  ];
  const readOnly = [
    ...new Set(
      specs
        .filter(([name, isReadOnly]) => isReadOnly && !writable.includes(name))
        .map(([name]) => name),
    ),
  ];
  const custom = !writable.some(isBuiltin) && !readOnly.some(isBuiltin);
  const names = { writable, readOnly, custom };
  byClass.set(currentClass, names);
  return names;
}

const isBuiltin = (name: string): boolean =>
  BUILTIN_LABEL_KEYS.has(name) || name in Object.prototype;
