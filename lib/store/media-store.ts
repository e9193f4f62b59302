import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { parseInput, StoreError } from '../errors/index.js';
import { isS3NotFound } from './aws-errors.js';
import { utf8Length } from './item-size.js';
import { BLOB_PREFIX } from './keys.js';
import type { LazyS3Client } from './s3-client.js';

/**
 * Media keys: S3's 1,024-byte limit, no leading `/`, and never under `blobs/`, which the
 * store keeps for large label fields so media can never overwrite one.
 */
export const mediaKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((key) => utf8Length(key) <= 1024, 'must be at most 1024 bytes')
  .refine((key) => !key.startsWith('/'), 'must not start with /')
  .refine((key) => !key.startsWith(BLOB_PREFIX), `must not start with '${BLOB_PREFIX}' (reserved)`);

/** SigV4 presigned URLs live at most 7 days. */
export const presignExpirySchema = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);

export interface MediaHead {
  readonly size: number;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
}

/** What {@link MediaStore.stat} knows of an object without reading it. */
export interface MediaStat extends MediaHead {
  readonly lastModified: Date | undefined;
}

/** What bounds a {@link MediaStore.read}. */
export interface ReadOptions {
  /**
   * Reading stops once the body is longer than this, so memory stays bounded whatever was
   * uploaded: a body longer than `maxBytes` says the object is larger, and is not all of it.
   */
  readonly maxBytes?: number;
}

/** A whole object, as {@link MediaStore.read} returns it. */
export interface MediaObject {
  readonly body: Uint8Array;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
}

/** Media objects (images, videos) in the media bucket. */
export class MediaStore {
  readonly #s3: LazyS3Client;
  readonly #linkSigner: LazyS3Client;
  readonly bucket: string;

  /** `linkSigner`: the client presigned links are signed with; the store's own by default. */
  constructor(options: { s3: LazyS3Client; bucket: string; linkSigner?: LazyS3Client }) {
    this.#s3 = options.s3;
    this.#linkSigner = options.linkSigner ?? options.s3;
    this.bucket = options.bucket;
  }

  /** @throws InvalidInputError `INVALID_INPUT` for a bad key. */
  async put(
    key: string,
    body: Uint8Array | string,
    contentType = 'application/octet-stream',
  ): Promise<{ etag: string | undefined }> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const { client, sdk } = await this.#s3.load();
    const output = await client.send(
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentType: contentType }),
    );
    return { etag: output.ETag };
  }

  /** @throws StoreError `MEDIA_NOT_FOUND` */
  async head(key: string): Promise<MediaHead> {
    const stat = await this.stat(key);
    if (stat === undefined) {
      throw new StoreError('MEDIA_NOT_FOUND', `No media object '${key}'`, { key });
    }
    return { size: stat.size, contentType: stat.contentType, etag: stat.etag };
  }

  /**
   * Like {@link head}, plus the modification time, but undefined when the object is absent:
   * for callers to whom absence is an answer (the files backend's task status), not an error.
   */
  async stat(key: string): Promise<MediaStat | undefined> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const { client, sdk } = await this.#s3.load();
    try {
      const output = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key }));
      return {
        size: output.ContentLength ?? 0,
        contentType: output.ContentType,
        etag: output.ETag,
        lastModified: output.LastModified,
      };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * A whole object, or undefined when it is gone. For anything a user uploads, bound memory
   * with `maxBytes` (a size checked with {@link stat} before may have changed since).
   */
  async read(key: string, options: ReadOptions = {}): Promise<MediaObject | undefined> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const { client, sdk } = await this.#s3.load();
    try {
      const output = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key }));
      return {
        body: await bodyBytes(output.Body, options.maxBytes),
        etag: output.ETag,
        lastModified: output.LastModified,
      };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Whether any object's key starts with `prefix`: one list call for at most one key, so the
   * answer costs the same however many objects are there. ListObjects v1, as `deletePrefix`.
   */
  async hasObjectsUnder(prefix: string): Promise<boolean> {
    const Prefix = parseInput(mediaKeySchema, prefix, 'media key prefix');
    const { client, sdk } = await this.#s3.load();
    const page = await client.send(
      new sdk.ListObjectsCommand({ Bucket: this.bucket, Prefix, MaxKeys: 1 }),
    );
    return (page.Contents ?? []).length > 0;
  }

  /** Deletes an object; deleting one that is already gone succeeds, as S3's DELETE does. */
  async delete(key: string): Promise<void> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const { client, sdk } = await this.#s3.load();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key }));
  }

  /**
   * The first `bytes` bytes of an object (a ranged GET), its full size and ETag; undefined
   * when the object is gone. Ingest reads media headers this way, never whole files.
   */
  async readStart(
    key: string,
    bytes: number,
  ): Promise<{ head: Uint8Array; size: number; etag: string | undefined } | undefined> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const { client, sdk } = await this.#s3.load();
    try {
      const output = await client.send(
        new sdk.GetObjectCommand({
          Bucket: this.bucket,
          Key,
          Range: `bytes=0-${Math.max(0, bytes - 1)}`,
        }),
      );
      const head = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
      const total = /\/(\d+)$/.exec(output.ContentRange ?? '')?.[1];
      return {
        head,
        size: total ? Number(total) : (output.ContentLength ?? head.byteLength),
        etag: output.ETag,
      };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      // An empty object has no byte 0 to range over.
      if ((error as { name?: string }).name === 'InvalidRange')
        return { head: new Uint8Array(), size: 0, etag: undefined };
      throw error;
    }
  }

  /**
   * A URL anyone can GET for `expiresInSeconds` (1 s to 7 days), for annotation tools that
   * fetch media themselves. Signing is local: it neither checks nor needs the object. The link
   * also dies with the credentials that signed it: deployed, they are the link signer's
   * long-lived keys (`MEDIA_LINK_SIGNER_SECRET`), not a function role's hours-long session.
   */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    const Key = parseInput(mediaKeySchema, key, 'media key');
    const expiresIn = parseInput(presignExpirySchema, expiresInSeconds, 'presign expiry');
    const [{ client, sdk }, { getSignedUrl }] = await Promise.all([
      this.#linkSigner.load(),
      import('@aws-sdk/s3-request-presigner'),
    ]);
    return getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: this.bucket, Key }), {
      expiresIn,
    });
  }
}

type ObjectBody = NonNullable<GetObjectCommandOutput['Body']>;

function isAsyncIterable(body: ObjectBody): body is ObjectBody & AsyncIterable<Uint8Array> {
  return Symbol.asyncIterator in body;
}

/** The body's bytes; with `maxBytes`, at most `maxBytes + 1` of them (the stream is closed there). */
async function bodyBytes(body: ObjectBody | undefined, maxBytes?: number): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array();
  if (maxBytes === undefined || !isAsyncIterable(body)) return body.transformToByteArray();
  const chunks: Uint8Array[] = [];
  let length = 0;
  // Leaving the loop early destroys the stream: nothing past the cap is downloaded.
  for await (const chunk of body) {
    chunks.push(chunk);
    length += chunk.byteLength;
    if (length > maxBytes) break;
  }
  return Buffer.concat(chunks, Math.min(length, maxBytes + 1));
}
