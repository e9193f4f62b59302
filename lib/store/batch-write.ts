import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { BatchWriteIncompleteError } from '../errors/index.js';

export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/**
 * How often to resend `UnprocessedItems`. DynamoDB returns them under throttling and asks for
 * exponential backoff; full jitter spreads concurrent writers apart
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 */
export interface RetryPolicy {
  /** BatchWriteItem calls per chunk of 25, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Injectable for tests; defaults to `setTimeout` and `Math.random`. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
});

const MAX_BATCH_WIRE_BYTES = 12 * 1024 * 1024;

/** The request's size in DynamoDB JSON, as sent. */
function wireSize(request: WriteRequest | undefined): number {
  const item = request?.PutRequest?.Item ?? request?.DeleteRequest?.Key ?? {};
  return Buffer.byteLength(JSON.stringify(marshall(item, { removeUndefinedValues: true })));
}

/** BatchWriteItem's limit per call. */
export const BATCH_WRITE_LIMIT = 25;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `attempt` (2, 3, …): uniform in [0, min(max, base·2^(attempt-2))]. */
export function backoffDelay(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 2));
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/**
 * Writes `requests` in chunks of 25, resending each chunk's `UnprocessedItems` with backoff
 * until none are left or the chunk has had `maxAttempts` calls. Requests must be idempotent
 * (whole-item puts, deletes): a resend may repeat a write DynamoDB already applied.
 *
 * @throws BatchWriteIncompleteError `BATCH_WRITE_INCOMPLETE` naming how many of how many
 *   `what` were left unwritten; everything else is written.
 */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  what: string,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<void> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let start = 0, end = 0; start < requests.length; start = end) {
    // At most 25 requests and ~12 MB of DynamoDB JSON (the 16 MB limit is on the wire).
    let bytes = 0;
    for (end = start; end < requests.length && end - start < BATCH_WRITE_LIMIT; end += 1) {
      const size = wireSize(requests[end]);
      if (end > start && bytes + size > MAX_BATCH_WIRE_BYTES) break;
      bytes += size;
    }
    let pending = requests.slice(start, end);
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > policy.maxAttempts) {
        const left = pending.length + (requests.length - end);
        throw new BatchWriteIncompleteError(
          `${left} of ${requests.length} ${what} were not written: DynamoDB still returned ` +
            `them as unprocessed after ${policy.maxAttempts} attempts; the rest are written ` +
            'and retrying is safe',
          { left, total: requests.length, attempts: policy.maxAttempts },
        );
      }
      if (attempt > 1) await sleep(backoffDelay(attempt, policy));
      const output = await doc.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending } }),
      );
      pending = output.UnprocessedItems?.[tableName] ?? [];
    }
  }
}
