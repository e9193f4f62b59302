import { describe, expect, it } from 'vitest';
import { encodePng } from '../../../lib/local/png.js';
import { createStore, sampleKey } from '../../../lib/store/index.js';
import {
  ingestRecord,
  MEDIA_INVALID_TAG,
  MEDIA_MISSING_TAG,
  sampleIdFor,
} from '../../../lib/workflows/ingest.js';
import { useLocalAws } from '../../support/local-aws.js';
import { jpegWithMetadata, mp4 } from '../../support/media.js';
import { s3Record } from '../../support/s3-records.js';
import { beforeFirstUpdateOf } from './merge-support.js';

const aws = useLocalAws();
const png = encodePng(40, 30, () => [10, 20, 30]);

describe('Function: ingestRecord', () => {
  it('creates a sample with FiftyOne metadata, and the dataset on its first object', async () => {
    const { store, bucket } = await aws.newStore();
    await store.media.put('datasets/street/cam 1/a.png', png, 'image/png');

    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/street/cam 1/a.png'),
    );

    const sampleId = sampleIdFor(bucket, 'datasets/street/cam 1/a.png');
    expect(outcome).toEqual({
      outcome: 'ingested',
      dataset: 'street',
      key: 'datasets/street/cam 1/a.png',
      sampleId,
      created: true,
    });
    expect((await store.samples.get('street', sampleId)).sample).toEqual({
      id: sampleId,
      filepath: `s3://${bucket}/datasets/street/cam 1/a.png`,
      media_type: 'image',
      metadata: {
        _cls: 'ImageMetadata',
        mime_type: 'image/png',
        width: 40,
        height: 30,
        size_bytes: png.byteLength,
      },
      tags: [],
    });
    expect((await store.datasets.get('street')).schema.mediaType).toBe('image');
  });

  it('makes one sample of the same event delivered three times', async () => {
    const { store, bucket } = await aws.newStore();
    await store.media.put('datasets/street/a.png', png, 'image/png');
    const record = s3Record('ObjectCreated:Put', bucket, 'datasets/street/a.png');

    const outcomes = [];
    for (let i = 0; i < 3; i += 1) outcomes.push(await ingestRecord(store, record));

    expect(outcomes.map((outcome) => outcome.outcome === 'ingested' && outcome.created)).toEqual([
      true,
      false,
      false,
    ]);
    expect((await store.samples.list('street')).items).toHaveLength(1);
  });

  it('reads the size of an image whose metadata runs past the first 256 KiB', async () => {
    const { store, bucket } = await aws.newStore();
    const photo = jpegWithMetadata(4032, 3024, 600_000);
    await store.media.put('datasets/street/portrait.jpg', photo, 'image/jpeg');

    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/street/portrait.jpg'),
    );

    expect(outcome).toMatchObject({ outcome: 'ingested', created: true });
    const sampleId = sampleIdFor(bucket, 'datasets/street/portrait.jpg');
    expect((await store.samples.get('street', sampleId)).sample.metadata).toEqual({
      _cls: 'ImageMetadata',
      mime_type: 'image/jpeg',
      width: 4032,
      height: 3024,
      size_bytes: photo.byteLength,
    });
  });

  it('ingests an object whose key is as long as S3 allows (1024 bytes), % and # included', async () => {
    const { store, bucket } = await aws.newStore();
    const folder = `${'100% #'.repeat(33)}/`; // 199 bytes, one folder name
    const key = `datasets/street/${folder.repeat(5)}${'a'.repeat(9)}.png`;
    expect(Buffer.byteLength(key)).toBe(1024);
    await store.media.put(key, png, 'image/png');

    const outcome = await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));

    expect(outcome).toMatchObject({ outcome: 'ingested', created: true });
    expect(await ingestRecord(store, s3Record('ObjectRemoved:Delete', bucket, key))).toMatchObject({
      outcome: 'removed',
    });
  });

  it('rejects an object that is not an image or video, records why, and creates no sample', async () => {
    const { store, bucket } = await aws.newStore();
    await store.datasets.create('street', { mediaType: 'image', sampleFields: {} });
    await store.media.put('datasets/street/notes.txt', 'not an image', 'image/png');

    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/street/notes.txt'),
    );

    expect(outcome).toMatchObject({
      outcome: 'rejected',
      reason: 'the content is not a recognised image or video format',
    });
    expect((await store.samples.list('street')).items).toEqual([]);
    expect(await store.mediaObjects.get('street', 'datasets/street/notes.txt')).toMatchObject({
      status: 'rejected',
    });
  });

  it('rejects an empty object from its event, without reading it', async () => {
    const { store, bucket } = await aws.newStore();
    await store.datasets.create('street', { mediaType: 'image', sampleFields: {} });
    await store.media.put('datasets/street/empty.png', new Uint8Array(), 'image/png');
    const record = s3Record('ObjectCreated:Put', bucket, 'datasets/street/empty.png');
    record.s3.object.size = 0;

    const outcome = await ingestRecord(store, record);

    expect(outcome).toMatchObject({ outcome: 'rejected', reason: 'the object is empty' });
    expect((await store.samples.list('street')).items).toEqual([]);
  });

  it('ignores an event whose key is not URL-encoded, naming why (no retry can help)', async () => {
    const { store, bucket } = await aws.newStore();
    const record = s3Record('ObjectCreated:Put', bucket, 'datasets/street/a.png');
    record.s3.object.key = 'datasets/street/100%.png';

    expect(await ingestRecord(store, record)).toEqual({
      outcome: 'ignored',
      key: 'datasets/street/100%.png',
      reason: 'the key is not URL-encoded',
    });
  });

  it('tags a sample media:invalid when its image is replaced by a non-image, until a good one comes', async () => {
    const { store, bucket } = await aws.newStore();
    const key = 'datasets/street/a.png';
    await store.media.put(key, png, 'image/png');
    await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));
    const sampleId = sampleIdFor(bucket, key);
    const good = (await store.samples.get('street', sampleId)).sample;

    await store.media.put(key, 'not an image', 'image/png');
    const outcome = await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));

    expect(outcome).toMatchObject({ outcome: 'rejected' });
    expect((await store.samples.get('street', sampleId)).sample).toEqual({
      ...good,
      tags: [MEDIA_INVALID_TAG],
    });
    await store.media.put(key, png, 'image/png');
    await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));
    expect((await store.samples.get('street', sampleId)).sample.tags).toEqual([]);
  });

  it('rejects a video uploaded into an image dataset', async () => {
    const { store, bucket } = await aws.newStore();
    await store.datasets.create('street', { mediaType: 'image', sampleFields: {} });
    await store.media.put('datasets/street/clip.mp4', mp4(64, 48, 10), 'video/mp4');

    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/street/clip.mp4'),
    );

    expect(outcome).toMatchObject({
      outcome: 'rejected',
      reason: "dataset 'street' holds image samples; this object is a video",
    });
  });

  it('tags the sample media:missing when its object is removed, and keeps its labels', async () => {
    const { store, bucket } = await aws.newStore();
    const key = 'datasets/street/a.png';
    await store.media.put(key, png, 'image/png');
    await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));
    const sampleId = sampleIdFor(bucket, key);
    const labelled = await store.samples.get('street', sampleId);
    await store.samples.updateFields(
      'street',
      sampleId,
      { gt: { _cls: 'Classification', id: '000000000000000000000001', label: 'car' } },
      labelled.version,
    );

    const outcome = await ingestRecord(store, s3Record('ObjectRemoved:Delete', bucket, key));

    expect(outcome).toEqual({ outcome: 'removed', dataset: 'street', key, sampleId });
    const { sample } = await store.samples.get('street', sampleId);
    expect(sample.tags).toEqual([MEDIA_MISSING_TAG]);
    expect(sample.gt).toMatchObject({ label: 'car' });
  });

  it('re-reads a sample replaced whole between its read and its write, not overwriting it', async () => {
    const local = await aws.newStore();
    const key = 'datasets/street/a.png';
    await local.store.media.put(key, png, 'image/png');
    await ingestRecord(local.store, s3Record('ObjectCreated:Put', local.bucket, key));
    const sampleId = sampleIdFor(local.bucket, key);
    const { sample } = await local.store.samples.get('street', sampleId);
    await local.store.samples.put('street', { ...sample, tags: ['old'] });
    // The event's store has its own clients, so only its writes are intercepted.
    const clients = aws.newClients();
    const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
    beforeFirstUpdateOf(clients, sampleKey('street', sampleId).sk, async () => {
      await local.store.samples.put('street', { ...sample, tags: ['new'] });
    });

    await ingestRecord(store, s3Record('ObjectRemoved:Delete', local.bucket, key));

    expect(await local.store.samples.get('street', sampleId)).toMatchObject({
      version: 1,
      sample: { tags: ['new', MEDIA_MISSING_TAG] },
    });
  });

  it('clears media:missing when the object is uploaded again', async () => {
    const { store, bucket } = await aws.newStore();
    const key = 'datasets/street/a.png';
    await store.media.put(key, png, 'image/png');
    await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));
    await ingestRecord(store, s3Record('ObjectRemoved:Delete', bucket, key));

    await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key));

    expect((await store.samples.get('street', sampleIdFor(bucket, key))).sample.tags).toEqual([]);
  });

  it('keeps media:missing when the object is deleted while its re-upload is being ingested', async () => {
    const local = await aws.newStore();
    const key = 'datasets/street/a.png';
    await local.store.media.put(key, png, 'image/png');
    await ingestRecord(local.store, s3Record('ObjectCreated:Put', local.bucket, key));
    const sampleId = sampleIdFor(local.bucket, key);
    const upload = s3Record('ObjectCreated:Put', local.bucket, key);
    const deletion = s3Record('ObjectRemoved:Delete', local.bucket, key);
    // The upload's event has read the object when it is deleted, and that event is ingested.
    const clients = aws.newClients();
    const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
    beforeFirstUpdateOf(clients, sampleKey('street', sampleId).sk, async () => {
      await local.store.media.delete(key);
      await ingestRecord(local.store, deletion);
    });

    await ingestRecord(store, upload);

    expect((await local.store.samples.get('street', sampleId)).sample.tags).toEqual([
      MEDIA_MISSING_TAG,
    ]);
  });

  it('clears media:missing when the object is uploaded again while its deletion is being ingested', async () => {
    const local = await aws.newStore();
    const key = 'datasets/street/a.png';
    await local.store.media.put(key, png, 'image/png');
    await ingestRecord(local.store, s3Record('ObjectCreated:Put', local.bucket, key));
    const sampleId = sampleIdFor(local.bucket, key);
    await local.store.media.delete(key);
    const deletion = s3Record('ObjectRemoved:Delete', local.bucket, key);
    const upload = s3Record('ObjectCreated:Put', local.bucket, key);
    // The deletion's event is being ingested when the object is uploaded again, and ingested.
    const clients = aws.newClients();
    const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
    beforeFirstUpdateOf(clients, sampleKey('street', sampleId).sk, async () => {
      await local.store.media.put(key, png, 'image/png');
      await ingestRecord(local.store, upload);
    });

    await ingestRecord(store, deletion);

    expect((await local.store.samples.get('street', sampleId)).sample.tags).toEqual([]);
  });

  it('ignores an event older than the one already applied for the key', async () => {
    const { store, bucket } = await aws.newStore();
    const key = 'datasets/street/a.png';
    await store.media.put(key, png, 'image/png');
    const older = s3Record('ObjectCreated:Put', bucket, key);
    const newer = s3Record('ObjectRemoved:Delete', bucket, key);
    await ingestRecord(store, older);
    await ingestRecord(store, newer);

    await ingestRecord(store, older);

    expect((await store.samples.get('street', sampleIdFor(bucket, key))).sample.tags).toEqual([
      MEDIA_MISSING_TAG,
    ]);
  });

  it.each([
    ['outside datasets/', 'uploads/a.png', 'ignored'],
    ['with an invalid dataset name', 'datasets/bad name!/a.png', 'rejected'],
  ])('does not ingest a key %s', async (_name, key, outcome) => {
    const { store, bucket } = await aws.newStore();
    expect((await ingestRecord(store, s3Record('ObjectCreated:Put', bucket, key))).outcome).toBe(
      outcome,
    );
  });
});
