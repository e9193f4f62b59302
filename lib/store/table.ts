import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The table's shape as data, so the CDK construct and the local runtime create the same
 * table from one definition and no attribute name is spelled twice. The key scheme that
 * fills these attributes is documented in `./keys.ts`.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** `gsi1`: backend task id → task, and the list of datasets (see `./keys.ts`). */
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /**
   * Epoch seconds after which DynamoDB may delete the item. Deletion is lazy on AWS (up to
   * days) and absent locally (dynalite has no TTL), so readers filter on it themselves.
   */
  ttlAttribute: 'expiresAt',
} as const;

/**
 * CreateTable input for the definition above (on-demand billing). Used by the local stand-ins;
 * the CDK construct maps the same {@link TABLE} names onto `TableV2`.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, gsi1 } = TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, gsi1.partitionKey, gsi1.sortKey].map(
      (AttributeName) => ({ AttributeName, AttributeType: 'S' }),
    ),
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: gsi1.indexName,
        KeySchema: [
          { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
        ],
        // ALL: a lookup returns the whole task or dataset in one query, no follow-up read.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
