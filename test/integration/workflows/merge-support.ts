import { createStore, type StoreClients, sampleKey } from '../../../lib/store/index.js';
import { downloadTask, planLoad } from '../../../lib/workflows/index.js';
import { listKeys } from '../../support/bucket.js';
import type { LocalAws, LocalStore } from '../../support/local-aws.js';
import {
  annotateFirstTask,
  annotateRun,
  DATASET,
  deliver,
  depsFor,
  seedDataset,
} from './run-support.js';

export const ANNO_KEY = 'gt_review';
export const TASK = 'gt_review-00000';

/**
 * A run whose task 0 (s1, s2) is delivered with both samples edited and staged for its
 * merge; the merge then runs on a store with its own clients, so calls can be watched.
 */
export async function stagedTask(aws: LocalAws) {
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
export function sortKeyOf(input: unknown): string | undefined {
  const sk = (input as { Key?: { sk?: unknown } }).Key?.sk;
  if (typeof sk === 'string') return sk;
  const marshalled = (sk as { S?: unknown } | undefined)?.S;
  return typeof marshalled === 'string' ? marshalled : undefined;
}

const SAMPLE_SORT_KEYS = new Set(['s1', 's2', 's3', 's4'].map((id) => sampleKey(DATASET, id).sk));

/** The samples read one GetItem at a time, in call order. */
export function watchSampleGets(clients: StoreClients): string[] {
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

/**
 * Fault injection around the first UpdateItem of sample `sk`: `before` runs once just before
 * it is sent, `after` once when it has succeeded.
 */
export function aroundFirstUpdateOf(
  clients: StoreClients,
  sk: string,
  hooks: { before?: () => Promise<void>; after?: () => Promise<void> },
) {
  let done = false;
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (done || context.commandName !== 'UpdateItemCommand' || sortKeyOf(args.input) !== sk) {
        return next(args);
      }
      done = true;
      await hooks.before?.();
      const output = await next(args);
      await hooks.after?.();
      return output;
    },
    { step: 'initialize' },
  );
}

/** Fault injection: `before` runs once, just before the first UpdateItem of sample `sk`. */
export function beforeFirstUpdateOf(
  clients: StoreClients,
  sk: string,
  before: () => Promise<void>,
) {
  aroundFirstUpdateOf(clients, sk, { before });
}

export async function planKeys(local: LocalStore): Promise<string[]> {
  return (await listKeys(local, `runs/${DATASET}/${ANNO_KEY}/merges/${TASK}/`)).filter((key) =>
    /page-\d+\.json$/.test(key),
  );
}
