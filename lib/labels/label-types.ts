import { z } from 'zod';

/**
 * The `label_type` strings of `annotate()` and what they mean (SEMANTICS §1.1):
 * the class a field stores, the key a backend returns them under, and for list
 * containers the key of the list.
 */
export const LABEL_TYPES = {
  classification: { storedAs: 'Classification', returnType: 'classifications' },
  classifications: { storedAs: 'Classifications', returnType: 'classifications' },
  detection: { storedAs: 'Detection', returnType: 'detections' },
  detections: { storedAs: 'Detections', returnType: 'detections' },
  instance: { storedAs: 'Detection', returnType: 'detections' },
  instances: { storedAs: 'Detections', returnType: 'detections' },
  polyline: { storedAs: 'Polyline', returnType: 'polylines' },
  polylines: { storedAs: 'Polylines', returnType: 'polylines' },
  polygon: { storedAs: 'Polyline', returnType: 'polylines' },
  polygons: { storedAs: 'Polylines', returnType: 'polylines' },
  keypoint: { storedAs: 'Keypoint', returnType: 'keypoints' },
  keypoints: { storedAs: 'Keypoints', returnType: 'keypoints' },
  segmentation: { storedAs: 'Segmentation', returnType: 'segmentation' },
  scalar: { storedAs: null, returnType: 'scalar' },
} as const satisfies Record<string, { storedAs: LabelClass | null; returnType: ReturnType }>;

export const labelTypeSchema = z.enum([
  'classification',
  'classifications',
  'detection',
  'detections',
  'instance',
  'instances',
  'polyline',
  'polylines',
  'polygon',
  'polygons',
  'keypoint',
  'keypoints',
  'segmentation',
  'scalar',
]);
export type LabelType = z.infer<typeof labelTypeSchema>;

export const returnTypeSchema = z.enum([
  'classifications',
  'detections',
  'polylines',
  'keypoints',
  'segmentation',
  'scalar',
]);
export type ReturnType = z.infer<typeof returnTypeSchema>;

export type LabelClass =
  | 'Classification'
  | 'Classifications'
  | 'Detection'
  | 'Detections'
  | 'Polyline'
  | 'Polylines'
  | 'Keypoint'
  | 'Keypoints'
  | 'Segmentation';

export type SingleLabelClass =
  | 'Classification'
  | 'Detection'
  | 'Polyline'
  | 'Keypoint'
  | 'Segmentation';
export type ListLabelClass = 'Classifications' | 'Detections' | 'Polylines' | 'Keypoints';

/** List containers: their list key and the class of their elements. */
export const LIST_CONTAINERS = {
  Classifications: { listKey: 'classifications', element: 'Classification' },
  Detections: { listKey: 'detections', element: 'Detection' },
  Polylines: { listKey: 'polylines', element: 'Polyline' },
  Keypoints: { listKey: 'keypoints', element: 'Keypoint' },
} as const satisfies Record<ListLabelClass, { listKey: string; element: SingleLabelClass }>;

/** Where each return type lands when kept as an unexpected label (`unexpected: 'keep'`). */
export const RETURN_TYPE_STORAGE = {
  classifications: 'Classifications',
  detections: 'Detections',
  polylines: 'Polylines',
  keypoints: 'Keypoints',
  segmentation: 'Segmentation',
  scalar: null,
} as const satisfies Record<ReturnType, LabelClass | null>;

export function isListClass(cls: string): cls is ListLabelClass {
  return cls in LIST_CONTAINERS;
}

/** Return types whose labels have a `label` (class) attribute that can be edited. */
export const RETURN_TYPES_WITH_LABEL: ReadonlySet<ReturnType> = new Set([
  'classifications',
  'detections',
  'polylines',
  'keypoints',
]);
/** Return types with geometry (SEMANTICS §3.4, §3.8). */
export const SPATIAL_RETURN_TYPES: ReadonlySet<ReturnType> = new Set([
  'detections',
  'polylines',
  'keypoints',
  'segmentation',
]);
/** Return types that form tracks in video frame fields (SEMANTICS §3.8, §6.7). */
export const TRACKABLE_RETURN_TYPES: ReadonlySet<ReturnType> = new Set([
  'detections',
  'polylines',
  'keypoints',
]);

/** Fields that belong to a label class itself; everything else on a label is a custom attribute. */
export const BUILTIN_LABEL_KEYS: ReadonlySet<string> = new Set([
  '_cls',
  'id',
  '_id',
  'tags',
  'label',
  'confidence',
  'logits',
  'bounding_box',
  'mask',
  'mask_path',
  'index',
  'attributes',
  'points',
  'closed',
  'filled',
]);

/** Frame fields are addressed as `frames.<name>`. */
export const FRAMES_PREFIX = 'frames.';

export function isFrameField(path: string): boolean {
  return path.startsWith(FRAMES_PREFIX);
}

export function stripFramesPrefix(path: string): string {
  return isFrameField(path) ? path.slice(FRAMES_PREFIX.length) : path;
}
