import fc from 'fast-check';
import {
  LABEL_TYPES,
  type LabelType,
  labelTypeSchema,
  returnTypeSchema,
} from '../../../lib/labels/index.js';

/**
 * Random merge runs, broad on purpose: image and video datasets, sample and frame fields of
 * every label type, restriction flags, read-only field and class attributes, keyframes, tracks
 * (index), legacy attribute dicts, ids pasted across slots, stale and boolean id-map entries,
 * frames keyed by number, by id, by both or by an unknown id, new frames, deleted samples,
 * destField renames and the three unexpected-label policies. These are specs; `buildRun`
 * (build-run.ts) turns one into a MergeInput deterministically, so fast-check shrinks specs.
 */
export const CLASSES = ['cat', 'dog', 'bird', null] as const;
// 'confidence' is a builtin label key: a schema attribute of that name must still behave.
export const ATTR_NAMES = ['occluded', 'color', 'size', 'truncated', 'confidence'] as const;
const ATTR_VALUES = [true, false, 'red', 'blue', 1, 2, null] as const;
const BOXES = [[0.1, 0.1, 0.2, 0.2], [0.5, 0.5, 0.1, 0.3], [0, 0, 1, 1], null] as const;
const POLYS = [
  [
    [
      [0, 0],
      [1, 1],
      [0, 1],
    ],
  ],
  [
    [
      [0.2, 0.2],
      [0.4, 0.4],
    ],
  ],
  [],
  [[[0, 0]], [[1, 1]]],
];
const KPTS = [[[0.1, 0.1]], [[0.3, null]], [], [[0.9, 0.9]]];
const MASKS = [[[0, 1]], [[1, 1]], [[0]], null];
export const SCALARS = [null, 0, 1, 2.5, 'a', 'b', true, false] as const;
// The download's return types, in the schema's order (generated specs index into it).
export const RETURN_TYPES = returnTypeSchema.options;
const ELEMENT: Record<string, string> = {
  classifications: 'Classification',
  detections: 'Detection',
  polylines: 'Polyline',
  keypoints: 'Keypoint',
  segmentation: 'Segmentation',
};

const small = (max: number) => fc.nat({ max });
const optBool = fc.constantFrom(undefined, true, false);
const weighted = <T>(common: T, rare: T, odds: number) =>
  fc.oneof(
    { weight: odds, arbitrary: fc.constant(common) },
    { weight: 1, arbitrary: fc.constant(rare) },
  );
const attrs = fc.array(fc.tuple(small(ATTR_NAMES.length - 1), small(ATTR_VALUES.length - 1)), {
  maxLength: 3,
});

export const labelValue = fc.record({
  cls: small(3),
  geo: small(3),
  index: fc.constantFrom<number | null | undefined>(undefined, null, 0, 1, 2, 3),
  keyframe: fc.constantFrom(undefined, null, true, false),
  attrs,
  // 0: top-level attributes; 1: legacy dict of wrappers; 2: legacy dict of raw values.
  legacy: fc.constantFrom(0, 0, 0, 1, 2),
  conf: fc.constantFrom(undefined, 0.5, 0.9),
});
export type LabelValue = typeof labelValue extends fc.Arbitrary<infer T> ? T : never;

const editSpec = fc.record({
  cls: fc.option(small(3), { nil: undefined }),
  geo: fc.option(small(3), { nil: undefined }),
  index: fc.option(fc.constantFrom(null, 0, 1, 2, 5), { nil: undefined }),
  keyframe: fc.option(fc.constantFrom(null, true, false), { nil: undefined, freq: 3 }),
  attrs: fc.option(attrs, { nil: undefined }),
  legacy: fc.option(fc.constantFrom(0, 1, 2), { nil: undefined, freq: 3 }),
});
export type EditSpec = typeof editSpec extends fc.Arbitrary<infer T> ? T : never;

const storedLabel = fc.record({
  value: labelValue,
  uploaded: weighted(true, false, 6),
  fate: fc.constantFrom('keep', 'keep', 'same-format', 'edit', 'edit', 'delete'),
  edit: editSpec,
  withId: fc.boolean(),
});
const slotSpec = fc.record({
  state: fc.constantFrom('present', 'present', 'present', 'present', 'null', 'absent'),
  labels: fc.array(storedLabel, { maxLength: 4 }),
  added: fc.array(labelValue, { maxLength: 2 }),
  pastes: fc.array(fc.tuple(small(1000), labelValue), { maxLength: 2 }),
  order: fc.constantFrom('same', 'same', 'reverse', 'rotate'),
  inDownload: weighted(true, false, 4),
  idMapMode: fc.constantFrom(
    'normal',
    'normal',
    'normal',
    'normal',
    'absent',
    'bool',
    'stale',
    'staleReturned',
    // The slot's recorded ids listed twice over (a replayed record), first one first.
    'repeated',
  ),
  emptyGroup: weighted(false, true, 8),
  frameKey: fc.constantFrom('id', 'id', 'number', 'number', 'both', 'unknown'),
  scalarStored: small(SCALARS.length), // SCALARS.length → absent
  scalarRec: fc.constantFrom('none', 'true', 'false'),
  scalarDl: small(SCALARS.length), // SCALARS.length → not downloaded
});
export type SlotSpec = typeof slotSpec extends fc.Arbitrary<infer T> ? T : never;

