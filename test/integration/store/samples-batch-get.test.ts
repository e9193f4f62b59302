import type { BatchGetCommandInput, BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createStore, type RetryPolicy, type StoreClients } from '../../../lib/store/index.js';
import { imageSample } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const noWait: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 1,
  sleep: async () => {},
};
const ids = (count: number) =>
  Array.from({ length: count }, (_, i) => `s${String(i).padStart(3, '0')}`);

/**
 * Fault injection: withholds the last `drop(call)` keys of a BatchGetItem call from DynamoDB
 * and hands them back as UnprocessedKeys, as DynamoDB does under throttling.
 */
function throttleGets(clients: StoreClients, drop: (call: number) => number): number[] {
  const sizes: number[] = [];
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (!context.commandName?.startsWith('BatchGet')) return next(args);
      const input = args.input as BatchGetCommandInput;
      const [table, request] = Object.entries(input.RequestItems ?? {})[0] ?? [];
      const keys = request?.Keys ?? [];
      sizes.push(keys.length);
      const dropped = Math.min(drop(sizes.length), keys.length);
      const kept = keys.slice(0, keys.length - dropped);
      const withheld = keys.slice(keys.length - dropped);
      const unprocessed =
        withheld.length > 0 ? { [String(table)]: { ...request, Keys: withheld } } : {};
      if (kept.length === 0) {
        const output: BatchGetCommandOutput = {
          $metadata: {},
          Responses: {},
          UnprocessedKeys: unprocessed,
        };
        return { output } as Awaited<ReturnType<typeof next>>;
      }
      const result = await next({
        ...args,
        input: { RequestItems: { [String(table)]: { ...request, Keys: kept } } },
      });
      (result.output as BatchGetCommandOutput).UnprocessedKeys = unprocessed;
      return result;
    },
    { step: 'initialize', name: 'throttleGets' },
  );
  return sizes;
}

async function seeded(count: number, drop: (call: number) => number = () => 0) {
  const local: LocalStore = await aws.newStore();
  await local.store.datasets.create('d', { mediaType: 'image', sampleFields: {} });
  await local.store.samples.batchPut(
    'd',
    ids(count).map((id) => imageSample(id)),
  );
  const clients = aws.newClients();
  const calls = throttleGets(clients, drop);
  const store = createStore(clients, {
    tableName: local.tableName,
    bucket: local.bucket,
    retry: noWait,
  });
  return { store, calls };
}

describe('SampleRepository.getMany / findMany', () => {
  it('reads samples in BatchGetItem calls of at most 100, in the order asked', async () => {
    const { store, calls } = await seeded(230);
    const wanted = ids(230).reverse();
    const stored = await store.samples.getMany('d', wanted);
    expect(stored.map((each) => each.sample.id)).toEqual(wanted);
    expect(calls).toEqual([100, 100, 30]);
  });

  it('resends UnprocessedKeys until every sample is read', async () => {
    const { store, calls } = await seeded(30, (call) => (call <= 2 ? 10 : 0));
    expect(await store.samples.getMany('d', ids(30))).toHaveLength(30);
    expect(calls).toEqual([30, 10, 10]);
  });

  it('gives up after maxAttempts with an error naming how many keys were left', async () => {
    const { store } = await seeded(5, () => 5);
    await expect(store.samples.getMany('d', ids(5))).rejects.toThrow(
      /left 5 of 5 keys unprocessed after 3 attempts/,
    );
  });

  it('answers undefined for a missing sample (findMany), SAMPLE_NOT_FOUND naming it (getMany)', async () => {
    const { store } = await seeded(2);
    expect(
      (await store.samples.findMany('d', ['s000', 'gone', 's001'])).map((each) => each?.sample.id),
    ).toEqual(['s000', undefined, 's001']);
    await expect(store.samples.getMany('d', ['s000', 'gone'])).rejects.toMatchObject({
      code: 'SAMPLE_NOT_FOUND',
      message: expect.stringContaining('gone'),
    });
  });
});
