import { InvalidInputError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendObjectStore } from '../object-store.js';

/** SigV4's longest validity: annotators get a week before a manifest's links expire. */
export const MEDIA_URL_EXPIRY_SECONDS = 7 * 24 * 3600;

/**
 * The URL an annotator opens a sample's media with. Media in the service's bucket
 * (`s3://<bucket>/<key>`) gets a presigned GET; an `http(s)` filepath is already a URL.
 * Anything else (another bucket, a local path) cannot be reached from a vendor's machine,
 * so the upload fails rather than hand out a manifest with dead links.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the sample and its filepath.
 */
export async function mediaUrlOf(
  sample: UploadSample,
  objects: BackendObjectStore,
  expiresInSeconds: number,
): Promise<string> {
  const { filepath } = sample;
  if (/^https?:\/\//i.test(filepath)) return filepath;
  const prefix = `s3://${objects.bucket}/`;
  if (filepath.startsWith(prefix) && filepath.length > prefix.length) {
    return objects.presignGet(filepath.slice(prefix.length), expiresInSeconds);
  }
  throw new InvalidInputError(
    `Sample '${sample.id}' has filepath '${filepath}', which the files backend cannot link: ` +
      `media must be in s3://${objects.bucket}/ or at an http(s) URL`,
    { sampleId: sample.id, filepath },
  );
}
