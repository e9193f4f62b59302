/**
 * The object storage a backend may use: the service's media bucket. The store's
 * `MediaStore` implements it; backends depend on this port, not on the AWS SDK, so the
 * backends layer stays free of AWS types (ARCHITECTURE "Layers").
 */
export interface BackendObjectStore {
  readonly bucket: string;
  put(
    key: string,
    body: Uint8Array | string,
    contentType?: string,
  ): Promise<{ etag: string | undefined }>;
  /** Size, ETag and modification time; undefined when the object does not exist. */
  stat(
    key: string,
  ): Promise<
    { size: number; etag: string | undefined; lastModified: Date | undefined } | undefined
  >;
  /**
   * The whole object; undefined when it does not exist. With `maxBytes`, reading stops once
   * the body is longer: a body longer than `maxBytes` says the object is larger.
   */
  read(
    key: string,
    options?: { readonly maxBytes?: number },
  ): Promise<{ body: Uint8Array; etag: string | undefined } | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** A GET URL valid for `expiresInSeconds` (at most 7 days, SigV4's limit). */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}
