import { LABEL_TYPES, type Sample } from '../../../lib/labels/index.js';
import type { MergeInput } from '../../../lib/merge/index.js';
import type { FieldSchema } from '../../../lib/schema/types.js';
import { recordedIds, slotsOf, targetsOf } from './slots.js';

/**
 * Preconditions of the properties that follow a label by its id: where track reconciliation
 * keeps downloaded labels' ids.
 */
type Rec = Record<string, unknown>;
const isRec = (value: unknown): value is Rec =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

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
 * stored labels it returns at their own frames, or a new index past every stored one; then a
 * label whose id is not recorded at its frame and final index may take one that is. So a
 * label returned under a recorded id may land under another. Ids are kept when no track is
 * renumbered onto a stored index but its own, and each label of a track that keeps its index
 * either finds no recorded label stored at its frame with that index or is one of them.
 * Untracked fields always qualify.
 */
export function tracksKeepIds(input: MergeInput, target: string, sampleId: string): boolean {
  if (!isTracked(input, target)) return true;
  const { source, field } = targetsOf(input).get(target) as { source: string; field: FieldSchema };
  const sample = (input.samples as Sample[]).find((s) => s.id === sampleId);
  if (sample === undefined) return true;
  const slots = [...slotsOf(sample).values()].filter((slot) => slot.field === target);
  const storedIndex = new Map<string, unknown>();
  const at = (frameId: string, id: unknown) => `${frameId} ${String(id)}`;
  for (const slot of slots) {
    for (const l of slot.labels) storedIndex.set(at(slot.frameId as string, l.id), l.index);
  }
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
      .map((l) => (l.index === index ? storedIndex.get(at(l.frameId, l.id)) : undefined))
      .filter((stored) => typeof stored === 'number');
    // A track with no stored label gets a new index, where nothing is stored.
    if (anchors.length === 0) continue;
    if (anchors.some((stored) => stored !== index)) return false;
    const slot = slots.find((s) => s.frameId === frameId);
    if (slot === undefined) continue;
    const recorded = recordedIds(input.idMap, sampleId, slot);
    const there = slot.labels.filter(
      (l) => l.index === index && typeof l.id === 'string' && recorded.has(l.id),
    );
    if (there.length > 0 && !there.some((l) => l.id === id)) return false;
  }
  return true;
}
