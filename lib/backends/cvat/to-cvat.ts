import { InvalidInputError } from '../../errors/index.js';
import type { LabelSchema } from '../../schema/types.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { CvatLabel } from './api.js';
import { boxToCvat, pointsToCvat } from './coordinates.js';
import {
  attributeText,
  type CvatLabelBinding,
  type CvatLabelPlan,
  LABEL_ID_ATTR,
  SCALAR_VALUE_ATTR,
} from './label-specs.js';

type Json = Record<string, unknown>;

export interface CvatUpload {
  shapes: Json[];
  tags: Json[];
}

const LIST_KEYS: Record<string, string> = {
  classifications: 'classifications',
  detections: 'detections',
  polylines: 'polylines',
  polygons: 'polylines',
  keypoints: 'keypoints',
};

/**
 * The existing labels of a task's samples as CVAT shapes and tags (`LabeledDataRequest`
 * parts), frame `k` being the task's `k`-th sample. Every item carries its label id in the
 * `label_id` attribute, so download finds it whatever CVAT does to server ids.
 *
 * @throws InvalidInputError for a label whose class has no CVAT label (the core only sends
 *   labels of the run's classes, so this is a schema the plan was not built from).
 */
export function toCvatAnnotations(input: {
  samples: readonly UploadSample[];
  frames: ReadonlyArray<{ width: number; height: number }>;
  plan: CvatLabelPlan;
  labelSchema: LabelSchema;
  labels: ReadonlyMap<string, CvatLabel>;
}): CvatUpload {
  const { samples, frames, plan, labels } = input;
  const out: CvatUpload = { shapes: [], tags: [] };
  samples.forEach((sample, frame) => {
    const size = frames[frame];
    if (!size) throw new InvalidInputError(`CVAT has no frame ${frame} for sample '${sample.id}'`);
    for (const [field, schema] of Object.entries(input.labelSchema)) {
      const value = sample.fields[field];
      if (value === null || value === undefined) continue;
      if (schema.type === 'scalar') {
        out.tags.push(scalarTag(field, value, frame, plan, input.labels, sample.id));
        continue;
      }
      const listKey = LIST_KEYS[schema.type];
      const items = (
        listKey ? (((value as Json)[listKey] as Json[] | undefined) ?? []) : [value]
      ) as Json[];
      for (const label of items) {
        const className = String(label.label);
        const labelName = plan.nameOf(field, className);
        const binding = labelName ? plan.byName.get(labelName) : undefined;
        const cvatLabel = labelName ? labels.get(labelName) : undefined;
        if (!binding || !cvatLabel) {
          throw new InvalidInputError(
            `Label '${String(label.id)}' of field '${field}' has class '${className}', which has no CVAT label`,
            { field, sampleId: sample.id, className },
          );
        }
        const common = {
          frame,
          label_id: cvatLabel.id,
          group: groupOf(label, binding),
          source: 'manual',
          attributes: attributeValues(label, binding, cvatLabel),
        };
        if (schema.type.startsWith('classification')) {
          out.tags.push(common);
          continue;
        }
        for (const shape of geometry(label, schema.type, size)) {
          out.shapes.push({
            ...shape,
            ...common,
            occluded: binding.occludedAttr ? label[binding.occludedAttr] === true : false,
            outside: false,
            z_order: 0,
            rotation: 0,
          });
        }
      }
    }
  });
  return out;
}

function scalarTag(
  field: string,
  value: unknown,
  frame: number,
  plan: CvatLabelPlan,
  labels: ReadonlyMap<string, CvatLabel>,
  sampleId: string,
): Json {
  const free = plan.nameOf(field, field);
  const labelName = free ?? plan.nameOf(field, attributeText(value));
  const cvatLabel = labelName ? labels.get(labelName) : undefined;
  if (!cvatLabel) {
    throw new InvalidInputError(
      `Value '${attributeText(value)}' of field '${field}' has no CVAT label`,
      { field, sampleId },
    );
  }
  const valueSpec = cvatLabel.attributes.find((each) => each.name === SCALAR_VALUE_ATTR);
  return {
    frame,
    label_id: cvatLabel.id,
    group: 0,
    source: 'manual',
    attributes: free && valueSpec ? [{ spec_id: valueSpec.id, value: attributeText(value) }] : [],
  };
}

function geometry(
  label: Json,
  type: string,
  size: { width: number; height: number },
): Array<{ type: string; points: number[] }> {
  const { width, height } = size;
  if (type.startsWith('detection')) {
    return [
      { type: 'rectangle', points: boxToCvat(label.bounding_box as number[], width, height) },
    ];
  }
  if (type.startsWith('keypoint')) {
    const points = ((label.points as Array<Array<number | null>>) ?? []).filter(
      (point): point is number[] =>
        point.every((each) => typeof each === 'number' && !Number.isNaN(each)),
    );
    return [{ type: 'points', points: pointsToCvat(points, width, height) }];
  }
  // Polylines: one CVAT shape per part; filled ones are polygons (SEMANTICS §9.5).
  const shapeType = label.filled === true ? 'polygon' : 'polyline';
  return ((label.points as number[][][]) ?? []).map((part) => ({
    type: shapeType,
    points: pointsToCvat(part, width, height),
  }));
}

function groupOf(label: Json, binding: CvatLabelBinding): number {
  const value = binding.groupIdAttr ? label[binding.groupIdAttr] : undefined;
  return typeof value === 'number' && Number.isInteger(value) ? value : 0;
}

function attributeValues(label: Json, binding: CvatLabelBinding, cvatLabel: CvatLabel) {
  const specIds = new Map(cvatLabel.attributes.map((each) => [each.name, each.id]));
  const values: Array<{ spec_id: number; value: string }> = [];
  for (const name of Object.keys(binding.attributes)) {
    const value = label[name];
    const specId = specIds.get(name);
    if (value === null || value === undefined || specId === undefined) continue;
    values.push({ spec_id: specId, value: attributeText(value) });
  }
  const labelIdSpec = specIds.get(LABEL_ID_ATTR);
  if (labelIdSpec !== undefined && typeof label.id === 'string') {
    values.push({ spec_id: labelIdSpec, value: label.id });
  }
  return values;
}
