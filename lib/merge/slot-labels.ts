import type { LabelRecord } from '../labels/attributes.js';
import type { Slot } from './page-state.js';

/** The downloaded labels of one slot: `labels[i]` is keyed by `ids[i]` (see LabelGroup). */
export interface SlotLabels {
  /** The slot's key in a field's maps: the sample id, plus the frame id for frame fields. */
  key: string;
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

/**
 * A slot's downloaded labels split into edits (recorded ids) and additions (the rest, in
 * download order). An id returned twice is one edit: the last label returned wins, and the
 * first stored label with that id takes it. Small slots scan; large ones index by id.
 */
export class Edits {
  readonly additions: number[] | undefined;
  private readonly isEdit: boolean[] = [];
  private remaining = 0;
  private readonly lastById: Map<string, number> | undefined;

  constructor(
    private readonly ids: ReadonlyArray<string>,
    recorded: IdSet,
  ) {
    let additions: number[] | undefined;
    const index = ids.length > LINEAR_MAX ? new Map<string, number>() : undefined;
    for (let i = 0; i < ids.length; i += 1) {
      const id = ids[i] as string;
      const edit = recorded.has(id);
      this.isEdit.push(edit);
      if (!edit) {
        if (additions === undefined) additions = [];
        additions.push(i);
        continue;
      }
      // Indexed: one count per id (the map keeps the last index); scanned: one per label.
      if (index === undefined) this.remaining += 1;
      else {
        if (!index.has(id)) this.remaining += 1;
        index.set(id, i);
      }
    }
    this.additions = additions;
    this.lastById = index;
  }

  /** The index of the edit for `id`, consuming it; -1 if there is none (left). */
  take(id: unknown): number {
    if (this.remaining === 0 || typeof id !== 'string') return -1;
    if (this.lastById !== undefined) {
      const at = this.lastById.get(id);
      if (at === undefined) return -1;
      this.lastById.delete(id);
      this.remaining -= 1;
      return at;
    }
    let at = -1;
    for (let i = this.ids.length - 1; i >= 0; i -= 1) {
      if (this.isEdit[i] && this.ids[i] === id) {
        if (at < 0) at = i;
        this.isEdit[i] = false;
        this.remaining -= 1;
      }
    }
    return at;
  }

  /** The ids of edits no stored label took, in the order they were first returned. */
  *untaken(): IterableIterator<string> {
    for (let i = 0; this.remaining > 0 && i < this.ids.length; i += 1) {
      const id = this.ids[i] as string;
      if (this.isEdit[i] && this.take(id) >= 0) yield id;
    }
  }
}
