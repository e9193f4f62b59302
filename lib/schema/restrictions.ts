import {
  isFrameField,
  LABEL_TYPES,
  type LabelType,
  RETURN_TYPES_WITH_LABEL,
  SPATIAL_RETURN_TYPES,
  TRACKABLE_RETURN_TYPES,
} from '../labels/label-types.js';
import { RESTRICTION_FLAGS, type RestrictionFlag } from './entry-forms.js';
import type { ResolvedField } from './field-type.js';
import type { FieldObservations } from './scan.js';
import type { BackendCapabilities, FieldSchema } from './types.js';

/** A frame field whose labels form tracks (detections, polylines, keypoints). */
export function isTrackableFrameField(name: string, type: LabelType): boolean {
  return isFrameField(name) && TRACKABLE_RETURN_TYPES.has(LABEL_TYPES[type].returnType);
}

/**
 * SEMANTICS §3.8: only existing fields store restriction flags, and only those that can apply
 * to their return type. A flag given nowhere is stored as `true`, the merge's default, so the
 * stored schema alone says what the merge will allow.
 */
export function restrictionFlags(field: ResolvedField): Pick<FieldSchema, RestrictionFlag> {
  if (!field.existing) return {};
  const returnType = LABEL_TYPES[field.type].returnType;
  const applies: Record<RestrictionFlag, boolean> = {
    allowAdditions: true,
    allowDeletions: true,
    allowLabelEdits: RETURN_TYPES_WITH_LABEL.has(returnType),
    allowIndexEdits: isTrackableFrameField(field.name, field.type),
    allowSpatialEdits: SPATIAL_RETURN_TYPES.has(returnType),
  };
  const out: Pick<FieldSchema, RestrictionFlag> = {};
  for (const flag of RESTRICTION_FLAGS) {
    if (applies[flag]) out[flag] = field.spec[flag] ?? true;
  }
  return out;
}

/**
 * SEMANTICS §3.9 for existing trackable frame fields: when any (kind-narrowed) label is marked
 * `keyframe: true`, only keyframes are uploaded, unless the backend cannot, which is warned.
 * Keyframe values that are all false are warned too: every label is then uploaded.
 */
export function onlyKeyframes(
  field: ResolvedField,
  observations: FieldObservations | undefined,
  backend: BackendCapabilities,
  warnings: string[],
): boolean {
  const anyTrue = observations?.keyframeTrueSeen ?? false;
  if (anyTrue && !backend.supportsKeyframes) {
    warnings.push(
      `The '${backend.name}' backend does not support uploading only keyframes when editing existing video tracks`,
    );
    return false;
  }
  if (!anyTrue && observations?.keyframeValueSeen) {
    warnings.push(
      `No keyframes found for existing labels in field '${field.name}'. All labels will be uploaded`,
    );
  }
  return anyTrue;
}
