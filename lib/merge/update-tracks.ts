import type { LabelRecord } from '../labels/attributes.js';

export interface StoredTrackLabel {
  frameId: string;
  id: string;
  index: number | null | undefined;
  /** The id map records it: only then may a downloaded label take its id. */
  recorded: boolean;
}

/**
 * Reconciles the track indexes of one video sample's downloaded labels with the stored ones
 * (FiftyOne's `_update_tracks`, SEMANTICS §6.7), mutating the downloaded labels (the merge's
 * own copies):
 * - a downloaded track containing a stored label, at the frame where it is stored, inherits
 *   that label's index; when it contains labels of several stored tracks the smallest index
 *   wins. FiftyOne matches the id on any frame; a label moved to another frame then gave its
 *   track an index from a label the merge deletes (it is gone from its frame), and a replay,
 *   no longer finding it, numbered the track anew;
 * - unseen tracks get `max(stored index) + 1` (1 when none is stored), incrementing, in
 *   ascending track order;
 * - a downloaded label at (frame, final index) where a recorded stored label sits takes its
 *   id, one label per stored id (see {@link matchStoredIds});
 * - unless the field is keyframe-only, `keyframe` flags are stripped.
 */
export function updateTracks(
  frames: ReadonlyArray<{ frameId: string; labels: LabelRecord[] }>,
  stored: ReadonlyArray<StoredTrackLabel>,
  onlyKeyframes: boolean,
): void {
  // By (frame, id): a label anchors its track where it is stored, not where it was moved to.
  const storedIndexAt = new Map<string, number>();
  const recordedAt = new Map<string, string[]>();
  // FiftyOne: `max(indexes) if indexes else 0`, so a sample's first new track is 1.
  let storedMax: number | undefined;
  for (const label of stored) {
    if (typeof label.index !== 'number') continue;
    storedIndexAt.set(placeKey(label.frameId, label.id), label.index);
    if (label.recorded) {
      const key = placeKey(label.frameId, label.index);
      const ids = recordedAt.get(key);
      if (ids === undefined) recordedAt.set(key, [label.id]);
      else ids.push(label.id);
    }
    storedMax = storedMax === undefined ? label.index : Math.max(storedMax, label.index);
  }
  let maxIndex = storedMax ?? 0;

  const finalIndex = new Map<number, number>();
  const downloadedIndexes = new Set<number>();
  for (const { frameId, labels } of frames) {
    for (const label of labels) {
      if (typeof label.index !== 'number') continue;
      downloadedIndexes.add(label.index);
      const inherited = storedIndexAt.get(placeKey(frameId, label.id as string));
      if (inherited === undefined) continue;
      const current = finalIndex.get(label.index);
      finalIndex.set(label.index, current === undefined ? inherited : Math.min(current, inherited));
    }
  }
  for (const index of [...downloadedIndexes].sort((a, b) => a - b)) {
    if (!finalIndex.has(index)) {
      maxIndex += 1;
      finalIndex.set(index, maxIndex);
    }
  }

  for (const { frameId, labels } of frames) {
    for (const label of labels) {
      if (typeof label.index === 'number') label.index = finalIndex.get(label.index) as number;
      if (!onlyKeyframes) delete label.keyframe;
    }
    if (recordedAt.size > 0) matchStoredIds(frameId, labels, recordedAt);
  }
}

const placeKey = (frameId: string, at: number | string): string => `${frameId}\u0000${at}`;

/**
 * Gives one frame's downloaded labels (final indexes set) the ids of the recorded labels
 * stored at their (frame, index), so a track's shape edits the stored one instead of
 * replacing it. FiftyOne gives every label there the id of the last stored one; where a
 * frame holds two shapes of one track that merged distinct labels under one id, or lost
 * one, and a replay changed labels again. Here the match is one to one:
 * 1. a label whose own id is recorded at its place keeps it;
 * 2. each other label takes the first recorded id at its place that no label of the frame
 *    carries or has taken;
 * 3. the rest keep their own ids.
 * So a frame's ids stay distinct, and a replay makes the same match.
 */
function matchStoredIds(
  frameId: string,
  labels: LabelRecord[],
  recordedAt: ReadonlyMap<string, string[]>,
): void {
  const taken = new Set<string>();
  const open: number[] = [];
  for (let i = 0; i < labels.length; i += 1) {
    const { index, id } = labels[i] as LabelRecord;
    if (typeof index !== 'number') continue;
    const there = recordedAt.get(placeKey(frameId, index));
    if (there === undefined) continue;
    if (there.includes(id as string)) taken.add(id as string);
    else open.push(i);
  }
  if (open.length === 0) return;
  const carried = new Set(labels.map((label) => label.id as string));
  for (const i of open) {
    const label = labels[i] as LabelRecord;
    const there = recordedAt.get(placeKey(frameId, label.index as number)) as string[];
    const id = there.find((storedId) => !carried.has(storedId) && !taken.has(storedId));
    if (id === undefined) continue;
    taken.add(id);
    label.id = id;
  }
}
