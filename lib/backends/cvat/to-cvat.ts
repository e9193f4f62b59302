import { InvalidInputError } from '../../errors/index.js';
import type { LabelSchema } from '../../schema/types.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { CvatLabel } from './api.js';
import { boxToCvat, pointsToCvat } from './coordinates.js';
import { type FrameRange, FULL_RANGE, toTaskFrame } from './frame-range.js';
import {
  attributeText,
  type CvatLabelBinding,
  type CvatLabelPlan,
  LABEL_ID_ATTR,
  SCALAR_VALUE_ATTR,
} from './label-specs.js';
import {
  instanceMaskPoints,
  instanceOriginal,
  type MaskOriginal,
  segmentationMasks,
  segmentationOriginal,
} from './masks.js';

type Json = Record<string, unknown>;

export interface CvatUpload {
  shapes: Json[];
  tags: Json[];
  tracks: Json[];
}

const LIST_KEYS: Record<string, string> = {
  classifications: 'classifications',
  detections: 'detections',
  instances: 'detections',
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
  /** Videos: the task's frame count (a video task holds one sample). */
  frameCount?: number;
  /** Filled with the labels whose masks CVAT cannot hold exactly, by label id. */
  originals?: Map<string, MaskOriginal>;
  /** Videos: the frames the task shows (default: all). */
  range?: FrameRange;
}): CvatUpload {
  const { samples, frames, plan, labels } = input;
  const out: CvatUpload = { shapes: [], tags: [], tracks: [] };
  samples.forEach((sample, frame) => {
    if (sample.media_type === 'video') {
      const size = frames[0];
      if (!size) throw new InvalidInputError(`CVAT has no frames for video '${sample.id}'`);
      videoItems(sample, size, input.frameCount ?? 0, input.range ?? FULL_RANGE, input, out);
      return;
    }
    const size = frames[frame];
    if (!size) throw new InvalidInputError(`CVAT has no frame ${frame} for sample '${sample.id}'`);
    for (const [field, schema] of Object.entries(input.labelSchema)) {
      const value = sample.fields[field];
      if (value === null || value === undefined) continue;
      if (schema.type === 'scalar') {
        out.tags.push(scalarTag(field, value, frame, plan, labels, sample.id));
        continue;
      }
      for (const each of itemsOf(field, schema.type, value, frame, size, input, sample.id)) {
        (each.kind === 'tag' ? out.tags : out.shapes).push(each.item);
      }
    }
  });
  return out;
}

/** What turning labels into CVAT items needs. */
interface Conversion {
  plan: CvatLabelPlan;
  labels: ReadonlyMap<string, CvatLabel>;
  originals?: Map<string, MaskOriginal>;
}

interface Item {
  kind: 'tag' | 'shape';
  item: Json;
  label: Json;
  cvatLabel: CvatLabel;
}

function itemsOf(
  field: string,
  type: string,
  value: unknown,
  frame: number,
  size: { width: number; height: number },
  input: Conversion,
  sampleId: string,
): Item[] {
  if (type === 'segmentation') {
    return segmentationItems(field, value as Json, frame, size, input);
  }
  const listKey = LIST_KEYS[type];
  const labels = (
    listKey ? (((value as Json)[listKey] as Json[] | undefined) ?? []) : [value]
  ) as Json[];
  const out: Item[] = [];
  for (const label of labels) {
    const className = String(label.label);
    const labelName = input.plan.nameOf(field, className);
    const binding = labelName ? input.plan.byName.get(labelName) : undefined;
    const cvatLabel = labelName ? input.labels.get(labelName) : undefined;
    if (!binding || !cvatLabel) {
      throw new InvalidInputError(
        `Label '${String(label.id)}' of field '${field}' has class '${className}', which has no CVAT label`,
        { field, sampleId, className },
      );
    }
    const common = {
      frame,
      label_id: cvatLabel.id,
      group: groupOf(label, binding),
      source: 'manual',
      attributes: attributeValues(label, binding, cvatLabel),
    };
    if (type.startsWith('classification')) {
      out.push({ kind: 'tag', item: common, label, cvatLabel });
      continue;
    }
    for (const shape of geometry(label, field, type, size)) {
      const original =
        shape.type === 'mask' ? instanceOriginal(label, shape.points, size) : undefined;
      if (original) input.originals?.set(String(label.id), original);
      const item = {
        ...shape,
        ...common,
        occluded: binding.occludedAttr ? label[binding.occludedAttr] === true : false,
        outside: false,
        z_order: 0,
        rotation: 0,
      };
      out.push({ kind: 'shape', item, label, cvatLabel });
    }
  }
  return out;
}

/**
 * A video's frame fields: labels with an `index` become tracks (one per field and index),
 * the others shapes. A track's immutable attributes go on the track, the rest (and
 * `label_id`, one per frame) on its shapes. Each run of consecutive frames is closed by an
 * `outside` copy on the next frame, as FiftyOne does; keyframe-only fields close only after
 * their last keyframe, since CVAT interpolates between keyframes.
 */
