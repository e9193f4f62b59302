import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';

/** BatchGetItem's limit per call. */
export const BATCH_GET_LIMIT = 100;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads `keys` (strongly consistent) in calls of 100, resending `UnprocessedKeys` with
 * backoff as DynamoDB asks under throttling. Returns the items found, in no particular
 * order; a key with no item is simply absent.
 *
 * @throws Error when keys are still unprocessed after `maxAttempts` calls: throttling that
 *   outlasts the backoff is for the caller's retry (the workflows treat it as transient).
 */
export async function batchGet<Key extends object>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Key[],
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<Record<string, unknown>[]> {
  const sleep = policy.sleep ?? defaultSleep;
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Key[] = keys.slice(start, start + BATCH_GET_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > policy.maxAttempts) {
        throw new Error(
          `BatchGetItem left ${pending.length} of ${keys.length} keys unprocessed after ${policy.maxAttempts} attempts`,
        );
      }
      if (attempt > 1) await sleep(backoffDelay(attempt, policy));
      const output = await doc.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
        }),
      );
      items.push(...((output.Responses?.[tableName] ?? []) as Record<string, unknown>[]));
      pending = (output.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    }
  }
  return items;
}
