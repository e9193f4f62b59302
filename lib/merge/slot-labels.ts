import type { LabelRecord } from '../labels/attributes.js';
import type { Slot } from './page-state.js';

/** The downloaded labels of one slot: `labels[i]` is keyed by `ids[i]` (see LabelGroup). */
export interface SlotLabels {
  slot: Slot;
  ids: string[];
  labels: LabelRecord[];
}

/** The label a merge writes for `labels[i]`: a copy that carries its (final) id. */
export function ownLabel(labels: SlotLabels, i: number): LabelRecord {
  return { ...labels.labels[i], id: labels.ids[i] };
}

// Past this many ids a hash set beats scanning; a slot usually holds a handful of labels.
const LINEAR_MAX = 16;

/** Membership in a slot's ids without building a Set for every small slot. */
export class IdSet {
  static readonly EMPTY = new IdSet([]);
  private readonly set: ReadonlySet<string> | undefined;

  constructor(readonly ids: ReadonlyArray<string>) {
    this.set = ids.length > LINEAR_MAX ? new Set(ids) : undefined;
  }

  has(id: string): boolean {
    return this.set === undefined ? this.ids.includes(id) : this.set.has(id);
  }
}
