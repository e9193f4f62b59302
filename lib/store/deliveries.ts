import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isConditionalCheckFailed } from './aws-errors.js';
import { deliveryKey } from './keys.js';
import { TABLE } from './table.js';

/** A delivery record lives between one second and one year. */
const ttlSchema = z
  .number()
  .int()
  .min(1)
  .max(365 * 24 * 3600);

export interface DeliveryRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: () => Date;
}

/**
 * Webhook deliveries already seen (`HOOK#<backend>#<deliveryId>` / `HOOK`), so a tool that
 * redelivers (they all retry on timeouts) triggers its merge once. Records expire through
 * the table's TTL attribute; because TTL deletion is lazy on AWS and absent in dynalite,
 * an expired record counts as absent everywhere here.
 */
export class DeliveryRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: () => Date;

  constructor(options: DeliveryRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Records the delivery; true the first time, false for a duplicate (a conditional put,
   * so of two concurrent deliveries exactly one gets true). An expired record is replaced.
   *
   * @throws InvalidInputError `INVALID_INPUT` for a bad id or TTL.
   */
  async recordDelivery(backend: string, deliveryId: string, ttlSeconds: number): Promise<boolean> {
    const key = deliveryKey(backend, deliveryId);
    const ttl = parseInput(ttlSchema, ttlSeconds, 'delivery TTL');
    const now = this.#clock();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...key,
            entity: 'delivery',
            backend,
            deliveryId,
            receivedAt: now.toISOString(),
            [TABLE.ttlAttribute]: nowSeconds + ttl,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt <= :now',
          ExpressionAttributeNames: { '#expiresAt': TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Whether an unexpired record of the delivery exists. */
  async hasDelivery(backend: string, deliveryId: string): Promise<boolean> {
    const output = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: deliveryKey(backend, deliveryId),
        ConsistentRead: true,
      }),
    );
    const expiresAt = output.Item?.[TABLE.ttlAttribute];
    return typeof expiresAt === 'number' && expiresAt > Math.floor(this.#clock().getTime() / 1000);
  }
}
