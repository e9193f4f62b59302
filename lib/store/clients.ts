import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadStoreConfig, type StoreConfig } from './config.js';
import { LazyS3Client } from './s3-client.js';

/** The store's SDK clients. Everything else receives them by parameter (STYLE §7.7). */
export interface StoreClients {
  readonly dynamodb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** Built, with its SDK loaded, by the first `get()`: see {@link LazyS3Client}. */
  readonly s3: LazyS3Client;
}

export interface StoreClientOptions {
  readonly region: string;
  readonly dynamodbEndpoint?: string | undefined;
  readonly s3Endpoint?: string | undefined;
  /** Omit on AWS (the default provider chain); the local stand-ins pass fixed ones. */
  readonly credentials?: DynamoDBClientConfig['credentials'];
}

/**
 * Builds the clients (S3's on first use); no network I/O happens here. An S3 endpoint means a local stand-in:
 * it gets path-style URLs (s3rver has no virtual-host buckets). Checksums are computed only
 * when an operation requires them, everywhere: the SDK's default flexible checksums frame
 * streamed bodies as aws-chunked, which s3rver stores verbatim (LOCAL-STACK §4), and AWS
 * accepts either.
 */
export function createStoreClients(options: StoreClientOptions): StoreClients {
  const { region, credentials } = options;
  const dynamodb = new DynamoDBClient({
    region,
    ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const s3 = new LazyS3Client({
    region,
    ...(options.s3Endpoint ? { endpoint: options.s3Endpoint, forcePathStyle: true } : {}),
    ...(credentials ? { credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { dynamodb, doc, s3 };
}

/** Closes the clients' sockets, so a test or local process can exit promptly. */
export function destroyStoreClients(clients: StoreClients): void {
  clients.dynamodb.destroy();
  clients.s3.destroy();
}

let shared: { key: string; clients: StoreClients } | undefined;

/**
 * One set of clients per process, built on first use from the environment. Lazy rather
 * than at module scope, so importing the store never fails on a missing variable and a
 * frozen Lambda sandbox never holds a half-built client (aws-sdk-js-v3 AWS_LAMBDA.md).
 * Rebuilt if the endpoints change: on Lambda they never do; a local runtime restarted in
 * the same process (tests) gets clients for its new stand-ins.
 */
export function sharedStoreClients(config?: StoreConfig): StoreClients {
  const settings = config ?? loadStoreConfig();
  const key = `${settings.region}|${settings.dynamodbEndpoint ?? ''}|${settings.s3Endpoint ?? ''}`;
  if (shared?.key !== key) {
    if (shared) destroyStoreClients(shared.clients);
    shared = { key, clients: createStoreClients(settings) };
  }
  return shared.clients;
}
