import { z } from 'zod';
import { labelTypeSchema } from '../labels/label-types.js';

/**
 * The dataset's field schema: FiftyOne field type names per field, e.g. `Detections`,
 * `Classification`, `FloatField`, `ListField(StringField)`. Frame fields are listed
 * without their `frames.` prefix.
 */
export const datasetSchemaSchema = z.object({
  mediaType: z.string().min(1),
  sampleFields: z.record(z.string(), z.string()),
  frameFields: z.record(z.string(), z.string()).optional(),
  /** Per-field mask targets, keys are pixel values as strings. */
  maskTargets: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  defaultMaskTargets: z.record(z.string(), z.string()).optional(),
});
export type DatasetSchema = z.infer<typeof datasetSchemaSchema>;

/** Primitive field types a backend may annotate as `scalar`. */
export const SCALAR_FIELD_TYPES = [
  'IntField',
  'FloatField',
  'StringField',
  'BooleanField',
] as const;

/** A normalized attribute spec (SEMANTICS §3.6): `{type, values?, default?, mutable?, readOnly?}`. */
export const attributeSpecSchema = z.object({
  type: z.string().min(1),
  values: z.array(z.unknown()).optional(),
  default: z.unknown().optional(),
  mutable: z.boolean().optional(),
  readOnly: z.boolean().optional(),
});
export type AttributeSpec = z.infer<typeof attributeSpecSchema>;

export const classGroupSchema = z.object({
  classes: z.array(z.string()),
  attributes: z.record(z.string(), attributeSpecSchema),
});
export type ClassGroup = z.infer<typeof classGroupSchema>;

/** One field of a built label schema: FiftyOne's `label_info` (SEMANTICS §3.8) in camelCase. */
export const fieldSchemaSchema = z.object({
  type: labelTypeSchema,
  classes: z.array(z.union([z.string(), classGroupSchema])),
  attributes: z.record(z.string(), attributeSpecSchema),
  /** Segmentation only; keys are pixel values as strings, as FiftyOne stores them. */
  maskTargets: z.record(z.string(), z.string()).optional(),
  existingField: z.boolean(),
  allowAdditions: z.boolean().optional(),
  allowDeletions: z.boolean().optional(),
  allowLabelEdits: z.boolean().optional(),
  allowIndexEdits: z.boolean().optional(),
  allowSpatialEdits: z.boolean().optional(),
  /** Existing trackable frame fields with keyframes: only keyframes are uploaded (§3.9). */
  onlyKeyframes: z.boolean().optional(),
});
export type FieldSchema = z.infer<typeof fieldSchemaSchema>;

/** A built, validated label schema: field name (possibly `frames.x`) → field schema. */
export const labelSchemaSchema = z.record(z.string(), fieldSchemaSchema);
export type LabelSchema = z.infer<typeof labelSchemaSchema>;

/**
 * How a backend suggests an attribute's tool from a name and an example value
 * (FiftyOne's `recommend_attr_tool`): the first matching rule wins.
 */
export const attributeRecommendationSchema = z.object({
  name: z.string().optional(),
  valueKind: z.enum(['boolean', 'integer', 'number', 'string', 'null']).optional(),
  spec: attributeSpecSchema,
});
export type AttributeRecommendation = z.infer<typeof attributeRecommendationSchema>;

/** FiftyOne's backend capability properties (SEMANTICS §4.2), as data. */
export const backendCapabilitiesSchema = z.object({
  name: z.string().min(1),
  supportedMediaTypes: z.array(z.string()),
  supportedLabelTypes: z.array(labelTypeSchema),
  supportedScalarTypes: z.array(z.enum(SCALAR_FIELD_TYPES)),
  supportedAttrTypes: z.array(z.string()),
  attrTypesRequiringValues: z.array(z.string()),
  supportsKeyframes: z.boolean(),
  supportsVideoSampleFields: z.boolean(),
  requiresLabelSchema: z.boolean(),
  supportsClipsViews: z.boolean().default(false),
  /** Whether the tool can edit labels that already exist (Labelbox cannot). */
  editsExistingLabels: z.boolean().default(true),
  attributeRecommendations: z.array(attributeRecommendationSchema),
});
export type BackendCapabilities = z.input<typeof backendCapabilitiesSchema>;

// --- AnnotateOptions: what a caller asks for. Permissive on purpose: the builder reports
// FiftyOne's own errors (missing `type`, bad class dicts) with their codes, not zod's.

// A null `type`/`values` means "not given", as `None` does in FiftyOne's dict specs.
export const attributeSpecInputSchema = z
  .object({
    type: z.string().nullable().optional(),
    values: z.array(z.unknown()).nullable().optional(),
    default: z.unknown().optional(),
    mutable: z.boolean().nullable().optional(),
    readOnly: z.boolean().nullable().optional(),
  })
  .loose();
export type AttributeSpecInput = z.infer<typeof attributeSpecInputSchema>;

export const attributesInputSchema = z.union([
  z.boolean(),
  z.null(),
  z.string(),
  z.array(z.string()),
  z.record(z.string(), z.union([attributeSpecInputSchema, z.null()])),
]);
export type AttributesInput = z.infer<typeof attributesInputSchema>;

export const classesInputSchema = z.array(z.union([z.string(), z.record(z.string(), z.unknown())]));
export type ClassesInput = z.infer<typeof classesInputSchema>;

const maskTargetsInputSchema = z.record(z.string(), z.string());

const restrictionFlags = {
  allowAdditions: z.boolean().optional(),
  allowDeletions: z.boolean().optional(),
  allowLabelEdits: z.boolean().optional(),
  allowIndexEdits: z.boolean().optional(),
  allowSpatialEdits: z.boolean().optional(),
};

export const fieldSpecInputSchema = z
  .object({
    type: z.string().optional(),
    classes: classesInputSchema.nullable().optional(),
    attributes: attributesInputSchema.optional(),
    maskTargets: maskTargetsInputSchema.nullable().optional(),
    ...restrictionFlags,
  })
  .loose();
export type FieldSpecInput = z.infer<typeof fieldSpecInputSchema>;

export const annotateOptionsSchema = z.object({
  labelSchema: z
    .union([z.record(z.string(), z.union([fieldSpecInputSchema, z.null()])), z.array(z.string())])
    .nullable()
    .optional(),
  labelField: z.string().min(1).nullable().optional(),
  labelType: z.string().nullable().optional(),
  classes: classesInputSchema.nullable().optional(),
  attributes: attributesInputSchema.optional(),
  maskTargets: maskTargetsInputSchema.nullable().optional(),
  ...restrictionFlags,
});
export type AnnotateOptions = z.input<typeof annotateOptionsSchema>;
