import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { isAlreadyExists } from '../store/aws-errors.js';
import type { StoreClientOptions, StoreClients } from '../store/clients.js';
import { createTableInput } from '../store/table.js';

/**
 * Local stand-ins for DynamoDB (dynalite) and S3 (s3rver), in this process, on loopback
 * ports chosen by the OS. The code under test talks to them through the real SDK clients;
 * only the endpoints differ from AWS (LOCAL-STACK §2, §4).
 */
export interface StandIns {
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  /** Everything `createStoreClients` needs to reach these stand-ins. */
  readonly clientOptions: StoreClientOptions;
  /**
   * Subscribes to s3rver's object events (raw, all buckets; see `./s3-events.ts` for the
   * normalisation S3's notifications need). Returns the unsubscribe function.
   */
  onS3Event(listener: (event: { Records: unknown[] }) => void): () => void;
  /** Stops both servers; in-memory data is gone after. */
  stop(): Promise<void>;
}

export interface StandInsOptions {
  /**
   * Persist under this directory (`dynamodb/`, `s3/`), as `npm start` does with `.data/`.
   * Absent: DynamoDB in memory and S3 in a temporary directory removed on stop.
   */
  readonly dataDir?: string;
}

// s3rver checks the access key id (not the signature); dynalite accepts anything.
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const LOCAL_REGION = 'us-east-1';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function close(server: Server): Promise<void> {
  // Keep-alive sockets from SDK clients would otherwise hold close() open.
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

/** Starts dynalite and s3rver on 127.0.0.1, port 0. */
export async function startStandIns(options: StandInsOptions = {}): Promise<StandIns> {
  const { dataDir } = options;
  const dynamoPath = dataDir === undefined ? undefined : join(dataDir, 'dynamodb');
  const s3Dir =
    dataDir === undefined ? await mkdtemp(join(tmpdir(), 'annoflow-s3-')) : join(dataDir, 's3');
  if (dynamoPath !== undefined) await mkdir(dynamoPath, { recursive: true });
  await mkdir(s3Dir, { recursive: true });

  const dynamo = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dynamoPath === undefined ? {} : { path: dynamoPath }),
  });
  const dynamoPort = await listen(dynamo);
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir });
  let s3Port: number;
  try {
    s3Port = (await s3.run()).port;
  } catch (error) {
    await close(dynamo);
    throw error;
  }

  const dynamodbEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const s3Endpoint = `http://127.0.0.1:${s3Port}`;
  return {
    dynamodbEndpoint,
    s3Endpoint,
    clientOptions: {
      region: LOCAL_REGION,
      dynamodbEndpoint,
      s3Endpoint,
      credentials: LOCAL_CREDENTIALS,
    },
    onS3Event(listener) {
      // s3rver is a Koa app (an EventEmitter); @types/s3rver does not say so.
      const emitter = s3 as unknown as NodeJS.EventEmitter;
      emitter.on('event', listener);
      return () => {
        emitter.off('event', listener);
      };
    },
    async stop() {
      await Promise.all([close(dynamo), s3.close()]);
      if (dataDir === undefined) await rm(s3Dir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates the table (from the shared definition) and the media bucket if they do not exist
 * yet, so a persisted `.data/` directory is reused as is. No TTL setting: dynalite has none.
 */
export async function createStoreResources(
  clients: StoreClients,
  names: { readonly tableName: string; readonly bucket: string },
): Promise<void> {
  const ignoreExisting = (error: unknown) => {
    if (!isAlreadyExists(error)) throw error;
  };
  await Promise.all([
    clients.dynamodb
      .send(new CreateTableCommand(createTableInput(names.tableName)))
      .catch(ignoreExisting),
    clients.s3
      .get()
      .then((s3) => s3.send(new CreateBucketCommand({ Bucket: names.bucket })))
      .catch(ignoreExisting),
  ]);
}
