/**
 * A Smithy middleware that counts the store's AWS calls by service and command, and the
 * DynamoDB capacity they consume. Added to a `StoreClients` from outside; lib/ is untouched.
 *
 * - Counted at the `initialize` step: one count per logical call (SDK retries not counted).
 * - Presigning runs the S3 client's stack without sending anything; those calls are counted
 *   separately as `presign`, not as requests.
 * - DynamoDB is asked for `ReturnConsumedCapacity: TOTAL` on every call that takes it (the
 *   option changes the response only). The local stand-in (dynalite) computes it from item
 *   sizes as DynamoDB does for the table; it reports nothing for indexes, so writes of items
 *   that carry `gsi1pk` (projected ALL into gsi1) are charged once more here.
 */
import type { StoreClients } from '../lib/store/index.js';

export interface CommandCount {
  calls: number;
  presigns: number;
  readUnits: number;
  writeUnits: number;
  /** Write units of gsi1 (projection ALL), estimated as the table write's units. */
  indexWriteUnits: number;
}

export interface CallCounter {
  /** `dynamodb PutItem` → counts, in first-seen order. */
  readonly counts: Map<string, CommandCount>;
  reset(): void;
}

const CAPACITY_COMMANDS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);
const READ_COMMANDS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const INDEX_KEY = 'gsi1pk';

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

function capacityOf(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  let units = 0;
  for (const each of list as Capacity[]) {
    units += each.CapacityUnits ?? (each.ReadCapacityUnits ?? 0) + (each.WriteCapacityUnits ?? 0);
  }
  return units;
}

/** True when a write puts an item that carries the gsi1 key (a task or a dataset). */
function writesIndexedItem(command: string, input: Record<string, unknown>): boolean {
  const item = input.Item as Record<string, unknown> | undefined;
  if (command === 'PutItem') return item !== undefined && INDEX_KEY in item;
  return false;
}

function entry(counts: Map<string, CommandCount>, key: string): CommandCount {
  let found = counts.get(key);
  if (!found) {
    found = { calls: 0, presigns: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0 };
    counts.set(key, found);
  }
  return found;
}

export async function countCalls(clients: StoreClients): Promise<CallCounter> {
  const counts = new Map<string, CommandCount>();
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const askCapacity = CAPACITY_COMMANDS.has(command);
      const result = await next(
        askCapacity ? { ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } } : args,
      );
      const count = entry(counts, `dynamodb ${command}`);
      count.calls += 1;
      const units = capacityOf((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
      if (READ_COMMANDS.has(command)) count.readUnits += units;
      else count.writeUnits += units;
      if (writesIndexedItem(command, input)) count.indexWriteUnits += units;
      return result;
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  (await clients.s3.get()).middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const result = await next(args);
      const count = entry(counts, `s3 ${command}`);
      if ((result.output as { presigned?: unknown }).presigned !== undefined) count.presigns += 1;
      else count.calls += 1;
      return result;
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return { counts, reset: () => counts.clear() };
}