// A group of no class, or with no attribute, changes nothing: rare, so that edits of group
// attributes are common enough to be seen landing.
const classGroup = fc.record({
  classes: fc.oneof(
    { weight: 5, arbitrary: fc.subarray(['cat', 'dog', 'bird'], { minLength: 1 }) },
    { weight: 1, arbitrary: fc.constant([]) },
  ),
  attrs: fc.array(fc.tuple(small(ATTR_NAMES.length - 1), fc.boolean()), {
    minLength: 1,
    maxLength: 2,
  }),
});
const fieldSpec = fc.record({
  type: fc.constantFrom(...labelTypeSchema.options),
  frame: fc.boolean(),
  flags: fc.tuple(optBool, optBool, optBool, optBool, optBool),
  onlyKeyframes: optBool,
  existingField: fc.boolean(),
  inDataset: weighted(true, false, 4),
  attrs: fc.array(fc.tuple(small(ATTR_NAMES.length - 1), fc.boolean()), { maxLength: 3 }),
  classes: fc.array(fc.oneof(fc.constantFrom('cat', 'dog', 'bird'), classGroup), { maxLength: 3 }),
});
export type FieldSpec = typeof fieldSpec extends fc.Arbitrary<infer T> ? T : never;

const sampleSpec = fc.record({
  frames: small(3),
  sparse: weighted(false, true, 5),
  slots: fc.array(slotSpec, { minLength: 1, maxLength: 6 }),
  newFrame: weighted(false, true, 8),
});
const unexpectedSpec = fc.record({
  field: small(3),
  rt: small(RETURN_TYPES.length - 1),
  sample: small(5),
  frame: small(3),
  values: fc.array(labelValue, { minLength: 1, maxLength: 2 }),
  recordedIn: fc.boolean(),
});
export const runSpec = fc.record({
  video: fc.boolean(),
  fields: fc.array(fieldSpec, { minLength: 1, maxLength: 3 }),
  samples: fc.array(sampleSpec, { minLength: 1, maxLength: 4 }),
  destField: fc.constantFrom('none', 'none', 'none', 'string', 'map', 'mapAll'),
  unexpectedPolicy: fc.constantFrom(undefined, 'keep', 'ignore', 'return'),
  unexpected: fc.array(unexpectedSpec, { maxLength: 3 }),
  keepTargetStored: weighted(false, true, 4),
  ghostDownload: weighted(false, true, 5),
  ghostIdMap: weighted(false, true, 5),
});
export type RunSpec = typeof runSpec extends fc.Arbitrary<infer T> ? T : never;

export const storedAsOf = (type: LabelType): string | null => LABEL_TYPES[type].storedAs;
export const returnTypeOf = (type: LabelType): string => LABEL_TYPES[type].returnType;

/** A label of return type `rt` in the download's (and the dataset's) JSON form. */
export function renderLabel(rt: string, v: LabelValue, id?: string): Record<string, unknown> {
  const cls = ELEMENT[rt] as string;
  const out: Record<string, unknown> = { _cls: cls };
  if (id !== undefined) out.id = id;
  if (cls !== 'Segmentation') out.label = CLASSES[v.cls];
  if (cls === 'Detection') {
    out.bounding_box = structuredClone(BOXES[v.geo]);
    if (v.geo === 2) out.mask = structuredClone(MASKS[v.cls % 3]);
  } else if (cls === 'Polyline') {
    out.points = structuredClone(POLYS[v.geo]);
    out.closed = v.geo % 2 === 0;
    out.filled = v.geo === 1;
  } else if (cls === 'Keypoint') out.points = structuredClone(KPTS[v.geo]);
  else if (cls === 'Segmentation') out.mask = structuredClone(MASKS[v.geo]);
  if (cls === 'Detection' || cls === 'Polyline' || cls === 'Keypoint') {
    if (v.index !== undefined) out.index = v.index;
    if (v.keyframe !== undefined) out.keyframe = v.keyframe;
  }
  if (v.conf !== undefined && cls !== 'Keypoint' && cls !== 'Segmentation') out.confidence = v.conf;
  const legacy: Record<string, unknown> = {};
  for (const [n, a] of v.attrs) {
    const name = ATTR_NAMES[n] as string;
    const value = ATTR_VALUES[a];
    if (name === 'confidence') continue;
    if (v.legacy === 0 || cls === 'Segmentation') out[name] = value;
    else legacy[name] = v.legacy === 1 ? { _cls: 'CategoricalAttribute', value } : value;
  }
  if (Object.keys(legacy).length > 0) out.attributes = legacy;
  return out;
}

export function applyEdit(v: LabelValue, e: EditSpec): LabelValue {
  return {
    ...v,
    cls: e.cls ?? v.cls,
    geo: e.geo ?? v.geo,
    index: e.index !== undefined ? e.index : v.index,
    keyframe: e.keyframe !== undefined ? e.keyframe : v.keyframe,
    attrs: e.attrs ?? v.attrs,
    legacy: e.legacy ?? v.legacy,
  };
}

const FLAGS = [
  'allowAdditions',
  'allowDeletions',
  'allowLabelEdits',
  'allowIndexEdits',
  'allowSpatialEdits',
];

/** A run-schema field (FieldSchema input) from its spec. */
export function fieldSchema(f: FieldSpec): Record<string, unknown> {
  const schema: Record<string, unknown> = {
    type: f.type,
    classes: f.classes.map((c) =>
      typeof c === 'string'
        ? c
        : { classes: c.classes, attributes: attributeSpecs(c.attrs, 'text') },
    ),
    attributes: attributeSpecs(f.attrs, 'checkbox'),
    existingField: f.existingField,
  };
  f.flags.forEach((value, k) => {
    if (value !== undefined) schema[FLAGS[k] as string] = value;
  });
  if (f.onlyKeyframes !== undefined) schema.onlyKeyframes = f.onlyKeyframes;
  return schema;
}

function attributeSpecs(specs: Array<[number, boolean]>, type: string): Record<string, unknown> {
  return Object.fromEntries(
    specs.map(([n, readOnly]) => [ATTR_NAMES[n], readOnly ? { type, readOnly } : { type }]),
  );
}
