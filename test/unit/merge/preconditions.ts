import { LABEL_TYPES, type LabelType, type Sample } from '../../../lib/labels/index.js';
import type { MergeInput } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import { recordedIds, slotsOf, targetsOf } from './slots.js';

/**
 * Preconditions under which a merge is idempotent. Each one excludes a class of downloads on
 * which replaying the merge changes labels again (FiftyOne's semantics, kept on purpose, or a
 * known gap); invariants.property.test.ts names the finding behind each.
 */
type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The label groups of a download: one per sample, or per frame of a frame field. */
function* groups(input: MergeInput): Generator<{ field: string; type: string; group: Rec }> {
  for (const [field, byType] of Object.entries(input.annotations as Record<string, Rec>)) {
    for (const [type, bySample] of Object.entries(byType)) {
      if (type === 'scalar' || !isRec(bySample)) continue;
      for (const value of Object.values(bySample)) {
        if (!isRec(value)) continue;
        if (!field.startsWith('frames.')) yield { field, type, group: value };
        else
          for (const group of Object.values(value)) if (isRec(group)) yield { field, type, group };
      }
    }
  }
}

const distinctIndexes = (labels: unknown[]): boolean => {
  const indexes = labels
    .map((l) => (isRec(l) ? l.index : undefined))
    .filter((i) => typeof i === 'number');
  return new Set(indexes).size === indexes.length;
};

/**
 * No frame holds, stored or downloaded, two labels of one track (one numeric `index`) in a
 * field: a tracking tool draws one shape per track and frame. E.g. new labels 2 and 3, both
 * `index: 1`, on one frame of a tracked field: both are added (index 0); a replay matches
 * both to the last stored label at that frame and index, 3, and deletes 2.
 */
export function oneShapePerTrackAndFrame(input: MergeInput): boolean {
  for (const sample of input.samples as Rec[]) {
    for (const frame of Object.values(isRec(sample.frames) ? sample.frames : {})) {
      for (const value of Object.values(isRec(frame) ? frame : {})) {
        const list = isRec(value) ? Object.values(value).find(Array.isArray) : undefined;
        if (list && !distinctIndexes(list)) return false;
      }
    }
  }
  for (const { field, group } of groups(input)) {
    if (field.startsWith('frames.') && !distinctIndexes(Object.values(group))) return false;
  }
  return true;
}

/**
 * With `unexpected: 'keep'`, no two fields keep labels in one field: each field's pass treats
 * the other's additions as recorded and deletes them (SEMANTICS §6.2, §6.4). E.g. fields a and
 * b each return one Detection: a's is added, then deleted by b's pass, which adds its own;
 * a replay deletes b's too.
 */
export function oneFieldKeptPerType(input: MergeInput): boolean {
  if (input.unexpected !== 'keep') return true;
  const schema = input.labelSchema as Record<string, { type: LabelType }>;
  const senders = new Map<string, Set<string>>();
  for (const [field, byType] of Object.entries(input.annotations as Record<string, Rec>)) {
    const expected = schema[field] ? LABEL_TYPES[schema[field].type].returnType : undefined;
    const kept = Object.keys(byType).filter((t) => t !== expected && isRec(byType[t]));
    for (const type of kept) {
      if (Object.keys(byType[type] as Rec).length === 0) continue;
      const target = `${field.startsWith('frames.') ? 'frames.' : ''}${type}`;
      senders.set(target, (senders.get(target) ?? new Set()).add(field));
    }
  }
  return [...senders.values()].every((fields) => fields.size <= 1);
}

const TRACKED_TYPES = new Set(['detections', 'polylines', 'keypoints']);

/**
 * Whether the merge reconciles a target's tracks: a frame field of a video dataset of a plural
 * tracked type (SEMANTICS §6.7). Its labels' indexes are then renumbered, not copied.
 */
export function isTracked(input: MergeInput, target: string): boolean {
  const field = targetsOf(input).get(target)?.field;
  const dataset = input.dataset as { mediaType?: string };
  return (
    field !== undefined &&
    dataset.mediaType === 'video' &&
    target.startsWith('frames.') &&
    TRACKED_TYPES.has(field.type)
  );
}

/**
 * Whether track reconciliation keeps the ids of one video sample's downloaded labels of a
 * field. It renumbers tracks: a downloaded track takes the smallest stored index of the
 * stored labels it returns, or a new index past every stored one; then a label takes the id
 * of the recorded label stored at its frame with its final index. So a label returned under
 * a recorded id may land under another, or another label under that one. Ids are kept when no
 * track is renumbered onto a stored index but its own, and where a track keeps its index, the
 * recorded label stored at each of its frames with that index (if any) is the one returned.
 * Untracked fields always qualify.
 */
export function tracksKeepIds(input: MergeInput, target: string, sampleId: string): boolean {
  if (!isTracked(input, target)) return true;
  const { source, field } = targetsOf(input).get(target) as { source: string; field: FieldSchema };
  const sample = (input.samples as Sample[]).find((s) => s.id === sampleId);
  if (sample === undefined) return true;
  const slots = [...slotsOf(sample).values()].filter((slot) => slot.field === target);
  const storedIndex = new Map<unknown, unknown>();
  for (const slot of slots) for (const l of slot.labels) storedIndex.set(l.id, l.index);
  const byType = (input.annotations as Record<string, Rec>)[source];
  const group = byType?.[LABEL_TYPES[field.type].returnType];
  const frames = isRec(group) && isRec(group[sampleId]) ? group[sampleId] : {};
  const numbered = isRec(sample.frames) ? sample.frames : {};
  const returned: Array<{ frameId: string; id: string; index: number }> = [];
  for (const [key, labels] of Object.entries(frames)) {
    const frameId = isRec(numbered[key]) ? String(numbered[key].id) : key;
    for (const [id, label] of Object.entries(isRec(labels) ? labels : {})) {
      const index = isRec(label) ? label.index : undefined;
      if (typeof index === 'number') returned.push({ frameId, id, index });
    }
  }
  for (const { frameId, id, index } of returned) {
    const anchors = returned
      .filter((l) => l.index === index && typeof storedIndex.get(l.id) === 'number')
      .map((l) => storedIndex.get(l.id));
    // A track with no stored label gets a new index, where nothing is stored.
    if (anchors.length === 0) continue;
    if (anchors.some((stored) => stored !== index)) return false;
    const slot = slots.find((s) => s.frameId === frameId);
    if (slot === undefined) continue;
    const recorded = recordedIds(input.idMap, sampleId, slot);
    const there = slot.labels.filter(
      (l) => l.index === index && typeof l.id === 'string' && recorded.has(l.id),
    );
    if (there.length > 0 && (there.length > 1 || there[0]?.id !== id)) return false;
  }
  return true;
}
