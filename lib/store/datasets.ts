import { isDeepStrictEqual } from 'node:util';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput, StoreError, VersionConflictError } from '../errors/index.js';
import { type DatasetSchema, datasetSchemaSchema } from '../schema/types.js';
import { isConditionalCheckFailed } from './aws-errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import type { BlobStore } from './blob-store.js';
import { parseStoredItem } from './corrupt-data-error.js';
import {
  DATASETS_PARTITION,
  datasetBlobPrefix,
  datasetIndexKey,
  datasetIndexRange,
  datasetKey,
  datasetNameSchema,
  datasetPk,
  runTasksPk,
  SK_PREFIX,
  validateDatasetName,
} from './keys.js';
import { mergeDatasetSchema } from './merge-dataset-schema.js';
import { type Page, type PageRequest, queryAll, queryPage } from './paging.js';
import { deletePartition } from './partition.js';
import { TABLE } from './table.js';

/** Dataset names bounding a listing, both included; an absent end is open. */
export interface DatasetNameRange {
  readonly from?: string;
  readonly to?: string;
}

/**
 * A dataset's META item: its field schema and a version for optimistic concurrency (0 when
 * created, +1 per schema change).
 */
export const datasetRecordSchema = z.object({
  name: datasetNameSchema,
  schema: datasetSchemaSchema,
  version: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

export interface DatasetRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Deleting a dataset deletes its large label fields here too. */
  readonly blobs: BlobStore;
  readonly clock?: () => Date;
  readonly retry?: RetryPolicy;
}

function notFound(name: string): StoreError {
  return new StoreError('DATASET_NOT_FOUND', `Dataset '${name}' not found`, { dataset: name });
}

function parseRecord(raw: Record<string, unknown>): DatasetRecord {
  return parseStoredItem(datasetRecordSchema, raw, 'a dataset item');
}

/** Datasets: one META item each, listed through `gsi1` (`DATASETS` / `DS#<name>`). */
export class DatasetRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #blobs: BlobStore;
  readonly #clock: () => Date;
  readonly #retry: RetryPolicy;

  constructor(options: DatasetRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#blobs = options.blobs;
    this.#clock = options.clock ?? (() => new Date());
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Creates the dataset only if no dataset has the name (a conditional put, so two
   * concurrent creates cannot both win).
   *
   * @throws StoreError `DATASET_EXISTS`; InvalidInputError `INVALID_INPUT` (name, schema)
   */
  async create(name: string, schema: DatasetSchema): Promise<DatasetRecord> {
    validateDatasetName(name);
    const at = this.#clock().toISOString();
    const record = parseInput(
      datasetRecordSchema,
      { name, schema, version: 0, createdAt: at, updatedAt: at },
      `dataset '${String(name)}'`,
    );
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...datasetKey(name), ...datasetIndexKey(name), entity: 'dataset', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      throw new StoreError(
        'DATASET_EXISTS',
        `Dataset '${name}' already exists`,
        { dataset: name },
        { cause: error },
      );
    }
    return record;
  }

  async #read(name: string): Promise<DatasetRecord | undefined> {
    const output = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: datasetKey(name), ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : parseRecord(output.Item);
  }

  /** @throws StoreError `DATASET_NOT_FOUND`; InvalidInputError for a bad name. */
  async get(name: string): Promise<DatasetRecord> {
    const record = await this.#read(name);
    if (record === undefined) throw notFound(name);
    return record;
  }

  /**
   * One page of datasets, by name; with `names`, only those named `from` through `to` (both
   * included), so a caller can start or stop part-way without reading the names before.
   *
   * @throws InvalidInputError `INVALID_INPUT` for a bad limit, cursor or name.
   */
  async list(page: PageRequest = {}, names: DatasetNameRange = {}): Promise<Page<DatasetRecord>> {
    const { gsi1 } = TABLE;
    const bounds = datasetIndexRange(names.from, names.to);
    // DynamoDB refuses a BETWEEN whose bounds are reversed; such a range holds nothing.
    if (bounds.from > bounds.to) return { items: [] };
    const result = await queryPage(
      this.#doc,
      {
        TableName: this.#table,
        IndexName: gsi1.indexName,
        KeyConditionExpression: '#gpk = :gpk AND #gsk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#gpk': gsi1.partitionKey, '#gsk': gsi1.sortKey },
        ExpressionAttributeValues: {
          ':gpk': DATASETS_PARTITION,
          ':from': bounds.from,
          ':to': bounds.to,
        },
      },
      {
        attributes: [TABLE.partitionKey, TABLE.sortKey, gsi1.partitionKey, gsi1.sortKey],
        partition: { name: gsi1.partitionKey, value: DATASETS_PARTITION },
        sortPrefix: { name: gsi1.sortKey, prefix: SK_PREFIX.dataset },
      },
      page,
    );
    return { ...result, items: result.items.map(parseRecord) };
  }

  /**
   * Adds the fields, frame fields and mask targets of `seen` to the dataset's schema, if the
   * dataset is still at `expectedVersion`. Seeing nothing new writes nothing and keeps the
   * version.
   *
   * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `DATASET_NOT_FOUND`,
   *   `SCHEMA_FIELD_CONFLICT`; InvalidInputError `INVALID_INPUT`
   */
  async updateSchema(
    name: string,
    seen: DatasetSchema,
    expectedVersion: number,
  ): Promise<DatasetRecord> {
    const incoming = parseInput(datasetSchemaSchema, seen, 'dataset schema');
    const current = await this.#read(name);
    if (current === undefined) throw notFound(name);
    if (current.version !== expectedVersion) throw conflict(name, expectedVersion, current);
    const schema = mergeDatasetSchema(current.schema, incoming);
    if (isDeepStrictEqual(schema, current.schema)) return current;
    const next = { ...current, schema, version: current.version + 1 };
    next.updatedAt = this.#clock().toISOString();
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: datasetKey(name),
          UpdateExpression: 'SET #schema = :schema, #version = :next, #updatedAt = :now',
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: {
            '#schema': 'schema',
            '#version': 'version',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':schema': schema,
            ':next': next.version,
            ':now': next.updatedAt,
            ':expected': expectedVersion,
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const now = await this.#read(name);
      if (now === undefined) throw notFound(name);
      throw conflict(name, expectedVersion, now, error);
    }
    return next;
  }

  /**
   * Deletes the dataset with everything in it: its runs' tasks, its samples and runs, its
   * large label fields in S3, and last its META item, so an interrupted delete leaves the
   * dataset visible and deleting it again finishes the job.
   *
   * @throws StoreError `DATASET_NOT_FOUND`; BatchWriteIncompleteError
   */
  async delete(name: string): Promise<void> {
    await this.get(name);
    const pk = datasetPk(name);
    const runs = queryAll(this.#doc, {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': SK_PREFIX.run },
      ProjectionExpression: 'annoKey',
    });
    for await (const page of runs) {
      for (const run of page) {
        const tasksPk = runTasksPk(name, String(run.annoKey));
        await deletePartition(this.#doc, this.#table, tasksPk, this.#retry, { what: 'tasks' });
      }
    }
    await deletePartition(this.#doc, this.#table, pk, this.#retry, {
      keep: (item) => item.sk === datasetKey(name).sk,
      what: 'dataset items',
    });
    await this.#blobs.deletePrefix(datasetBlobPrefix(name));
    await this.#doc.send(new DeleteCommand({ TableName: this.#table, Key: datasetKey(name) }));
  }
}

function conflict(
  name: string,
  expectedVersion: number,
  current: DatasetRecord,
  cause?: unknown,
): VersionConflictError {
  return new VersionConflictError(
    `Dataset '${name}' is at version ${current.version}, not ${expectedVersion}: it changed ` +
      'since it was read',
    { dataset: name, expectedVersion, actualVersion: current.version },
    cause === undefined ? undefined : { cause },
  );
}
