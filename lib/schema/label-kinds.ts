import type { LabelRecord } from '../labels/attributes.js';
import {
  isListClass,
  LABEL_TYPES,
  type LabelClass,
  type LabelType,
  LIST_CONTAINERS,
} from '../labels/label-types.js';
import { isRecord } from './format.js';

/**
 * The label classes an existing field may hold and the label types it can be annotated as
 * (SEMANTICS §3.2). Where there are two, the first is the default when no type is given:
 * boxes rather than instances, filled polygons rather than polylines.
 */
export const ANNOTATABLE_CLASSES = {
  Classification: ['classification'],
  Classifications: ['classifications'],
  Detection: ['detection', 'instance'],
  Detections: ['detections', 'instances'],
  Polyline: ['polygon', 'polyline'],
  Polylines: ['polygons', 'polylines'],
  Keypoint: ['keypoint'],
  Keypoints: ['keypoints'],
  Segmentation: ['segmentation'],
} as const satisfies Record<LabelClass, readonly LabelType[]>;

export function isAnnotatableClass(name: string): name is keyof typeof ANNOTATABLE_CLASSES {
  return Object.hasOwn(ANNOTATABLE_CLASSES, name);
}

function hasMask(label: LabelRecord): boolean {
  return label.mask != null || label.mask_path != null;
}

/**
 * The multi-type narrowing of SEMANTICS §3.2 (`_select_labels_with_type`): a field of a class
 * that holds two kinds is annotated as one kind only, and labels of the other kind are neither
 * uploaded nor recorded. Returns `undefined` for types whose class holds one kind only.
 * A Detection has a mask when either `mask` or `mask_path` is set (both are instance masks);
 * a Polyline without `filled` is unfilled, FiftyOne's default.
 */
export function kindFilter(type: LabelType): ((label: LabelRecord) => boolean) | undefined {
  switch (type) {
    case 'detection':
    case 'detections':
      return (label) => !hasMask(label);
    case 'instance':
    case 'instances':
      return hasMask;
    case 'polygon':
    case 'polygons':
      return (label) => label.filled === true;
    case 'polyline':
    case 'polylines':
      return (label) => label.filled !== true;
    default:
      return undefined;
  }
}

/** The class a field of this label type stores (`null` for scalars). */
export function storedClass(type: LabelType): LabelClass | null {
  return LABEL_TYPES[type].storedAs;
}

/**
 * The labels a field value holds: the elements of a list container, or the single label.
 * Anything else (null, a malformed value) holds none.
 */
export function labelsOf(value: unknown, cls: LabelClass): LabelRecord[] {
  if (!isRecord(value)) return [];
  if (!isListClass(cls)) return [value];
  const list = value[LIST_CONTAINERS[cls].listKey];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}
