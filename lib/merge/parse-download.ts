import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import type { LabelRecord } from '../labels/attributes.js';
import { isRecord } from '../labels/json.js';
import type { ReturnType } from '../labels/label-types.js';
import {
  labelIdSchema,
  type Scalar,
  SINGLE_LABEL_CLASSES,
  scalarSchema,
} from '../labels/schemas.js';
import { isPlainClassification, isPlainDetection } from './fast-guards.js';
import type { DownloadedLabels } from './merge-labels.js';
import type { DownloadedScalars } from './merge-scalars.js';

const ELEMENT_SCHEMAS: Record<Exclude<ReturnType, 'scalar'>, z.ZodType> = {
  classifications: SINGLE_LABEL_CLASSES.Classification.schema,
  detections: SINGLE_LABEL_CLASSES.Detection.schema,
  polylines: SINGLE_LABEL_CLASSES.Polyline.schema,
  keypoints: SINGLE_LABEL_CLASSES.Keypoint.schema,
  segmentation: SINGLE_LABEL_CLASSES.Segmentation.schema,
};

const FAST_GUARDS: Partial<Record<ReturnType, (value: unknown) => boolean>> = {
  detections: isPlainDetection,
  classifications: isPlainClassification,
};

const anyRecord = z.record(z.string(), z.unknown());

function requireRecord(value: unknown, where: string): Record<string, unknown> {
  return isRecord(value) ? value : parseInput(anyRecord, value, where);
}

/**
 * Checks one return type of a tool's download against the label shapes and turns it into
 * per-sample, per-frame lists. Each label takes the id it is keyed by. A label that does not
 * parse fails the whole merge with the path of the culprit, before anything is merged.
 */
export function parseDownloadedLabels(
  raw: Record<string, unknown>,
  returnType: Exclude<ReturnType, 'scalar'>,
  isFrameField: boolean,
  where: string,
): DownloadedLabels {
  const schema = ELEMENT_SCHEMAS[returnType];
  const fastGuard = FAST_GUARDS[returnType];
  const out: DownloadedLabels = new Map();
  const parseLabels = (labels: unknown, path: string): LabelRecord[] => {
    const list: LabelRecord[] = [];
    for (const [labelId, label] of Object.entries(requireRecord(labels, path))) {
      if (!labelIdSchema.safeParse(labelId).success)
        parseInput(labelIdSchema, labelId, `label id key in ${path}`);
      const withId = isRecord(label) ? { ...label, id: labelId } : label;
      if (fastGuard?.(withId)) {
        list.push(withId as LabelRecord);
        continue;
      }
      const parsed = schema.safeParse(withId);
      if (!parsed.success) parseInput(schema, withId, `${path}['${labelId}']`);
      list.push(parsed.data as LabelRecord);
    }
    return list;
  };
  for (const [sampleId, value] of Object.entries(raw)) {
    const path = `${where}['${sampleId}']`;
    const frames = new Map<string, LabelRecord[]>();
    if (isFrameField) {
      for (const [frameKey, labels] of Object.entries(requireRecord(value, path))) {
        frames.set(frameKey, parseLabels(labels, `${path}['${frameKey}']`));
      }
    } else {
      frames.set('', parseLabels(value, path));
    }
    out.set(sampleId, frames);
  }
  return out;
}

/** The scalar counterpart: `{sampleId: value}` or `{sampleId: {frameKey: value}}`. */
export function parseDownloadedScalars(
  raw: Record<string, unknown>,
  isFrameField: boolean,
  where: string,
): DownloadedScalars {
  const out: DownloadedScalars = new Map();
  for (const [sampleId, value] of Object.entries(raw)) {
    const path = `${where}['${sampleId}']`;
    const frames = new Map<string, Scalar>();
    if (isFrameField) {
      for (const [frameKey, frameValue] of Object.entries(requireRecord(value, path))) {
        frames.set(frameKey, parseInput(scalarSchema, frameValue, `${path}['${frameKey}']`));
      }
    } else {
      frames.set('', parseInput(scalarSchema, value, path));
    }
    out.set(sampleId, frames);
  }
  return out;
}
