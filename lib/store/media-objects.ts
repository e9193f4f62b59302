import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isConditionalCheckFailed } from './aws-errors.js';
import { CorruptStoreDataError } from './corrupt-data-error.js';
import { mediaObjectKey } from './keys.js';

/**
 * What ingest decided about one media object: the sample it became, or why it was
 * rejected, or that it was removed. Keyed by the object's S3 key, it makes ingest
 * idempotent (the same event delivered again is recognised by its sequencer) and records
 * rejections without creating samples.
 */
export const mediaObjectRecordSchema = z.object({
  dataset: z.string(),
  key: z.string(),
  status: z.enum(['ingested', 'rejected', 'removed']),
  /** S3's per-key event order; only newer events change the record. */
  sequencer: z.string(),
  etag: z.string().optional(),
  sampleId: z.string().optional(),
  reason: z.string().optional(),
  updatedAt: z.string(),
});
export type MediaObjectRecord = z.infer<typeof mediaObjectRecordSchema>;

export class MediaObjectRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { doc: DynamoDBDocumentClient; tableName: string }) {
    this.#doc = options.doc;
    this.#table = options.tableName;
  }

  async get(dataset: string, key: string): Promise<MediaObjectRecord | undefined> {
    const output = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: mediaObjectKey(dataset, key),
        ConsistentRead: true,
      }),
    );
    if (output.Item === undefined) return undefined;
    const parsed = mediaObjectRecordSchema.safeParse(output.Item);
    if (!parsed.success)
      throw new CorruptStoreDataError(`${dataset}/${key}`, 'not a media object item', {
        cause: parsed.error,
      });
    return parsed.data;
  }

  /**
   * Writes the record unless one with a sequencer at least as new is already there (events
   * for a key may arrive out of order or twice). Returns whether it was written.
   */
  async put(input: MediaObjectRecord): Promise<boolean> {
    const record = parseInput(mediaObjectRecordSchema, input, 'media object record');
    // Sequencers are hex of varying width: pad to compare them as strings.
    const sequencerKey = record.sequencer.toUpperCase().padStart(32, '0');
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...mediaObjectKey(record.dataset, record.key),
            entity: 'mediaObject',
            ...record,
            sequencerKey,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR sequencerKey < :sequencer',
          ExpressionAttributeValues: { ':sequencer': sequencerKey },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Names the sample an imported media object is, so the object's next upload refreshes that
   * sample. A new record says `ingested` at sequencer 0 (any real S3 event is newer). A
   * record ingest made without a sample (it rejected the object) keeps its status and
   * sequencer and gains the sample; one that names a sample already is left alone. Returns
   * whether it was written.
   */
  async linkSample(input: {
    dataset: string;
    key: string;
    sampleId: string;
    updatedAt: string;
  }): Promise<boolean> {
    if (await this.put({ ...input, status: 'ingested', sequencer: '0' })) return true;
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: mediaObjectKey(input.dataset, input.key),
          UpdateExpression: 'SET sampleId = :sampleId, updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sampleId)',
          ExpressionAttributeValues: { ':sampleId': input.sampleId, ':updatedAt': input.updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
