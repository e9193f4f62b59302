import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createStoreResources, startStandIns } from '../../../lib/local/stand-ins.js';
import {
  createStore,
  createStoreClients,
  destroyStoreClients,
  loadStoreConfig,
  TABLE,
} from '../../../lib/store/index.js';
import { imageSample } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const names = { tableName: 'annoflow', bucket: 'annoflow-media' };

async function withStandIns<T>(
  dataDir: string | undefined,
  body: (
    store: ReturnType<typeof createStore>,
    clients: ReturnType<typeof createStoreClients>,
  ) => Promise<T>,
): Promise<T> {
  const standIns = await startStandIns(dataDir === undefined ? {} : { dataDir });
  const clients = createStoreClients(standIns.clientOptions);
  try {
    await createStoreResources(clients, names);
    return await body(createStore(clients, names), clients);
  } finally {
    destroyStoreClients(clients);
    await standIns.stop();
  }
}

describe('Local stand-ins', () => {
  it('listen on loopback ports chosen by the OS', async () => {
    const standIns = await startStandIns();
    try {
      expect(standIns.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(standIns.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(standIns.dynamodbEndpoint).not.toBe(standIns.s3Endpoint);
    } finally {
      await standIns.stop();
    }
  });

  it('create the table from the shared definition, gsi1 included', async () => {
    await withStandIns(undefined, async (_store, clients) => {
      const { Table } = await clients.dynamodb.send(
        new DescribeTableCommand({ TableName: names.tableName }),
      );
      expect(Table?.KeySchema).toEqual([
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ]);
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['gsi1']);
    });
  });

  it('create resources idempotently', async () => {
    await withStandIns(undefined, async (_store, clients) => {
      await expect(createStoreResources(clients, names)).resolves.toBeUndefined();
    });
  });

  it('persist DynamoDB items and S3 objects under a data directory across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'annoflow-data-'));
    try {
      await withStandIns(dataDir, async (store) => {
        await store.samples.put('d', imageSample('s1'));
        await store.media.put('images/s1.jpg', 'jpeg bytes', 'image/jpeg');
      });

      await withStandIns(dataDir, async (store) => {
        expect((await store.samples.get('d', 's1')).sample).toEqual(imageSample('s1'));
        expect((await store.media.head('images/s1.jpg')).size).toBe(10);
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('start empty without a data directory', async () => {
    await withStandIns(undefined, async (store) => {
      await store.samples.put('d', imageSample('s1'));
    });

    await withStandIns(undefined, async (store) => {
      await expect(store.samples.get('d', 's1')).rejects.toMatchObject({
        code: 'SAMPLE_NOT_FOUND',
      });
    });
  });
});

describe('Store config and clients', () => {
  it('reads table, bucket, region and the SDK’s endpoint variables', () => {
    const config = loadStoreConfig({
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:4567',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4568',
      TABLE_NAME: 'annoflow',
      MEDIA_BUCKET: 'annoflow-media',
    });

    expect(config).toEqual({
      region: 'eu-west-1',
      dynamodbEndpoint: 'http://127.0.0.1:4567',
      s3Endpoint: 'http://127.0.0.1:4568',
      tableName: 'annoflow',
      mediaBucket: 'annoflow-media',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats empty endpoints as unset and defaults the region', () => {
    const config = loadStoreConfig({
      AWS_ENDPOINT_URL_S3: '',
      TABLE_NAME: 'annoflow',
      MEDIA_BUCKET: 'annoflow-media',
    });

    expect(config).toMatchObject({ region: 'us-east-1', s3Endpoint: undefined });
  });

  it('fails naming a missing variable', () => {
    expect(() => loadStoreConfig({ MEDIA_BUCKET: 'media' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining("at 'TABLE_NAME'"),
      }),
    );
  });

  it('fails naming an endpoint that is not a URL', () => {
    expect(() =>
      loadStoreConfig({
        AWS_ENDPOINT_URL_DYNAMODB: 'localhost:8000',
        TABLE_NAME: 'annoflow',
        MEDIA_BUCKET: 'media',
      }),
    ).toThrow(
      expect.objectContaining({ message: expect.stringContaining('AWS_ENDPOINT_URL_DYNAMODB') }),
    );
  });

  it('builds clients that reach the stand-ins from the config', async () => {
    const clients = createStoreClients({
      ...loadStoreConfig({
        AWS_ENDPOINT_URL_DYNAMODB: aws.standIns.dynamodbEndpoint,
        AWS_ENDPOINT_URL_S3: aws.standIns.s3Endpoint,
        TABLE_NAME: 'annoflow',
        MEDIA_BUCKET: 'media',
      }),
      credentials: aws.standIns.clientOptions.credentials,
    });
    try {
      await expect(clients.dynamodb.send(new ListTablesCommand({}))).resolves.toHaveProperty(
        'TableNames',
      );
    } finally {
      destroyStoreClients(clients);
    }
  });
});
