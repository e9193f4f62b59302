import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { type CursorScope, decodeCursor, encodeCursor } from './cursor.js';
import { TABLE } from './table.js';

/** How much of a listing to return, and where to continue. */
export const pageRequestSchema = z.object({
  /** Items per page; DynamoDB may return fewer (it stops at 1 MB read). */
  limit: z.number().int().min(1).max(1000).default(100),
  /** The `cursor` of the previous page; absent for the first. */
  cursor: z.string().optional(),
});
export type PageRequest = z.input<typeof pageRequestSchema>;

/** One page of a listing; `cursor` is absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

export type RawItem = Record<string, unknown>;

/**
 * Runs one page of `input` (a Query with its key condition set): validates the request,
 * decodes and checks the cursor against `scope`, and encodes the next one.
 *
 * @throws InvalidInputError `INVALID_INPUT` for a bad limit or cursor.
 */
export async function queryPage(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  scope: CursorScope,
  request: PageRequest = {},
): Promise<Page<RawItem>> {
  const { limit, cursor } = parseInput(pageRequestSchema, request, 'page request');
  const output = await doc.send(
    new QueryCommand({
      ...input,
      Limit: limit,
      ...(cursor === undefined ? {} : { ExclusiveStartKey: decodeCursor(cursor, scope) }),
    }),
  );
  const next = encodeCursor(output.LastEvaluatedKey);
  return { items: output.Items ?? [], ...(next === undefined ? {} : { cursor: next }) };
}

/** Every item `input` matches, page by page, for the store's own loops (never for callers). */
export async function* queryAll(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<RawItem[]> {
  let start: Record<string, unknown> | undefined;
  do {
    const output = await doc.send(
      new QueryCommand({ ...input, ...(start === undefined ? {} : { ExclusiveStartKey: start }) }),
    );
    yield output.Items ?? [];
    start = output.LastEvaluatedKey;
  } while (start !== undefined);
}

export interface PrefixQueryOptions {
  /** Sort keys descending (for time-ordered keys: newest first). */
  readonly newestFirst?: boolean;
  /** A strongly consistent read: sees every write that finished before it. */
  readonly consistent?: boolean;
}

/** The Query of partition `pk`'s items whose sort key starts with `prefix` (table keys). */
function prefixQuery(
  tableName: string,
  pk: string,
  prefix: string,
  options: PrefixQueryOptions,
): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    ...(options.newestFirst ? { ScanIndexForward: false } : {}),
    ...(options.consistent ? { ConsistentRead: true } : {}),
  };
}

/** One page of partition `pk`'s items whose sort key starts with `prefix`. */
export function prefixPage(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  prefix: string,
  request: PageRequest = {},
  options: PrefixQueryOptions = {},
): Promise<Page<RawItem>> {
  return queryPage(
    doc,
    prefixQuery(tableName, pk, prefix, options),
    {
      attributes: [TABLE.partitionKey, TABLE.sortKey],
      partition: { name: TABLE.partitionKey, value: pk },
      sortPrefix: { name: TABLE.sortKey, prefix },
    },
    request,
  );
}

/** Every item of partition `pk` whose sort key starts with `prefix`, for the store's loops. */
export function prefixAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  prefix: string,
): AsyncGenerator<RawItem[]> {
  return queryAll(doc, prefixQuery(tableName, pk, prefix, {}));
}
