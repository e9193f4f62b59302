import {
  FRAMES_PREFIX,
  isFrameField,
  LABEL_TYPES,
  LIST_CONTAINERS,
  type Sample,
} from '../../../lib/labels/index.js';
import type { IdMap, MergeInput, MergeResult } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';

/**
 * Reads merge inputs and results without the merge's help: every label slot of a sample
 * (a field of the sample or of one of its frames), the ids the id map records for a slot,
 * and where each run-schema field is written. The invariants are stated over these.
 */
type Rec = Record<string, unknown>;

export interface Slot {
  field: string;
  frameId?: string;
  /** The slot's labels: a list container's list, or the single label. */
  labels: Rec[];
  /** Whether the slot holds a list container (whose ids must be unique). */
  isList: boolean;
}

const SINGLE = new Set(['Classification', 'Detection', 'Polyline', 'Keypoint', 'Segmentation']);
const LIST_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(LIST_CONTAINERS).map(([cls, { listKey }]) => [cls, listKey]),
);

const isRec = (value: unknown): value is Rec =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function slotOf(field: string, value: unknown, frameId?: string): Slot | undefined {
  if (!isRec(value) || typeof value._cls !== 'string') return undefined;
  const listKey = LIST_KEYS[value._cls];
  const base = frameId === undefined ? { field } : { field, frameId };
  if (listKey !== undefined) {
    const list = value[listKey];
    return { ...base, labels: Array.isArray(list) ? list.filter(isRec) : [], isList: true };
  }
  return SINGLE.has(value._cls) ? { ...base, labels: [value], isList: false } : undefined;
}

/** The label slots of a sample, keyed `field|frameId` (frame fields as `frames.x`). */
export function slotsOf(sample: Rec): Map<string, Slot> {
  const out = new Map<string, Slot>();
  const add = (slot: Slot | undefined) => {
    if (slot) out.set(`${slot.field}|${slot.frameId ?? ''}`, slot);
  };
  for (const [name, value] of Object.entries(sample)) add(slotOf(name, value));
  for (const frame of Object.values(isRec(sample.frames) ? sample.frames : {})) {
    if (!isRec(frame)) continue;
    for (const [name, value] of Object.entries(frame)) {
      if (name !== 'id') add(slotOf(`${FRAMES_PREFIX}${name}`, value, String(frame.id)));
    }
  }
  return out;
}

/** The label ids the id map records for one slot (a boolean entry records none). */
export function recordedIds(idMap: IdMap, sampleId: string, slot: Slot): ReadonlySet<string> {
  let entry: unknown = idMap[slot.field]?.[sampleId];
  if (slot.frameId !== undefined) entry = isRec(entry) ? entry[slot.frameId] : undefined;
  return new Set(Array.isArray(entry) ? entry : []);
}

/** Each run-schema field by where it is written (itself, or its destField rename). */
export function targetsOf(input: MergeInput): Map<string, { source: string; field: FieldSchema }> {
  const fields = Object.entries(input.labelSchema as Record<string, FieldSchema>);
  const { destField } = input;
  let renames: Record<string, string> = {};
  // A string renames the only field of a one-field schema, and is ignored otherwise.
  if (typeof destField === 'string') {
    if (fields.length === 1) renames = { [fields[0]?.[0] as string]: destField };
  } else if (destField) renames = destField;
  const out = new Map<string, { source: string; field: FieldSchema }>();
  for (const [source, field] of fields) {
    const rename = renames[source] ?? source;
    const target =
      isFrameField(source) && !isFrameField(rename) ? `${FRAMES_PREFIX}${rename}` : rename;
    out.set(target, { source, field });
  }
  return out;
}

/** Each run-schema field by where it is written: itself, or its destField rename. */
export function fieldsByTarget(input: MergeInput): Map<string, FieldSchema> {
  return new Map([...targetsOf(input)].map(([target, { field }]) => [target, field]));
}

