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

type LocalStore = Awaited<ReturnType<typeof aws.newStore>>;
const KEY = 'datasets/city/a.png';

/** Imports the export into `city` through the API, as a user would. */
const importCity = ({ store, bucket }: LocalStore) =>
  serveHttp(
    API,
    { store, mediaBucket: bucket },
    httpEvent('POST /datasets/{dataset}/samples/import', {
      params: { dataset: 'city' },
      body: { format: 'fiftyone', document: exported },
    }),
  );

/** Puts `body` (a 12×9 PNG unless given) at the key and runs ingest on its S3 event. */
async function upload({ store, bucket }: LocalStore, body = encodePng(12, 9, () => [0, 0, 0])) {
  await store.media.put(KEY, body, 'image/png');
  return ingestRecord(store, s3Record('ObjectCreated:Put', bucket, KEY));
}

describe('A sample is identified by its media object, whichever arrives first', () => {
  it('an upload after an import refreshes the imported sample instead of making a second one', async () => {
    const local = await aws.newStore();
    await local.store.datasets.create('city', { mediaType: 'image', sampleFields: {} });
    expect((await importCity(local)).statusCode).toBe(200);

    const outcome = await upload(local);

    expect(outcome).toMatchObject({ outcome: 'ingested', sampleId: IMPORTED_ID, created: false });
    const { items } = await local.store.samples.list('city');
    expect(items).toHaveLength(1);
    expect(items[0]?.sample).toMatchObject({
      id: IMPORTED_ID,
      metadata: { width: 12, height: 9 },
      ground_truth: { label: 'street' },
    });
  });

  it('an import after an upload lands on the ingested sample, keeping its metadata', async () => {
    const local = await aws.newStore();
    const ingested = await upload(local);
    const sampleId = ingested.outcome === 'ingested' ? ingested.sampleId : '';

    await importCity(local);

    const { items } = await local.store.samples.list('city');
    expect(items).toHaveLength(1);
    expect(items[0]?.sample).toMatchObject({
      id: sampleId,
      metadata: { width: 12 },
      ground_truth: { label: 'street' },
    });
  });

  it('keeps an imported sample linked to its media when a non-image is uploaded over it: the image uploaded next refreshes that sample', async () => {
    const local = await aws.newStore();
    await local.store.datasets.create('city', { mediaType: 'image', sampleFields: {} });
    await importCity(local);
    // By mistake, a PDF is uploaded under the image's key: rejected, as it should be.
    const rejected = await upload(local, Buffer.from('%PDF-1.7\n%\xe2\xe3\n1 0 obj\n'));
    expect(rejected).toMatchObject({ outcome: 'rejected' });

    const outcome = await upload(local);

    expect(outcome).toMatchObject({ outcome: 'ingested', sampleId: IMPORTED_ID, created: false });
    expect((await local.store.samples.list('city')).items).toHaveLength(1);
  });

  it('links an import to media ingest rejected before it: the image uploaded next refreshes the imported sample', async () => {
    const local = await aws.newStore();
    await local.store.datasets.create('city', { mediaType: 'image', sampleFields: {} });
    // A broken upload comes first, then the labels are imported for the image it should be.
    await upload(local, Buffer.from('%PDF-1.7\n%\xe2\xe3\n1 0 obj\n'));
    await importCity(local);

    const outcome = await upload(local);

    expect(outcome).toMatchObject({ outcome: 'ingested', sampleId: IMPORTED_ID, created: false });
    expect((await local.store.samples.list('city')).items).toHaveLength(1);
  });
});
