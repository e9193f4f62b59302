import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type Sample, sampleSchema } from '../labels/schemas.js';
import type { BlobStore } from './blob-store.js';
import { CorruptStoreDataError, parseStoredItem } from './corrupt-data-error.js';
import { sampleKey } from './keys.js';
import { type Fields, resolveBlobs } from './large-fields.js';

/**
 * A sample item: the FiftyOne JSON sample under `data` (large label fields as S3 pointers),
 * a `version` for optimistic concurrency (0 when written whole, +1 per update), the
 * `generation` of the whole write it descends from, and the tokens of the merges already
 * applied to it.
 */
export const sampleItemSchema = z.object({
  dataset: z.string(),
  sampleId: z.string(),
  data: z.record(z.string(), z.unknown()),
  version: z.number().int().nonnegative(),
  /**
   * Random, new with every whole write (as a GCS object's generation): a sample replaced
   * or deleted and re-created starts again at version 0, so a write planned against the
   * old one at version 0 checks this too. Absent on items written before it existed.
   */
  generation: z.string().optional(),
  updatedAt: z.string(),
  appliedMerges: z.set(z.string()).optional(),
});
export type SampleItem = z.infer<typeof sampleItemSchema>;

/** A sample as read from the store, large fields resolved. */
export interface StoredSample {
  readonly dataset: string;
  readonly sample: Sample;
  readonly version: number;
  readonly updatedAt: string;
}

export function newSampleItem(dataset: string, sample: Sample, data: Fields, now: Date): Fields {
  return {
    ...sampleKey(dataset, sample.id),
    entity: 'sample',
    dataset,
    sampleId: sample.id,
    data,
    version: 0,
    generation: randomBytes(8).toString('hex'),
    updatedAt: now.toISOString(),
  };
}

/** @throws CorruptStoreDataError when the item is not a sample item. */
export function parseSampleItem(raw: Record<string, unknown>): SampleItem {
  return parseStoredItem(sampleItemSchema, raw, 'a sample item');
}

/** The item as a {@link StoredSample}, its S3 pointers resolved. */
export async function toStoredSample(blobs: BlobStore, item: SampleItem): Promise<StoredSample> {
  const data = await resolveBlobs(blobs, item.data);
  const sample = sampleSchema.safeParse(data);
  if (!sample.success) {
    throw new CorruptStoreDataError(`${item.dataset}/${item.sampleId}`, 'not a sample', {
      cause: sample.error,
    });
  }
  return {
    dataset: item.dataset,
    sample: sample.data,
    version: item.version,
    updatedAt: item.updatedAt,
  };
}
