import type { IdMapEntry } from './contract.js';

type SampleEntry = IdMapEntry | Record<string, IdMapEntry>;

/**
 * One field's id map during a merge: the recorded entries plus the ones this merge changed.
 * Copying a page's id map up front costs more than the merge when nothing is added, so it is
 * copied at the first change (into a dictionary-mode object) and changed in place after:
 * one lookup per read, and the copy is the field's output.
 */
export class IdMapSlice {
  private own: Record<string, SampleEntry> | undefined;

  constructor(private readonly recorded: Readonly<Record<string, SampleEntry>>) {}

  get(sampleId: string): SampleEntry | undefined {
    return (this.own ?? this.recorded)[sampleId];
  }

  set(sampleId: string, entry: SampleEntry): void {
    if (this.own === undefined) {
      const own = dictionaryObject<SampleEntry>();
      // for…in over a page's id map: no entry pairs and no generator per sample.
      for (const id in this.recorded) setOwn(own, id, this.recorded[id] as SampleEntry);
      this.own = own;
    }
    setOwn(this.own, sampleId, entry);
  }

  /** Visits each entry: the recorded samples in their order, then samples this merge added. */
  forEach(visit: (sampleId: string, entry: SampleEntry) => void): void {
    const entries = this.own ?? this.recorded;
    for (const sampleId in entries) visit(sampleId, entries[sampleId] as SampleEntry);
  }

  get changed(): boolean {
    return this.own !== undefined;
  }

  /** The field's id map with this merge's changes, sharing unchanged entries. */
  toRecord(): Record<string, SampleEntry> {
    return this.own ?? { ...this.recorded };
  }
}

/**
 * An empty plain object already in V8's dictionary mode. A page's id map has a key per
 * sample: copied into `{}`, each key would first build a new hidden class (a thousand of
 * them per page) before V8 gives up and switches; this copies 3-4x faster.
 */
function dictionaryObject<T>(): Record<string, T> {
  const out: Record<string, unknown> = { a: 0, b: 0 };
  // Deleting a property that is not the last added one is what switches the mode.
  delete out.a;
  delete out.b;
  return out as Record<string, T>;
}

/**
 * `record[key] = value` for any sample id: assigning to `__proto__` (a sample id like any
 * other here, and an own key JSON.parse makes) would set the prototype and drop the entry.
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  if (key !== '__proto__') record[key] = value;
  else
    Object.defineProperty(record, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
}
