import type { Sample } from '../labels/schemas.js';
import type { Store } from '../store/store.js';

export interface SampleSelection {
  /** Exactly these samples, in this order (repeats dropped). */
  readonly sampleIds?: readonly string[] | undefined;
  /** Samples carrying any of these tags; with neither, every sample of the dataset. */
  readonly tags?: readonly string[] | undefined;
}

/** Samples read per store call. */
const READ_PAGE = 100;

/**
 * The selected samples, a store page at a time, so a step never holds the whole selection.
 *
 * @throws StoreError `SAMPLE_NOT_FOUND` for a selected id the dataset does not have.
 */
export async function* selectedSamples(
  store: Store,
  dataset: string,
  selection: SampleSelection,
): AsyncGenerator<Sample[]> {
  if (selection.sampleIds !== undefined) {
    yield* samplesById(store, dataset, [...new Set(selection.sampleIds)]);
    return;
  }
  const tags = selection.tags ? new Set(selection.tags) : undefined;
  let cursor: string | undefined;
  do {
    const page = await store.samples.list(dataset, {
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const samples = page.items
      .map((stored) => stored.sample)
      .filter((sample) => !tags || (sample.tags ?? []).some((tag) => tags.has(tag)));
    if (samples.length > 0) yield samples;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/** The samples with these ids, in this order, read `READ_PAGE` at a time. */
export async function* samplesById(
  store: Store,
  dataset: string,
  sampleIds: readonly string[],
): AsyncGenerator<Sample[]> {
  for (const ids of chunks(sampleIds, READ_PAGE)) {
    const stored = await store.samples.getMany(dataset, ids);
    yield stored.map((each) => each.sample);
  }
}

/** Groups of `size` samples, counting across the store's pages, the last one shorter. */
export async function* regroup<T>(pages: AsyncIterable<T[]>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const page of pages) {
    for (const item of page) {
      group.push(item);
      if (group.length === size) {
        yield group;
        group = [];
      }
    }
  }
  if (group.length > 0) yield group;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}
