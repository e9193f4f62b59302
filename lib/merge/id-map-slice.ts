import type { IdMapEntry } from './contract.js';

type SampleEntry = IdMapEntry | Record<string, IdMapEntry>;

/**
 * One field's id map during a merge: the recorded entries plus the ones this merge changed.
 * Copying a page's whole id map up front costs more than the merge; this copies on output,
 * and only for fields that changed.
 */
export class IdMapSlice {
  private readonly updates = new Map<string, SampleEntry>();

  constructor(private readonly recorded: Readonly<Record<string, SampleEntry>>) {}

  get(sampleId: string): SampleEntry | undefined {
    return this.updates.get(sampleId) ?? this.recorded[sampleId];
  }

  set(sampleId: string, entry: SampleEntry): void {
    this.updates.set(sampleId, entry);
  }

  /** Visits each entry: recorded ones first (unless updated), then this merge's updates. */
  forEach(visit: (sampleId: string, entry: SampleEntry) => void): void {
    // for…in over a page's id map: no entry pairs and no generator per sample.
    for (const sampleId in this.recorded) {
      if (this.updates.size > 0 && this.updates.has(sampleId)) continue;
      visit(sampleId, this.recorded[sampleId] as SampleEntry);
    }
    this.updates.forEach((entry, sampleId) => {
      visit(sampleId, entry);
    });
  }

  get changed(): boolean {
    return this.updates.size > 0;
  }

  /** The field's id map with this merge's changes, sharing unchanged entries. */
  toRecord(): Record<string, SampleEntry> {
    const out = dictionaryObject<SampleEntry>();
    for (const sampleId in this.recorded) out[sampleId] = this.recorded[sampleId] as SampleEntry;
    for (const [sampleId, entry] of this.updates) out[sampleId] = entry;
    return out;
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
