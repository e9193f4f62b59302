import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWrite, type RetryPolicy } from './batch-write.js';
import { queryAll, type RawItem } from './paging.js';

/**
 * Deletes every item of partition `pk` whose sort key starts with `skPrefix` (all of them
 * when empty) that `keep` does not spare, page by page; returns how many. Each page is
 * visited once and deletes are idempotent, so an interrupted delete is finished by rerunning.
 */
export async function deletePartition(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  retry: RetryPolicy,
  options: { skPrefix?: string; keep?: (item: RawItem) => boolean; what?: string } = {},
): Promise<number> {
  const { skPrefix = '', keep = () => false, what = 'items' } = options;
  let deleted = 0;
  const pages = queryAll(doc, {
    TableName: tableName,
    KeyConditionExpression:
      skPrefix === '' ? '#pk = :pk' : '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
    ExpressionAttributeValues: skPrefix === '' ? { ':pk': pk } : { ':pk': pk, ':prefix': skPrefix },
    ProjectionExpression: '#pk, #sk',
  });
  for await (const items of pages) {
    const doomed = items.filter((item) => !keep(item));
    await batchWrite(
      doc,
      tableName,
      doomed.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
      what,
      retry,
    );
    deleted += doomed.length;
  }
  return deleted;
}
