import { isAnnoflowError } from '../errors/index.js';
import {
  inspectMedia,
  MEDIA_HEADER_BYTES,
  MEDIA_HEADER_MAX_BYTES,
  type MediaInspection,
} from '../ingest/inspect-media.js';
import { compareSequencers, decodeS3Key, type S3EventRecord } from '../ingest/s3-event.js';
import { deterministicObjectId } from '../labels/object-id.js';
import type { Sample } from '../labels/schemas.js';
import { datasetNameSchema } from '../store/keys.js';
import type { Store } from '../store/store.js';

/** Media keys that ingest reacts to: `datasets/<dataset>/<path>`. */
const MEDIA_KEY = /^datasets\/([^/]+)\/(.+)$/;

/** Tag on a sample whose media object was deleted; its labels are kept. */
export const MEDIA_MISSING_TAG = 'media:missing';

/**
 * Tag on a sample whose media object was replaced by one ingest rejects (not an image or
 * video, empty, the other media type): its filepath now names an object no tool can show.
 * Its labels and last good metadata are kept; a valid upload clears the tag.
 */
export const MEDIA_INVALID_TAG = 'media:invalid';

export type IngestOutcome =
  | { outcome: 'ingested'; dataset: string; key: string; sampleId: string; created: boolean }
  | { outcome: 'rejected'; dataset?: string; key: string; reason: string }
  | { outcome: 'removed'; dataset: string; key: string; sampleId: string }
  | { outcome: 'ignored'; key: string; reason: string };

/**
 * The sample id of a media object: derived from bucket and key, so every delivery of an
 * event for the object (S3 delivers at least once) lands on the same sample.
 */
export function sampleIdFor(bucket: string, key: string): string {
  return deterministicObjectId('media', bucket, key);
}

/**
 * Handles one S3 event record for the media bucket. `ObjectCreated` inspects the object's
 * first bytes and creates or refreshes its sample (creating the dataset on its first
 * object); an object that is not an image or video is recorded as rejected with the reason
 * and creates no sample. `ObjectRemoved` tags the sample `media:missing` and never deletes
 * labels. Events older than what was already applied for the key change nothing.
 */
export async function ingestRecord(store: Store, record: S3EventRecord): Promise<IngestOutcome> {
  const bucket = record.s3.bucket.name;
  let key: string;
  try {
    key = decodeS3Key(record.s3.object.key);
  } catch {
    // S3 never sends one; thrown, it would be retried until the DLQ for nothing.
    return { outcome: 'ignored', key: record.s3.object.key, reason: 'the key is not URL-encoded' };
  }
  const match = MEDIA_KEY.exec(key);
  if (!match) return { outcome: 'ignored', key, reason: 'not under datasets/<dataset>/' };
  const dataset = match[1] as string;
  if (!datasetNameSchema.safeParse(dataset).success) {
    return { outcome: 'rejected', key, reason: `'${dataset}' is not a valid dataset name` };
  }
  const sequencer = record.s3.object.sequencer;
  const known = await store.mediaObjects.get(dataset, key);
  if (known && compareSequencers(known.sequencer, sequencer) >= 0) {
    return known.status === 'ingested' && known.sampleId
      ? { outcome: 'ingested', dataset, key, sampleId: known.sampleId, created: false }
      : known.status === 'removed' && known.sampleId
        ? { outcome: 'removed', dataset, key, sampleId: known.sampleId }
        : { outcome: 'rejected', dataset, key, reason: known.reason ?? 'rejected earlier' };
  }
  // An imported sample already named its media object: ingest refreshes that sample.
  const sampleId = known?.sampleId ?? sampleIdFor(bucket, key);
  const at = new Date().toISOString();

  if (record.eventName.startsWith('ObjectRemoved:')) {
    await markMissing(store, dataset, sampleId, true);
    const recorded = await store.mediaObjects.put({
      dataset,
      key,
      status: 'removed',
      sequencer,
      sampleId,
      updatedAt: at,
    });
    // A newer upload was ingested meanwhile: its sample is not missing, whoever wrote last.
    if (!recorded && (await store.mediaObjects.get(dataset, key))?.status === 'ingested') {
      await markMissing(store, dataset, sampleId, false);
      return { outcome: 'ingested', dataset, key, sampleId, created: false };
    }
    return { outcome: 'removed', dataset, key, sampleId };
  }

  // The event says the object was empty: nothing to read (a range over an empty object is
  // S3's InvalidRange, and a broken response from the local stand-in).
  const read =
    record.s3.object.size === 0
      ? {
          object: { head: EMPTY, size: 0, etag: record.s3.object.eTag },
          inspection: await inspectMedia(EMPTY, 0),
        }
      : await inspectObject(store, key);
  if (!read)
    return { outcome: 'ignored', key, reason: 'the object was deleted before it could be read' };
  const { object, inspection } = read;
  const reject = async (reason: string): Promise<IngestOutcome> => {
    const recorded = await store.mediaObjects.put({
      dataset,
      key,
      status: 'rejected',
      sequencer,
      reason,
      // A rejected object changes nothing: an imported sample stays linked to its key, so
      // the image uploaded next still refreshes that sample rather than making another.
      ...(known?.sampleId === undefined ? {} : { sampleId: known.sampleId }),
      updatedAt: at,
      ...etagOf(object.etag),
    });
    // Over a sample's good media (not a newer event's): the sample must say so.
    if (recorded && known?.sampleId !== undefined) {
      await updateSample(store, dataset, known.sampleId, (sample) => ({
        tags: [...new Set([...(sample.tags ?? []), MEDIA_INVALID_TAG])],
      }));
    }
    return { outcome: 'rejected', dataset, key, reason };
  };
  if (inspection.kind === 'rejected') return reject(inspection.reason);

  const mediaType = inspection.kind;
  const existing = await datasetOf(store, dataset, mediaType);
  if (existing.schema.mediaType !== mediaType) {
    return reject(
      `dataset '${dataset}' holds ${existing.schema.mediaType} samples; this object is a ${mediaType}`,
    );
  }
  const created = !(await updateSample(store, dataset, sampleId, (sample) => ({
    metadata: inspection.metadata,
    media_type: mediaType,
    tags: withoutMediaTags(sample.tags),
  })));
  if (created) {
    const sample: Sample = {
      id: sampleId,
      filepath: `s3://${bucket}/${key}`,
      media_type: mediaType,
      metadata: inspection.metadata,
      tags: [],
    };
    await store.samples.put(dataset, sample);
  }
  // Recorded last: a crash before this line makes the redelivered event redo the (idempotent) work.
  const recorded = await store.mediaObjects.put({
    dataset,
    key,
    status: 'ingested',
    sequencer,
    sampleId,
    updatedAt: at,
    ...etagOf(object.etag),
  });
  // A newer event was applied meanwhile. If it removed the object, the sample written above
  // (new, or its media:missing cleared) must say so again: the removal is the last word.
  if (!recorded && (await store.mediaObjects.get(dataset, key))?.status === 'removed') {
    await markMissing(store, dataset, sampleId, true);
    return { outcome: 'removed', dataset, key, sampleId };
  }
  return { outcome: 'ingested', dataset, key, sampleId, created };
}

