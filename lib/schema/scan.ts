import { customAttributes, getAttribute, type LabelRecord } from '../labels/attributes.js';
import { isFrameField, type LabelClass, stripFramesPrefix } from '../labels/label-types.js';
import type { Sample } from '../labels/schemas.js';
import { isRecord } from './format.js';
import { labelsOf } from './label-kinds.js';

/** What the builder needs to learn about one existing field from the samples. */
export interface ScanPlan {
  readonly name: string;
  readonly cls: LabelClass;
  /** Multi-type narrowing: attribute and keyframe findings only count labels it keeps. */
  readonly kind: ((label: LabelRecord) => boolean) | undefined;
  readonly classes: boolean;
  readonly attributes: boolean;
  readonly keyframes: boolean;
}

interface FirstValue {
  readonly value: unknown;
  /** When it was seen, so that per-class findings merge back into first-seen order. */
  readonly seq: number;
}

/**
 * What the samples say about one field. Only summaries are kept (distinct classes, the first
 * non-null value per attribute and class, two keyframe flags), so memory does not grow with
 * the number of samples.
 */
export interface FieldObservations {
  readonly classes: Set<string>;
  /** Label class (`null` for labels without one) → attribute name → first non-null value. */
  readonly firstValues: Map<string | null, Map<string, FirstValue>>;
  keyframeValueSeen: boolean;
  keyframeTrueSeen: boolean;
  seq: number;
}

function emptyObservations(): FieldObservations {
  return {
    classes: new Set(),
    firstValues: new Map(),
    keyframeValueSeen: false,
    keyframeTrueSeen: false,
    seq: 0,
  };
}

/**
 * The values a sample holds for a field: one for a sample field, one per frame for a
 * `frames.` field.
 */
export function* fieldValues(sample: Sample, name: string): Generator<unknown> {
  if (!isFrameField(name)) {
    yield sample[name];
    return;
  }
  const key = stripFramesPrefix(name);
  const frames = sample.frames;
  if (!isRecord(frames)) return;
  for (const frame of Object.values(frames)) {
    if (isRecord(frame)) yield frame[key];
  }
}

/**
 * One pass over the samples for every plan at once: the samples may be a lazy reader of a
 * large dataset, so they are neither materialized nor read twice.
 */
export function scanSamples(
  samples: Iterable<Sample>,
  plans: readonly ScanPlan[],
): Map<string, FieldObservations> {
  const out = new Map<string, FieldObservations>(
    plans.map((plan) => [plan.name, emptyObservations()]),
  );
  for (const sample of samples) {
    for (const plan of plans) {
      const observations = out.get(plan.name) as FieldObservations;
      for (const value of fieldValues(sample, plan.name)) {
        for (const label of labelsOf(value, plan.cls)) observe(plan, label, observations);
      }
    }
  }
  return out;
}

function observe(plan: ScanPlan, label: LabelRecord, into: FieldObservations): void {
  const cls = typeof label.label === 'string' ? label.label : null;
  // Inferred classes come from every label, as FiftyOne reads them from the whole dataset.
  if (plan.classes && cls !== null) into.classes.add(cls);
  if (plan.kind && !plan.kind(label)) return;
  if (plan.attributes) {
    let seen = into.firstValues.get(cls);
    if (!seen) {
      seen = new Map();
      into.firstValues.set(cls, seen);
    }
    for (const [name, value] of customAttributes(label)) {
      if (value != null && !seen.has(name)) seen.set(name, { value, seq: into.seq++ });
    }
  }
  if (plan.keyframes) {
    const keyframe = getAttribute(label, 'keyframe');
    if (keyframe != null) into.keyframeValueSeen = true;
    if (keyframe === true) into.keyframeTrueSeen = true;
  }
}

/**
 * The first non-null value of each attribute, in first-seen order, over the labels of the
 * given classes (all labels when `classes` is omitted).
 */
export function firstAttributeValues(
  observations: FieldObservations,
  classes?: readonly string[],
): Array<[string, unknown]> {
  const wanted = classes ? new Set<string | null>(classes) : undefined;
  const merged = new Map<string, FirstValue>();
  for (const [cls, values] of observations.firstValues) {
    if (wanted && !wanted.has(cls)) continue;
    for (const [name, first] of values) {
      const current = merged.get(name);
      if (!current || first.seq < current.seq) merged.set(name, first);
    }
  }
  return [...merged.entries()]
    .sort(([, a], [, b]) => a.seq - b.seq)
    .map(([name, first]) => [name, first.value]);
}
