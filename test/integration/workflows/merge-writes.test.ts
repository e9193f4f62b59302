import { describe, expect, it } from 'vitest';
import { countCalls } from '../../../bench/call-counter.js';
import { createStore, type StoreClients, sampleKey } from '../../../lib/store/index.js';
import { downloadTask, mergeStagedTask, planLoad } from '../../../lib/workflows/index.js';
import { listKeys } from '../../support/bucket.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import {
  annotateFirstTask,
  annotateRun,
  DATASET,
  deliver,
  depsFor,
  seedDataset,
  snapshot,
} from './run-support.js';

const aws = useLocalAws();
const ANNO_KEY = 'gt_review';
const TASK = 'gt_review-00000';

/**
 * A run whose task 0 (s1, s2) is delivered with both samples edited and staged for its
 * merge; the merge then runs on a store with its own clients, so calls can be watched.
 */
async function stagedTask() {
  const local = await aws.newStore();
  await seedDataset(local);
  await annotateRun(depsFor(local.store));
  await deliver(local, TASK, (manifest) => {
    const edited = annotateFirstTask(manifest);
    return {
      ...edited,
      samples: edited.samples.map((sample) =>
        sample.id === 's2' ? { ...sample, fields: { ground_truth: null } } : sample,
      ),
    };
  });
  await planLoad(depsFor(local.store), { dataset: DATASET, annoKey: ANNO_KEY });
  const { stagedKey } = await downloadTask(depsFor(local.store), {
    dataset: DATASET,
    annoKey: ANNO_KEY,
    taskId: TASK,
  });
  const clients = aws.newClients();
  const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
  const input = { dataset: DATASET, annoKey: ANNO_KEY, taskId: TASK, stagedKey };
  return { local, clients, store, input };
}

/** The sort key a DynamoDB command addresses, marshalled or not. */
function sortKeyOf(input: unknown): string | undefined {
  const sk = (input as { Key?: { sk?: unknown } }).Key?.sk;
  if (typeof sk === 'string') return sk;
  const marshalled = (sk as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

const SAMPLE_SORT_KEYS = new Set(['s1', 's2', 's3', 's4'].map((id) => sampleKey(DATASET, id).sk));

/** The samples read one GetItem at a time, in call order. */
function watchSampleGets(clients: StoreClients): string[] {
  const reads: string[] = [];
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const sk = sortKeyOf(args.input);
      if (context.commandName === 'GetItemCommand' && sk && SAMPLE_SORT_KEYS.has(sk)) {
        reads.push(sk);
      }
      return next(args);
    },
    { step: 'initialize', name: 'watchSampleGets' },
  );
  return reads;
}

/** Fault injection: `before` runs once, just before the first UpdateItem of sample `sk`. */
function beforeFirstUpdateOf(clients: StoreClients, sk: string, before: () => Promise<void>) {
  let done = false;
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (!done && context.commandName === 'UpdateItemCommand' && sortKeyOf(args.input) === sk) {
        done = true;
        await before();
      }
      return next(args);
    },
    { step: 'initialize', name: 'beforeFirstUpdate' },
  );
}

async function planKeys(local: LocalStore): Promise<string[]> {
  return (await listKeys(local, `runs/${DATASET}/${ANNO_KEY}/merges/${TASK}/`)).filter((key) =>
    /page-\d+\.json$/.test(key),
  );
}

describe('Workflows: a page merge’s sample writes', () => {
  it.each([
    { pageSize: 100, pages: 1 },
    { pageSize: 1, pages: 2 },
  ])(
    'write each changed sample with one UpdateItem and no GetItem of it (merge page of $pageSize)',
    async ({ pageSize, pages }) => {
      const { clients, store, input } = await stagedTask();
      const counter = await countCalls(clients);
      const sampleGets = watchSampleGets(clients);

      const merged = await mergeStagedTask(depsFor(store, { mergePageSize: pageSize }), input);

      expect(merged).toMatchObject({ samplesChanged: 2, pages });
      expect(sampleGets).toEqual([]);
      expect(counter.counts.get('dynamodb BatchGetItem')?.calls).toBe(pages);
      expect(counter.counts.get('dynamodb UpdateItem')?.calls).toBe(2);
    },
  );

  it('fails the page with VERSION_CONFLICT when a sample changed between plan and write; the retry plans again', async () => {
    const { local, clients, store, input } = await stagedTask();
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      await local.store.samples.updateFields(DATASET, 's1', { weather: 'foggy' }, 0);
    });
    // One sample a page: s2's write waits for page 1, so the conflict stops it.
    const deps = depsFor(store, { mergePageSize: 1 });

    await expect(mergeStagedTask(deps, input)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { sampleId: 's1', expectedVersion: 0, actualVersion: 1 },
    });
    expect(await planKeys(local)).toEqual([]);

    await expect(mergeStagedTask(deps, input)).resolves.toMatchObject({ samplesChanged: 2 });
    const samples = await snapshot(local.store);
    expect(samples.s1).toMatchObject({ version: 2, sample: { weather: 'foggy' } });
    expect(samples.s1?.sample.ground_truth).toMatchObject({
      detections: [expect.objectContaining({ label: 'truck' }), expect.anything()],
    });
    expect(samples.s2).toMatchObject({ version: 1, sample: { ground_truth: { detections: [] } } });
  });

  it('reads a sample before writing it only when its page’s plan comes from S3 (a rerun)', async () => {
    const { local, clients, store, input } = await stagedTask();
    const deps = depsFor(store, { mergePageSize: 1 });
    // The first attempt stops at s1's write: page 0 (s1) planned and saved, page 1 (s2) not.
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      throw new Error('Lambda timed out');
    });
    await expect(mergeStagedTask(deps, input)).rejects.toThrow('Lambda timed out');
    expect(await planKeys(local)).toHaveLength(1);
    const sampleGets = watchSampleGets(clients);

    await expect(mergeStagedTask(deps, input)).resolves.toMatchObject({ samplesChanged: 2 });

    expect(sampleGets).toEqual([sampleKey(DATASET, 's1').sk]);
  });
});
