import type { LabelRecord } from '../labels/attributes.js';
import type { Slot } from './page-state.js';

/** The downloaded labels of one slot: `labels[i]` is keyed by `ids[i]` (see LabelGroup). */
export interface SlotLabels {
  /** The slot's key in a field's maps: the sample id, plus the frame id for frame fields. */
  key: string;
  /**
   * No id occurs twice: ids are the keys of one label dict, unless two frame keys (number
   * and id) named the same frame or a regenerated id met its original.
   */
  unique: boolean;
  slot: Slot;
  ids: string[];
  labels: LabelRecord[];
  /**
   * Positions of the ids the slot's id map does not record (additions), ascending;
   * undefined when every id is recorded. Classified once, where the ids are first read.
   */
  newAt: number[] | undefined;
  /** Every recorded id came back, so nothing is deleted (known without a second scan). */
  allReturned: boolean;
  /**
   * The recorded ids that came back are exactly the first `goneFrom` of the slot's recorded
   * list, every other id being new, so only the rest can be gone. Undefined when not known.
   */
  goneFrom: number | undefined;
}

/**
 * The label a merge writes for `labels[i]`: a copy that carries its (final) id. Built from
 * `{id}` rather than as `{...label, id}`: adding a key to a spread copy of a parsed label cost
 * V8 ~5x more per label in the merge's profile (id comes first in the copy's key order).
 */
export function ownLabel(labels: SlotLabels, i: number): LabelRecord {
  const id = labels.ids[i];
  const label = labels.labels[i] as LabelRecord;
  // Object.assign sets keys, and setting `__proto__` (an own key JSON.parse can make)
  // would change the copy's prototype; spreading defines it as a plain key.
  if (Object.hasOwn(label, '__proto__')) return { ...label, id };
  const own: LabelRecord = Object.assign({ id }, label);
  if (own.id !== id) own.id = id;
  return own;
}

// Past this many ids a hash set beats scanning; a slot usually holds a handful of labels.
const LINEAR_MAX = 16;

/**
 * Membership in a slot's ids without building a Set for every small slot. Tools return
 * labels in the order they were uploaded, so a scan starts after the last id it found:
 * one comparison per lookup instead of one per id (ids differ only in their last digits).
 */
export class IdSet {
  static readonly EMPTY = new IdSet([]);
  private readonly set: ReadonlySet<string> | undefined;
  private next = 0;

  constructor(readonly ids: ReadonlyArray<string>) {
    this.set = ids.length > LINEAR_MAX ? new Set(ids) : undefined;
  }

  has(id: string): boolean {
    if (this.set !== undefined) return this.set.has(id);
    const { ids } = this;
    for (let k = 0, i = this.next; k < ids.length; k += 1, i += 1) {
      if (i === ids.length) i = 0;
      if (ids[i] === id) {
        this.next = i + 1;
        return true;
      }
    }
    return false;
  }
}

/**
 * The positions of `ids` that `recorded` does not hold, ascending; undefined if none.
 * What the download parse computes for sample fields, for slots classified later.
 */
export function newPositions(ids: ReadonlyArray<string>, recorded: IdSet): number[] | undefined {
  let newAt: number[] | undefined;
  for (let i = 0; i < ids.length; i += 1) {
    if (recorded.has(ids[i] as string)) continue;
    newAt ??= [];
    newAt.push(i);
  }
  return newAt;
}

/**
 * A slot's downloaded labels split into edits (recorded ids) and additions (the rest, in
 * download order). An id returned twice is one edit: the last label returned wins, and the
 * first stored label with that id takes it. Small slots scan; large ones index by id.
 */
export class Edits {
  /** Positions of the additions, ascending (the slot's `newAt`). */
  readonly additions: number[] | undefined;
  private readonly isEdit: boolean[];
  private remaining = 0;
  private readonly lastById: Map<string, number> | undefined;
  private next = 0;
  private readonly ids: ReadonlyArray<string>;
  /** No id occurs twice in `ids`, so the first match is the only one. */
  private readonly unique: boolean;

  constructor(labels: SlotLabels) {
    const { ids, newAt } = labels;
    this.ids = ids;
    this.unique = labels.unique;
    this.additions = newAt;
    // Allocated at its final size, not grown by push (this runs once per slot).
    this.isEdit = new Array<boolean>(ids.length);
    const index = ids.length > LINEAR_MAX ? new Map<string, number>() : undefined;
    let k = 0;
    for (let i = 0; i < ids.length; i += 1) {
      const edit = newAt === undefined || newAt[k] !== i;
      this.isEdit[i] = edit;
      if (!edit) {
        k += 1;
        continue;
      }
      const id = ids[i] as string;
      // Indexed: one count per id (the map keeps the last index); scanned: one per label.
      if (index === undefined) this.remaining += 1;
      else {
        if (!index.has(id)) this.remaining += 1;
        index.set(id, i);
      }
    }
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
    if (this.unique) return this.takeUnique(id);
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

  private takeUnique(id: string): number {
    const { ids, isEdit } = this;
    for (let k = 0, i = this.next; k < ids.length; k += 1, i += 1) {
      if (i === ids.length) i = 0;
      if (isEdit[i] && ids[i] === id) {
        isEdit[i] = false;
        this.remaining -= 1;
        this.next = i + 1;
        return i;
      }
    }
    return -1;
  }

  /** Whether some edit is still untaken: most slots have none, and need no iterator. */
  get pending(): boolean {
    return this.remaining > 0;
  }

  /** The ids of edits no stored label took, in the order they were first returned. */
  *untaken(): IterableIterator<string> {
    for (let i = 0; this.remaining > 0 && i < this.ids.length; i += 1) {
      const id = this.ids[i] as string;
      if (this.isEdit[i] && this.take(id) >= 0) yield id;
    }
  }
}
