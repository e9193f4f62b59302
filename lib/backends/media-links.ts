import { InvalidInputError } from '../errors/index.js';
import type { UploadSample } from '../schema/upload-sample.js';
import type { BackendObjectStore } from './object-store.js';

/** SigV4's longest validity: annotators get a week before a link expires. */
export const MEDIA_URL_EXPIRY_SECONDS = 7 * 24 * 3600;

/** Whether the sample's media is in the service's bucket, so its link is presigned (expires). */
export function isPresigned(
  sample: Pick<UploadSample, 'filepath'>,
  objects: BackendObjectStore,
): boolean {
  const prefix = `s3://${objects.bucket}/`;
  return sample.filepath.startsWith(prefix) && sample.filepath.length > prefix.length;
}

/**
 * The link a tool (or its annotators' browsers) loads a sample's media from. Media in the
 * service's bucket (`s3://<bucket>/<key>`) gets a presigned GET, so no media bytes pass
 * through annoflow; an `http(s)` filepath is already a URL. Anything else (another bucket, a
 * local path) cannot be reached from the tool, so the upload fails rather than hand out dead
 * links. `tool` names who could not reach it ("Label Studio cannot load").
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the sample and its filepath.
 */
export async function mediaLinkOf(
  sample: Pick<UploadSample, 'id' | 'filepath'>,
  objects: BackendObjectStore,
  expiresInSeconds: number,
  tool: string,
): Promise<string> {
  const { filepath } = sample;
  if (/^https?:\/\//i.test(filepath)) return filepath;
  if (isPresigned(sample, objects)) {
    return objects.presignGet(filepath.slice(`s3://${objects.bucket}/`.length), expiresInSeconds);
  }
  throw new InvalidInputError(
    `Sample '${sample.id}' has filepath '${filepath}', which ${tool}: ` +
      `media must be in s3://${objects.bucket}/ or at an http(s) URL`,
    { sampleId: sample.id, filepath },
  );
}