const EMPTY = new Uint8Array();

/**
 * The object's first bytes and what they are. An image whose header runs past them is read
 * again, four times longer each time, up to {@link MEDIA_HEADER_MAX_BYTES}; never whole.
 */
async function inspectObject(
  store: Store,
  key: string,
): Promise<
  | {
      object: { head: Uint8Array; size: number; etag: string | undefined };
      inspection: MediaInspection;
    }
  | undefined
> {
  for (let bytes = MEDIA_HEADER_BYTES; ; bytes = Math.min(bytes * 4, MEDIA_HEADER_MAX_BYTES)) {
    const object = await store.media.readStart(key, bytes);
    if (!object) return undefined;
    const inspection = await inspectMedia(object.head, object.size);
    const more = inspection.kind === 'rejected' && inspection.cutShort === true;
    if (!more || bytes >= MEDIA_HEADER_MAX_BYTES) return { object, inspection };
  }
}

function etagOf(etag: string | undefined): { etag?: string } {
  return etag === undefined ? {} : { etag: etag.replace(/"/g, '') };
}

async function datasetOf(store: Store, dataset: string, mediaType: string) {
  try {
    return await store.datasets.get(dataset);
  } catch (error) {
    if (!isAnnoflowError(error) || error.code !== 'DATASET_NOT_FOUND') throw error;
  }
  try {
    return await store.datasets.create(dataset, { mediaType, sampleFields: {} });
  } catch (error) {
    // Two first objects racing: the other one created it.
    if (isAnnoflowError(error) && error.code === 'DATASET_EXISTS')
      return store.datasets.get(dataset);
    throw error;
  }
}

function withoutMediaTags(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).filter((tag) => tag !== MEDIA_MISSING_TAG && tag !== MEDIA_INVALID_TAG);
}

/** Tags the sample `media:missing` or clears the tag (labels stay); an absent sample stays so. */
async function markMissing(
  store: Store,
  dataset: string,
  sampleId: string,
  missing: boolean,
): Promise<void> {
  await updateSample(store, dataset, sampleId, (sample) => ({
    tags: missing
      ? [...new Set([...(sample.tags ?? []), MEDIA_MISSING_TAG])]
      : withoutMediaTags(sample.tags),
  }));
}

/**
 * Applies `change` to an existing sample with optimistic concurrency, retrying on a
 * conflicting write. Returns false when the sample does not exist.
 */
async function updateSample(
  store: Store,
  dataset: string,
  sampleId: string,
  change: (sample: Sample) => Record<string, unknown>,
): Promise<boolean> {
  for (let attempt = 0; ; attempt += 1) {
    // With the item read, a sample re-ingested whole in between (back at version 0) is a
    // conflict rather than overwritten with fields computed from the old one.
    const [current] = await store.samples.findManyForMerge(dataset, [sampleId]);
    if (current === undefined) return false;
    try {
      await store.samples.updateFields(
        dataset,
        sampleId,
        change(current.sample),
        current.version,
        current.item,
      );
      return true;
    } catch (error) {
      if (!(isAnnoflowError(error) && error.code === 'VERSION_CONFLICT') || attempt >= 4)
        throw error;
    }
  }
}
