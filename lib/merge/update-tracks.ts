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
 * - a downloaded track containing a stored label inherits that label's index; when it
 *   contains labels of several stored tracks the smallest index wins;
 * - unseen tracks get `max(stored index) + 1`, incrementing, in ascending track order;
 * - a downloaded label at (frame, final index) where a recorded stored label sits takes its
 *   id. FiftyOne takes the id of any stored label there; one never uploaded is not
 *   recorded, so the label was then added beside it under the same id: two labels, one id;
 * - unless the field is keyframe-only, `keyframe` flags are stripped.
 */
export function updateTracks(
  frames: ReadonlyArray<{ frameId: string; labels: LabelRecord[] }>,
  stored: ReadonlyArray<StoredTrackLabel>,
  onlyKeyframes: boolean,
): void {
  const storedIndexById = new Map<string, number>();
  const storedIdAt = new Map<string, string>();
  let maxIndex = -1;
  for (const label of stored) {
    if (typeof label.index !== 'number') continue;
    storedIndexById.set(label.id, label.index);
    if (label.recorded) storedIdAt.set(`${label.frameId}\u0000${label.index}`, label.id);
    maxIndex = Math.max(maxIndex, label.index);
  }

  const finalIndex = new Map<number, number>();
  const downloadedIndexes = new Set<number>();
  for (const { labels } of frames) {
    for (const label of labels) {
      if (typeof label.index !== 'number') continue;
      downloadedIndexes.add(label.index);
      const inherited = storedIndexById.get(label.id as string);
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
      if (typeof label.index === 'number') {
        const index = finalIndex.get(label.index) as number;
        label.index = index;
        const storedId = storedIdAt.get(`${frameId}\u0000${index}`);
        if (storedId !== undefined) label.id = storedId;
      }
      if (!onlyKeyframes) delete label.keyframe;
    }
  }
}
