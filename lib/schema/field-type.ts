import { LabelSchemaError } from '../errors/index.js';
import type { LabelRecord } from '../labels/attributes.js';
import {
  isFrameField,
  LABEL_TYPES,
  type LabelType,
  labelTypeSchema,
  SPATIAL_RETURN_TYPES,
  stripFramesPrefix,
} from '../labels/label-types.js';
import type { RequestedField } from './entry-forms.js';
import { pyList } from './format.js';
import { ANNOTATABLE_CLASSES, isAnnotatableClass, kindFilter } from './label-kinds.js';
import type { BackendCapabilities, DatasetSchema } from './types.js';

/** A field after the checks that need no samples: type (§3.2), support (§3.3), placement (§3.4). */
export interface ResolvedField extends RequestedField {
  readonly type: LabelType;
  readonly existing: boolean;
  /**
   * Set when the existing field's class holds two kinds (boxes/instances, polygons/polylines):
   * keeps the labels of the chosen kind. Inference and uploads see only those.
   */
  readonly kind: ((label: LabelRecord) => boolean) | undefined;
  readonly warnings: readonly string[];
}

/**
 * Resolves a field's label type the way FiftyOne's `_get_label_type` does, then checks that the
 * backend supports it and that it may live where it is on a video. Throws the first failure.
 */
export function resolveField(
  field: RequestedField,
  dataset: DatasetSchema,
  backend: BackendCapabilities,
): ResolvedField {
  const { name, spec } = field;
  const warnings: string[] = [];
  const fieldType = existingFieldType(name, dataset);
  let requested: string;
  let allowed: readonly string[] = [];
  if (fieldType === undefined) {
    if (spec.type == null) {
      throw new LabelSchemaError(
        'SCHEMA_TYPE_REQUIRED',
        `You must specify a type for new label field '${name}'`,
        { field: name },
      );
    }
    requested = spec.type;
  } else {
    allowed = allowedTypes(name, fieldType, backend);
    if (spec.type != null && !allowed.includes(spec.type)) {
      const actual = allowed.length === 1 ? allowed[0] : pyList(allowed);
      throw new LabelSchemaError(
        'LABEL_TYPE_MISMATCH',
        `Manually reported label type '${spec.type}' for existing field '${name}' does not match its actual type '${actual}'`,
        { field: name, type: spec.type, allowed },
      );
    }
    requested = spec.type ?? (allowed[0] as string);
    if (spec.type == null && allowed.length > 1) {
      warnings.push(
        `Found existing field '${name}' with multiple types ${pyList(allowed)}. Only the '${requested}' will be annotated`,
      );
    }
  }
  const type = supportedType(name, requested, backend);
  checkVideoPlacement(name, type, dataset, backend);
  return {
    ...field,
    type,
    existing: fieldType !== undefined,
    kind: allowed.length > 1 ? kindFilter(type) : undefined,
    warnings,
  };
}

/** The FiftyOne type name of an existing field, or `undefined` for a new field. */
export function existingFieldType(name: string, dataset: DatasetSchema): string | undefined {
  const fields = isFrameField(name) ? dataset.frameFields : dataset.sampleFields;
  const key = stripFramesPrefix(name);
  return fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
}

// `EmbeddedDocumentField(Detections)` is how FiftyOne prints a label field's type.
function unwrapDocumentField(typeName: string): string {
  return /^EmbeddedDocumentField\((.+)\)$/.exec(typeName)?.[1] ?? typeName;
}

function isPrimitiveType(typeName: string): boolean {
  return typeName.endsWith('Field') || typeName.startsWith('ListField(');
}

/** FiftyOne's `_get_existing_label_type`: the label types an existing field can be annotated as. */
function allowedTypes(
  name: string,
  fieldType: string,
  backend: BackendCapabilities,
): readonly string[] {
  const typeName = unwrapDocumentField(fieldType);
  if (isAnnotatableClass(typeName)) return ANNOTATABLE_CLASSES[typeName];
  if (!isPrimitiveType(typeName)) {
    throw new LabelSchemaError(
      'UNSUPPORTED_FIELD_TYPE',
      `Field '${name}' has unsupported type ${typeName}`,
      { field: name, fieldType: typeName },
    );
  }
  const scalarTypes: readonly string[] = backend.supportedScalarTypes;
  if (!scalarTypes.includes(typeName)) {
    throw new LabelSchemaError(
      'UNSUPPORTED_SCALAR_TYPE',
      `Field '${name}' has unsupported scalar type ${typeName}. The '${backend.name}' backend supports ${pyList(scalarTypes)}`,
      { field: name, fieldType: typeName, backend: backend.name },
    );
  }
  return ['scalar'];
}

function supportedType(name: string, requested: string, backend: BackendCapabilities): LabelType {
  const parsed = labelTypeSchema.safeParse(requested);
  if (!parsed.success || !backend.supportedLabelTypes.includes(parsed.data)) {
    throw new LabelSchemaError(
      'UNSUPPORTED_LABEL_TYPE',
      `Field '${name}' has unsupported label type '${requested}'. The '${backend.name}' backend supports ${pyList(backend.supportedLabelTypes)}`,
      { field: name, type: requested, backend: backend.name },
    );
  }
  return parsed.data;
}

function checkVideoPlacement(
  name: string,
  type: LabelType,
  dataset: DatasetSchema,
  backend: BackendCapabilities,
): void {
  if (dataset.mediaType !== 'video' || isFrameField(name)) return;
  if (SPATIAL_RETURN_TYPES.has(LABEL_TYPES[type].returnType)) {
    throw new LabelSchemaError(
      'VIDEO_SPATIAL_FIELD_NOT_FRAME_LEVEL',
      `Invalid label field '${name}'. Spatial labels of type '${type}' being annotated on a video must be stored in a frame-level field, i.e., one that starts with 'frames.'`,
      { field: name, type },
    );
  }
  if (!backend.supportsVideoSampleFields) {
    throw new LabelSchemaError(
      'VIDEO_SAMPLE_FIELD_UNSUPPORTED',
      `Invalid label field '${name}'. Backend '${backend.name}' does not support annotating video fields at a sample-level; use a frame-level field, i.e., one that starts with 'frames.'`,
      { field: name, type, backend: backend.name },
    );
  }
}