/** A stored label the id map records for its slot, with the labels the result has under its id. */
export interface RecordedLabel {
  field: FieldSchema;
  target: string;
  sampleId: string;
  frameId: string | undefined;
  stored: Rec;
  merged: Rec[];
}

/** Each stored label the id map records for its slot, with where the result has it. */
export function* recordedLabels(input: MergeInput, result: MergeResult): Generator<RecordedLabel> {
  const fields = fieldsByTarget(input);
  for (const [before, after] of pairs(input.samples as Sample[], result.samples)) {
    const afterSlots = slotsOf(after);
    for (const [key, slot] of slotsOf(before)) {
      const field = fields.get(slot.field);
      if (field === undefined) continue;
      const recorded = recordedIds(input.idMap, before.id, slot);
      for (const stored of slot.labels) {
        if (typeof stored.id !== 'string' || !recorded.has(stored.id)) continue;
        const merged = afterSlots.get(key)?.labels.filter((l) => l.id === stored.id) ?? [];
        const where = { target: slot.field, sampleId: before.id, frameId: slot.frameId };
        yield { field, ...where, stored, merged };
      }
    }
  }
}

/**
 * The label the download returns under `labelId` for a slot of a merge target, read from the
 * input as the tool wrote it. A frame sent under both its number and its id is one frame: the
 * label returned last wins (SEMANTICS §6.2). Undefined when the slot's groups lack the id.
 */
export function downloadedLabel(
  input: MergeInput,
  where: { target: string; sampleId: string; frameId: string | undefined },
  labelId: string,
): Rec | undefined {
  const entry = targetsOf(input).get(where.target);
  if (entry === undefined) return undefined;
  const byType = (input.annotations as Record<string, Rec>)[entry.source];
  const bySample = byType?.[LABEL_TYPES[entry.field.type].returnType];
  const group = isRec(bySample) ? bySample[where.sampleId] : undefined;
  if (!isRec(group)) return undefined;
  if (where.frameId === undefined) return labelIn(group, labelId);
  const sample = (input.samples as Sample[]).find((s) => s.id === where.sampleId);
  const frames = isRec(sample?.frames) ? sample.frames : {};
  const numbers = Object.keys(frames).filter((n) => {
    const frame = frames[n];
    return isRec(frame) && frame.id === where.frameId;
  });
  let found: Rec | undefined;
  for (const [key, labels] of Object.entries(group)) {
    if (key !== where.frameId && !numbers.includes(key)) continue;
    found = (isRec(labels) ? labelIn(labels, labelId) : undefined) ?? found;
  }
  return found;
}

function labelIn(group: Rec, labelId: string): Rec | undefined {
  const label = Object.hasOwn(group, labelId) ? group[labelId] : undefined;
  return isRec(label) ? label : undefined;
}

/**
 * The schema attributes of a label of class `cls`: field-level ones plus those of the class
 * groups containing its class, split by `readOnly`. A name declared writable anywhere is
 * writable (FiftyOne merges the writable names of both levels, SEMANTICS §6.5). Each once.
 */
export function schemaAttributes(
  field: FieldSchema,
  cls: unknown,
): { readOnly: string[]; writable: string[] } {
  const specs = Object.entries(field.attributes);
  for (const group of field.classes) {
    if (typeof group === 'string' || typeof cls !== 'string' || !group.classes.includes(cls))
      continue;
    specs.push(...Object.entries(group.attributes));
  }
  const writable = new Set(specs.filter(([, spec]) => spec.readOnly !== true).map(([n]) => n));
  const readOnly = new Set(specs.map(([name]) => name).filter((name) => !writable.has(name)));
  return { readOnly: [...readOnly], writable: [...writable] };
}

/** The attributes a label's class makes read-only (see schemaAttributes). */
export const readOnlyAttributes = (field: FieldSchema, cls: unknown): string[] =>
  schemaAttributes(field, cls).readOnly;

/** Pairs every input sample with the result sample at its position. */
export function pairs<T extends { id: string }>(inputs: T[], outputs: T[]): Array<[T, T]> {
  return inputs.map((sample, i) => [sample, outputs[i] as T]);
}
