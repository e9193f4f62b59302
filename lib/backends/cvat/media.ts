import { z } from 'zod';
import { BackendError, InvalidInputError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import { mediaLinkOf } from '../media-links.js';
import type { BackendObjectStore } from '../object-store.js';
import type { CvatClient } from './client.js';
import type { CvatParams } from './params.js';

const cloudStorageSchema = z.looseObject({
  id: z.number().int(),
  provider_type: z.string(),
  resource: z.string(),
});

/** How a page's media reach CVAT: each sample's file, and the data request fields naming them. */
export interface PageMedia {
  /** The `POST /api/tasks/{id}/data` fields attaching these samples' media, in order. */
  fields(samples: readonly UploadSample[]): Record<string, unknown>;
}

/**
 * Resolves every sample of a page to what CVAT reads, before any task is made, so a sample
 * CVAT could not read fails the page with nothing created. Without `cloud_storage_id`:
 * presigned links (`remote_files`) to `s3://<media bucket>/…` objects, or the sample's own
 * http(s) URL. With it: the object keys relative to the storage (`server_files` +
 * `cloud_storage_id`), which must be in the storage's S3 bucket under `cloud_storage_prefix`;
 * CVAT reads them with its own credentials and nothing is presigned.
 *
 * @throws InvalidInputError naming the first sample CVAT cannot read, or a missing storage.
 */
export async function pageMedia(
  env: { client: CvatClient; params: CvatParams; objects: BackendObjectStore },
  samples: readonly UploadSample[],
): Promise<PageMedia> {
  const { params } = env;
  if (params.cloud_storage_id === undefined) {
    const urls = new Map<string, string>();
    for (const sample of samples)
      urls.set(
        sample.id,
        await mediaLinkOf(
          sample,
          env.objects,
          env.params.media_url_expires_in,
          'CVAT cannot download',
        ),
      );
    return { fields: (of) => ({ remote_files: of.map((sample) => urls.get(sample.id) ?? '') }) };
  }
  const storageId = params.cloud_storage_id;
  const bucket = await storageBucket(env.client, storageId);
  const files = new Map<string, string>();
  for (const sample of samples) {
    files.set(sample.id, storageFile(sample, bucket, params.cloud_storage_prefix, storageId));
  }
  return {
    fields: (of) => ({
      server_files: of.map((sample) => files.get(sample.id) ?? ''),
      cloud_storage_id: storageId,
    }),
  };
}

/** The S3 bucket of a CVAT cloud storage; the run cannot use a storage CVAT does not have. */
async function storageBucket(client: CvatClient, storageId: number): Promise<string> {
  const { status, data } = await client.request('GET', `/api/cloudstorages/${storageId}`, {
    accept: [404],
    schema: cloudStorageSchema,
  });
  if (status === 404 || !data) {
    throw new InvalidInputError(`CVAT has no cloud storage ${storageId} (cloud_storage_id)`, {
      cloudStorageId: storageId,
    });
  }
  if (data.provider_type !== 'AWS_S3_BUCKET') {
    throw new BackendError(
      'BACKEND_UNSUPPORTED',
      `CVAT cloud storage ${storageId} is a ${data.provider_type}; only AWS_S3_BUCKET storages can hold the media`,
      { cloudStorageId: storageId, providerType: data.provider_type },
    );
  }
  return data.resource;
}

function storageFile(
  sample: UploadSample,
  bucket: string,
  prefix: string,
  storageId: number,
): string {
  const root = `s3://${bucket}/${prefix}`;
  const { filepath } = sample;
  if (filepath.startsWith(root) && filepath.length > root.length)
    return filepath.slice(root.length);
  throw new InvalidInputError(
    `Sample '${sample.id}' has filepath '${filepath}', which is not in CVAT cloud storage ` +
      `${storageId}: media must be under ${root}`,
    { sampleId: sample.id, filepath, cloudStorageId: storageId },
  );
}