function videoItems(
  sample: UploadSample,
  size: { width: number; height: number },
  frameCount: number,
  range: FrameRange,
  input: Conversion & { labelSchema: LabelSchema },
  out: CvatUpload,
): void {
  const numbers = Object.keys(sample.frames ?? {})
    .map(Number)
    .sort((a, b) => a - b);
  for (const [field, schema] of Object.entries(input.labelSchema)) {
    if (!field.startsWith('frames.')) continue;
    const key = field.slice('frames.'.length);
    const tracks = new Map<number, Item[]>();
    for (const number of numbers) {
      const value = sample.frames?.[String(number)]?.fields[key];
      // Frames the task does not show are neither sent nor recorded (`shownFrames`).
      const frame = toTaskFrame(range, number, frameCount);
      if (value === null || value === undefined || frame === undefined) continue;
      for (const each of itemsOf(field, schema.type, value, frame, size, input, sample.id)) {
        const index = each.label.index;
        if (each.kind === 'shape' && typeof index === 'number') {
          const track = tracks.get(index) ?? [];
          // A track has one shape per frame: of a multi-part polyline, the first part.
          if (track.at(-1)?.item.frame !== each.item.frame) tracks.set(index, [...track, each]);
        } else {
          (each.kind === 'tag' ? out.tags : out.shapes).push(each.item);
        }
      }
    }
    for (const items of tracks.values()) {
      out.tracks.push(trackOf(items, frameCount, schema.onlyKeyframes === true));
    }
  }
}

function trackOf(items: Item[], frameCount: number, onlyKeyframes: boolean): Json {
  const [first] = items;
  if (!first) throw new InvalidInputError('A track needs at least one label');
  const immutable = new Set(
    first.cvatLabel.attributes.filter((each) => !each.mutable).map((each) => each.id),
  );
  const split = (item: Json, keep: boolean) =>
    (item.attributes as Array<{ spec_id: number }>).filter(
      (each) => immutable.has(each.spec_id) === keep,
    );
  const shapes: Json[] = [];
  items.forEach((each, position) => {
    const { type, frame, points, occluded, z_order, rotation } = each.item as Json;
    const shape = { type, frame, points, occluded, outside: false, z_order, rotation };
    shapes.push({ ...shape, attributes: split(each.item, false) });
    const next = items[position + 1];
    const closes = onlyKeyframes
      ? next === undefined
      : next === undefined || next.item.frame !== (frame as number) + 1;
    if (closes && (frame as number) + 1 < frameCount) {
      shapes.push({ ...shape, frame: (frame as number) + 1, outside: true, attributes: [] });
    }
  });
  return {
    frame: first.item.frame,
    label_id: first.item.label_id,
    group: first.item.group,
    source: 'manual',
    attributes: split(first.item, true),
    shapes,
  };
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
  field: string,
  type: string,
  size: { width: number; height: number },
): Array<{ type: string; points: number[] }> {
  const { width, height } = size;
  // Instances go as CVAT masks: exact, where FiftyOne's polygons are an approximation.
  const mask = type.startsWith('instance') ? instanceMaskPoints(label, field, size) : undefined;
  if (mask) return [{ type: 'mask', points: mask }];
  if (type.startsWith('detection') || type.startsWith('instance')) {
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

/**
 * A Segmentation as one mask shape per class present, every one carrying the
 * Segmentation's label id: download paints them back into that one label (SEMANTICS §9.5).
 */
function segmentationItems(
  field: string,
  label: Json,
  frame: number,
  size: { width: number; height: number },
  input: Conversion,
): Item[] {
  const out: Item[] = [];
  let schema: CvatLabelBinding['fieldSchema'] | undefined;
  for (const binding of input.plan.byName.values()) {
    if (binding.field === field) schema = binding.fieldSchema;
  }
  if (!schema) return out;
  const sent = segmentationMasks(label, field, schema, size).flatMap(({ className, points }) => {
    const labelName = input.plan.nameOf(field, className);
    const binding = labelName ? input.plan.byName.get(labelName) : undefined;
    const cvatLabel = labelName ? input.labels.get(labelName) : undefined;
    // A mask target outside the run's classes is not the annotators' to edit.
    return binding && cvatLabel ? [{ className, points, binding, cvatLabel }] : [];
  });
  const first = [...input.plan.byName.values()].find((binding) => binding.field === field);
  const firstLabel = first ? input.labels.get(first.labelName) : undefined;
  if (sent.length === 0 && label.mask != null && first && firstLabel) {
    // All background: a clear 1×1 mask still carries the id, so it reads back, not as deleted.
    sent.push({
      className: first.className,
      points: [1, 0, 0, 0, 0],
      binding: first,
      cvatLabel: firstLabel,
    });
  }
  const original = segmentationOriginal(label, sent, schema, size);
  if (original) input.originals?.set(String(label.id), original);
  for (const { points, binding, cvatLabel } of sent) {
    const item = {
      type: 'mask',
      points,
      frame,
      label_id: cvatLabel.id,
      group: 0,
      source: 'manual',
      attributes: attributeValues(label, binding, cvatLabel),
      occluded: false,
      outside: false,
      z_order: 0,
      rotation: 0,
    };
    out.push({ kind: 'shape', item, label, cvatLabel });
  }
  return out;
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
