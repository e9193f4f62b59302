import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isS3NotFound } from './aws-errors.js';
import { CorruptStoreDataError } from './corrupt-data-error.js';
import { BLOB_PREFIX } from './keys.js';
import type { LazyS3Client } from './s3-client.js';

/**
 * What an item holds in place of a value that lives in S3. Strict, so only the exact shape
 * the store writes is ever taken for a pointer.
 */
export const blobPointerSchema = z.strictObject({
  $ref: z.strictObject({
    bucket: z.string().min(3),
    key: z.string().startsWith(BLOB_PREFIX),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
});
export type BlobPointer = z.infer<typeof blobPointerSchema>;

export function isBlobPointer(value: unknown): value is BlobPointer {
  return blobPointerSchema.safeParse(value).success;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * JSON values too large for a DynamoDB item, stored content-addressed in the media bucket.
 * A key ends in the value's SHA-256, so writing the same value twice writes the same object
 * (idempotent under retries) and a read can check it got what the pointer promised.
 */
export class BlobStore {
  readonly #s3: LazyS3Client;
  readonly bucket: string;

  constructor(options: { s3: LazyS3Client; bucket: string }) {
    this.#s3 = options.s3;
    this.bucket = options.bucket;
  }

  /** Stores `json` (already serialized, hashed as `sha256`) under `key`. */
  async putJson(key: string, json: string, sha256: string): Promise<BlobPointer> {
    const { client, sdk } = await this.#s3.load();
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: json,
        ContentType: 'application/json',
      }),
    );
    return { $ref: { bucket: this.bucket, key, sha256 } };
  }

  /**
   * @throws CorruptStoreDataError when the object is missing, does not hash to the
   *   pointer's SHA-256, or is not JSON.
   */
  async getJson(pointer: BlobPointer): Promise<unknown> {
    const { bucket, key, sha256 } = pointer.$ref;
    let text: string;
    try {
      const { client, sdk } = await this.#s3.load();
      const output = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
      text = (await output.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isS3NotFound(error)) {
        throw new CorruptStoreDataError(key, 'blob is missing', { cause: error });
      }
      throw error;
    }
    if (sha256Hex(text) !== sha256) throw new CorruptStoreDataError(key, 'blob hash mismatch');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new CorruptStoreDataError(key, 'blob is not JSON', { cause: error });
    }
  }

  /**
   * Deletes every object under `prefix`; returns how many. Lists with ListObjects (v1) and
   * a `Marker`, not v2: s3rver cannot build v2 continuation tokens past 1,000 keys without
   * `--openssl-legacy-provider` (LOCAL-STACK §0.3), and v1 pages the same on AWS.
   */
  async deletePrefix(prefix: string): Promise<number> {
    const { client, sdk } = await this.#s3.load();
    let deleted = 0;
    let marker: string | undefined;
    for (;;) {
      const page = await client.send(
        new sdk.ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length > 0) {
        await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        deleted += keys.length;
      }
      if (!page.IsTruncated || keys.length === 0) return deleted;
      marker = keys.at(-1);
    }
  }
}
