import { type LabelType, labelTypeSchema } from '../labels/label-types.js';
import type { BackendCapabilities } from './types.js';

const ALL_LABEL_TYPES: LabelType[] = [...labelTypeSchema.options];

const text = { type: 'text', values: [] };

/**
 * CVAT (SEMANTICS §3.6, §4.2): every label type, instances and segmentations as CVAT mask
 * shapes. Values for text/checkbox on CVAT ≥ 2.5 are the client's check.
 */
export const CVAT_CAPABILITIES: BackendCapabilities = {
  name: 'cvat',
  supportedMediaTypes: ['image', 'video'],
  supportedLabelTypes: ALL_LABEL_TYPES,
  supportedScalarTypes: ['IntField', 'FloatField', 'StringField', 'BooleanField'],
  supportedAttrTypes: ['text', 'select', 'radio', 'checkbox', 'occluded', 'group_id'],
  attrTypesRequiringValues: ['select', 'radio'],
  supportsKeyframes: true,
  supportsVideoSampleFields: false,
  requiresLabelSchema: false,
  attributeRecommendations: [
    { name: 'occluded', valueKind: 'boolean', spec: { type: 'occluded' } },
    { valueKind: 'boolean', spec: { type: 'checkbox', values: [true, false] } },
    { name: 'group_id', valueKind: 'integer', spec: { type: 'group_id' } },
    { spec: text },
  ],
};

/** Label Studio: images only, no `classifications`, no attributes, no scalar fields. */
export const LABEL_STUDIO_CAPABILITIES: BackendCapabilities = {
  name: 'labelstudio',
  supportedMediaTypes: ['image'],
  supportedLabelTypes: ALL_LABEL_TYPES.filter((type) => type !== 'classifications'),
  supportedScalarTypes: [],
  supportedAttrTypes: [],
  attrTypesRequiringValues: [],
  supportsKeyframes: false,
  supportsVideoSampleFields: false,
  requiresLabelSchema: true,
  attributeRecommendations: [{ spec: text }],
};

/** Labelbox: cannot edit existing labels (refused before the run is registered). */
export const LABELBOX_CAPABILITIES: BackendCapabilities = {
  name: 'labelbox',
  supportedMediaTypes: ['image', 'video'],
  supportedLabelTypes: ALL_LABEL_TYPES,
  supportedScalarTypes: ['IntField', 'FloatField', 'StringField', 'BooleanField'],
  supportedAttrTypes: ['text', 'select', 'radio', 'checkbox'],
  attrTypesRequiringValues: ['select', 'radio', 'checkbox'],
  supportsKeyframes: false,
  supportsVideoSampleFields: false,
  requiresLabelSchema: true,
  editsExistingLabels: false,
  attributeRecommendations: [
    { valueKind: 'boolean', spec: { type: 'radio', values: [true, false] } },
    { spec: { type: 'text' } },
  ],
};

/**
 * The `files` backend (annoflow's own): task manifests in S3, results as files. It has no
 * tool limits, so it supports everything FiftyOne can express, including sample-level
 * fields on videos (a classification of the whole clip).
 */
export const FILES_CAPABILITIES: BackendCapabilities = {
  name: 'files',
  supportedMediaTypes: ['image', 'video'],
  supportedLabelTypes: ALL_LABEL_TYPES,
  supportedScalarTypes: ['IntField', 'FloatField', 'StringField', 'BooleanField'],
  supportedAttrTypes: ['text', 'select', 'radio', 'checkbox'],
  attrTypesRequiringValues: ['select', 'radio'],
  supportsKeyframes: true,
  supportsVideoSampleFields: true,
  requiresLabelSchema: true,
  attributeRecommendations: [
    { valueKind: 'boolean', spec: { type: 'checkbox', values: [true, false] } },
    { spec: text },
  ],
};

export const BUILTIN_CAPABILITIES: Readonly<Record<string, BackendCapabilities>> = {
  cvat: CVAT_CAPABILITIES,
  labelstudio: LABEL_STUDIO_CAPABILITIES,
  labelbox: LABELBOX_CAPABILITIES,
  files: FILES_CAPABILITIES,
};
