import { FRAMES_PREFIX, isFrameField, LIST_CONTAINERS } from '../../../lib/labels/index.js';
import type { IdMap, MergeInput } from '../../../lib/merge/index.js';
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

/** Each run-schema field by where it is written: itself, or its destField rename. */
export function fieldsByTarget(input: MergeInput): Map<string, FieldSchema> {
  const fields = Object.entries(input.labelSchema as Record<string, FieldSchema>);
  const { destField } = input;
  let renames: Record<string, string> = {};
  // A string renames the only field of a one-field schema, and is ignored otherwise.
  if (typeof destField === 'string') {
    if (fields.length === 1) renames = { [fields[0]?.[0] as string]: destField };
  } else if (destField) renames = destField;
  const out = new Map<string, FieldSchema>();
  for (const [source, field] of fields) {
    const rename = renames[source] ?? source;
    const target =
      isFrameField(source) && !isFrameField(rename) ? `${FRAMES_PREFIX}${rename}` : rename;
    out.set(target, field);
  }
  return out;
}

/**
 * The attributes a label's class makes read-only: field-level ones plus those of the class
 * groups containing its class (read-only wins when a name is declared twice).
 */
export function readOnlyAttributes(field: FieldSchema, cls: unknown): string[] {
  const names = Object.entries(field.attributes)
    .filter(([, spec]) => spec.readOnly === true)
    .map(([name]) => name);
  for (const group of field.classes) {
    if (typeof group === 'string' || typeof cls !== 'string' || !group.classes.includes(cls))
      continue;
    for (const [name, spec] of Object.entries(group.attributes)) {
      if (spec.readOnly === true) names.push(name);
    }
  }
  return names;
}

/** Pairs every input sample with the result sample at its position. */
export function pairs<T extends { id: string }>(inputs: T[], outputs: T[]): Array<[T, T]> {
  return inputs.map((sample, i) => [sample, outputs[i] as T]);
}
