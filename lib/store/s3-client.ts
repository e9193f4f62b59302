import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** The client class and the commands the store sends with it. */
export type S3Sdk = typeof import('./s3-sdk.js');

/**
 * The store's S3 client, its SDK loaded and the client built on first use. The S3 SDK (client,
 * XML protocol, checksums) is a fifth of a function's loaded code, and many invocations never
 * touch S3 (most API routes, webhooks, the sweeper): reached through `import()`, it is a chunk
 * the first call that needs it loads, not code parsed at every cold start (bench/README.md,
 * "bench/bundle"). One client per instance, however many calls race for the first one.
 */
export class LazyS3Client {
  readonly #config: S3ClientConfig;
  #loading: Promise<{ client: S3Client; sdk: S3Sdk }> | undefined;
  #client: S3Client | undefined;

  constructor(config: S3ClientConfig) {
    this.#config = config;
  }

  /**
   * A client like this one that authenticates as `credentials` instead: presigned media links
   * are signed by a dedicated identity, since a link dies with the credentials that signed it.
   */
  withCredentials(credentials: NonNullable<S3ClientConfig['credentials']>): LazyS3Client {
    return new LazyS3Client({ ...this.#config, credentials });
  }

  /** The client and the SDK module its commands come from, loaded and built on first call. */
  load(): Promise<{ client: S3Client; sdk: S3Sdk }> {
    this.#loading ??= import('./s3-sdk.js').then((sdk) => {
      this.#client = new sdk.S3Client(this.#config);
      return { client: this.#client, sdk };
    });
    return this.#loading;
  }

  /** The client, built on the first call. */
  async get(): Promise<S3Client> {
    return (await this.load()).client;
  }

  /** Closes the client's sockets if it was built; a later call builds a new one. */
  destroy(): void {
    this.#client?.destroy();
    this.#client = undefined;
    this.#loading = undefined;
  }
}
