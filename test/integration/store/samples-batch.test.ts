import type { BatchWriteCommandInput, BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  createStore,
  type RetryPolicy,
  type StoreClients,
  type WriteRequest,
} from '../../../lib/store/index.js';
import { imageSample } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const noWait: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1,
  maxDelayMs: 1,
  sleep: async () => {},
};

const samples = (count: number) =>
  Array.from({ length: count }, (_, i) => imageSample(`s${String(i).padStart(3, '0')}`));

/**
 * Fault injection: a middleware on real clients that withholds the last `drop(call)` write
 * requests of a BatchWriteItem call from DynamoDB and hands them back as UnprocessedItems,
 * as DynamoDB does under throttling. Records each call's size.
 */
function throttleBatches(clients: StoreClients, drop: (call: number) => number): number[] {
  const sizes: number[] = [];
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (!context.commandName?.startsWith('BatchWrite')) return next(args);
      const input = args.input as BatchWriteCommandInput;
      const [table, requests = []] = Object.entries(input.RequestItems ?? {})[0] ?? [];
      sizes.push(requests.length);
      const dropped = Math.min(drop(sizes.length), requests.length);
      const kept: WriteRequest[] = requests.slice(0, requests.length - dropped);
      const withheld = requests.slice(requests.length - dropped);
      const unprocessed = withheld.length > 0 ? { [String(table)]: withheld } : {};
      if (kept.length === 0) {
        // DynamoDB refuses an empty batch: answer as if it had processed none of it.
        const output: BatchWriteCommandOutput = { $metadata: {}, UnprocessedItems: unprocessed };
        return { output } as Awaited<ReturnType<typeof next>>;
      }
      const result = await next({ ...args, input: { RequestItems: { [String(table)]: kept } } });
      (result.output as BatchWriteCommandOutput).UnprocessedItems = unprocessed;
      return result;
    },
    { step: 'initialize', name: 'throttleBatches' },
  );
  return sizes;
}

async function faultyStore(local: LocalStore, drop: (call: number) => number) {
  const clients = aws.newClients();
  const calls = throttleBatches(clients, drop);
  const store = createStore(clients, {
    tableName: local.tableName,
    bucket: local.bucket,
    retry: noWait,
  });
  return { store, calls };
}

async function storedIds(local: LocalStore, dataset: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await local.store.samples.list(dataset, { limit: 1000, cursor });
    ids.push(...page.items.map((s) => s.sample.id));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

describe('SampleRepository.batchPut', () => {
  it('writes samples in BatchWriteItem calls of at most 25', async () => {
    const local = await aws.newStore();
    const { store, calls } = await faultyStore(local, () => 0);

    await store.samples.batchPut('d', samples(60));

    expect(calls).toEqual([25, 25, 10]);
    expect(await storedIds(local, 'd')).toHaveLength(60);
  });

  it('resends UnprocessedItems until every sample is written', async () => {
    const local = await aws.newStore();
    // The first two calls each get 10 items back unprocessed.
    const { store, calls } = await faultyStore(local, (call) => (call <= 2 ? 10 : 0));

    const result = await store.samples.batchPut('d', samples(30));

    expect(result).toEqual({ written: 30 });
    expect(calls).toEqual([25, 10, 10, 5]);
    expect(await storedIds(local, 'd')).toEqual(samples(30).map((s) => s.id));
  });

  it('gives up after the attempt limit, naming how many samples were left', async () => {
    const local = await aws.newStore();
    const { store, calls } = await faultyStore(local, () => 3);

    const attempt = store.samples.batchPut('d', samples(30));

    await expect(attempt).rejects.toMatchObject({
      name: 'BatchWriteIncompleteError',
      code: 'BATCH_WRITE_INCOMPLETE',
      message:
        '8 of 30 samples were not written: DynamoDB still returned them as unprocessed after ' +
        '4 attempts; the rest are written and retrying is safe',
      details: { left: 8, total: 30, attempts: 4 },
    });
    expect(calls).toEqual([25, 3, 3, 3]);
    expect(await storedIds(local, 'd')).toHaveLength(22);
  });

  it('backs off with growing, jittered delays between resends', async () => {
    const local = await aws.newStore();
    const delays: number[] = [];
    const clients = aws.newClients();
    throttleBatches(clients, (call) => (call <= 3 ? 1 : 0));
    const store = createStore(clients, {
      tableName: local.tableName,
      bucket: local.bucket,
      retry: {
        maxAttempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 250,
        random: () => 0.5,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
    });

    await store.samples.batchPut('d', samples(5));

    expect(delays).toEqual([50, 100, 125]);
  });

  it('writes nothing when any sample in the batch is invalid', async () => {
    const local = await aws.newStore();

    const attempt = local.store.samples.batchPut('d', [
      imageSample('ok'),
      { id: 'bad', filepath: 42 } as unknown as ReturnType<typeof imageSample>,
    ]);

    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'filepath'"),
    });
    expect(await storedIds(local, 'd')).toEqual([]);
  });

  it('refuses a batch that repeats a sample id', async () => {
    const local = await aws.newStore();

    await expect(
      local.store.samples.batchPut('d', [imageSample('a'), imageSample('a')]),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: "Invalid samples: id 'a' appears twice",
    });
    expect(await storedIds(local, 'd')).toEqual([]);
  });
});
