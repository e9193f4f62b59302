import { describe, expect, it } from 'vitest';
import { serveHttp } from '../../../lib/api/router.js';
import { API } from '../../../lib/api/routes/index.js';
import { encodePng } from '../../../lib/local/png.js';
import { ingestRecord } from '../../../lib/workflows/ingest.js';
import { httpEvent } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';
import { s3Record } from '../../support/s3-records.js';

const aws = useLocalAws();
const IMPORTED_ID = '64b0a1b2c3d4e5f601234567';
const exported = {
  samples: [
    {
      _id: { $oid: IMPORTED_ID },
      filepath: 'data/a.png',
      _media_type: 'image',
      ground_truth: {
        _cls: 'Classification',
        _id: { $oid: '64b0a1b2c3d4e5f6aaaaaaaa' },
        label: 'street',
      },
    },
  ],
};

describe('A sample is identified by its media object, whichever arrives first', () => {
  it('an upload after an import refreshes the imported sample instead of making a second one', async () => {
    const { store, bucket } = await aws.newStore();
    await store.datasets.create('city', { mediaType: 'image', sampleFields: {} });
    const imported = await serveHttp(
      API,
      { store, mediaBucket: bucket },
      httpEvent('POST /datasets/{dataset}/samples/import', {
        params: { dataset: 'city' },
        body: { format: 'fiftyone', document: exported },
      }),
    );
    expect(imported.statusCode).toBe(200);

    await store.media.put(
      'datasets/city/a.png',
      encodePng(12, 9, () => [0, 0, 0]),
      'image/png',
    );
    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/city/a.png'),
    );

    expect(outcome).toMatchObject({ outcome: 'ingested', sampleId: IMPORTED_ID, created: false });
    const { items } = await store.samples.list('city');
    expect(items).toHaveLength(1);
    expect(items[0]?.sample).toMatchObject({
      id: IMPORTED_ID,
      metadata: { width: 12, height: 9 },
      ground_truth: { label: 'street' },
    });
  });

  it('an import after an upload lands on the ingested sample, keeping its metadata', async () => {
    const { store, bucket } = await aws.newStore();
    await store.media.put(
      'datasets/city/a.png',
      encodePng(12, 9, () => [0, 0, 0]),
      'image/png',
    );
    const ingested = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/city/a.png'),
    );
    const sampleId = ingested.outcome === 'ingested' ? ingested.sampleId : '';

    await serveHttp(
      API,
      { store, mediaBucket: bucket },
      httpEvent('POST /datasets/{dataset}/samples/import', {
        params: { dataset: 'city' },
        body: { format: 'fiftyone', document: exported },
      }),
    );

    const { items } = await store.samples.list('city');
    expect(items).toHaveLength(1);
    expect(items[0]?.sample).toMatchObject({
      id: sampleId,
      metadata: { width: 12 },
      ground_truth: { label: 'street' },
    });
  });

  it('keeps an imported sample linked to its media when a non-image is uploaded over it: the image uploaded next refreshes that sample', async () => {
    const { store, bucket } = await aws.newStore();
    await store.datasets.create('city', { mediaType: 'image', sampleFields: {} });
    await serveHttp(
      API,
      { store, mediaBucket: bucket },
      httpEvent('POST /datasets/{dataset}/samples/import', {
        params: { dataset: 'city' },
        body: { format: 'fiftyone', document: exported },
      }),
    );

    // By mistake, a PDF is uploaded under the image's key: rejected, as it should be.
    await store.media.put(
      'datasets/city/a.png',
      Buffer.from('%PDF-1.7\n%\xe2\xe3\n1 0 obj\n'),
      'image/png',
    );
    const rejected = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/city/a.png'),
    );
    expect(rejected).toMatchObject({ outcome: 'rejected' });
    // Then the real image is uploaded.
    await store.media.put(
      'datasets/city/a.png',
      encodePng(12, 9, () => [0, 0, 0]),
      'image/png',
    );
    const outcome = await ingestRecord(
      store,
      s3Record('ObjectCreated:Put', bucket, 'datasets/city/a.png'),
    );

    expect(outcome).toMatchObject({ outcome: 'ingested', sampleId: IMPORTED_ID, created: false });
    const { items } = await store.samples.list('city');
    expect(items).toHaveLength(1);
  });
});
