import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { type Sample, sampleSchema } from '../labels/schemas.js';
import { isItemTooLarge } from './aws-errors.js';
import { batchGet } from './batch-get.js';
import { batchWrite, DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import type { BlobStore } from './blob-store.js';
import { datasetPk, SK_PREFIX, sampleBlobKey, sampleKey, validateDatasetName } from './keys.js';
import {
  assertNoPointers,
  type Fields,
  type OffloadPlan,
  planOffload,
  uploadBlobs,
} from './large-fields.js';
import { type Page, type PageRequest, prefixPage } from './paging.js';
import {
  newSampleItem,
  parseSampleItem,
  type SampleItem,
  type StoredSample,
  toStoredSample,
} from './sample-item.js';
import {
  describeSample,
  readSampleItem,
  type SampleTable,
  sampleNotFound,
  tooLarge,
  writeSampleFields,
} from './sample-write.js';

export type { SampleItem, StoredSample } from './sample-item.js';

const mergeTokenSchema = z.string().min(1).max(256);

/**
 * A sample read for a merge, with the item it was read from: handed back to
 * {@link SampleRepository.applyMerge}, the item spares the write a read of its own.
 */
export interface SampleForMerge extends StoredSample {
  readonly item: SampleItem;
}

/** The outcome of {@link SampleRepository.applyMerge}. */
export interface MergeWrite {
  /** False when this merge token was already applied: nothing was written this time. */
  readonly applied: boolean;
  /** The sample's version after the call. */
  readonly version: number;
}

export interface SampleRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly blobs: BlobStore;
  readonly clock?: () => Date;
  readonly retry?: RetryPolicy;
}

/**
 * Samples of a dataset, one item each (`DS#<dataset>` / `S#<sampleId>`), label fields as
 * FiftyOne JSON. Writes of whole samples are idempotent puts; label updates are conditional
 * on the version the caller read. No transactions: dynalite has none, and every guarantee
 * here holds per item.
 */
export class SampleRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #blobs: BlobStore;
  readonly #clock: () => Date;
  readonly #retry: RetryPolicy;
  readonly #sampleTable: SampleTable;

  constructor(options: SampleRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#blobs = options.blobs;
    this.#clock = options.clock ?? (() => new Date());
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sampleTable = {
      doc: this.#doc,
      tableName: this.#table,
      blobs: this.#blobs,
      clock: this.#clock,
    };
  }

  /** Validates a whole sample and plans its item, with no I/O. */
  #prepare(dataset: string, input: unknown): { sample: Sample; item: Fields; plan: OffloadPlan } {
    validateDatasetName(dataset);
    const sample = parseInput(sampleSchema, input, 'sample');
    assertNoPointers(sample, 'sample');
    const item = newSampleItem(dataset, sample, sample, this.#clock());
    const plan = planOffload({
      item,
      fields: sample,
      bucket: this.#blobs.bucket,
      blobKey: (field, sha) => sampleBlobKey(dataset, sample.id, field, sha),
      describe: describeSample(dataset, sample.id),
    });
    return { sample, item: { ...item, data: plan.fields }, plan };
  }

  /**
   * Writes a whole sample, replacing any stored one (version 0, no merges applied): ingest,
   * safe to repeat.
   *
   * @throws InvalidInputError `INVALID_INPUT`; StoreError `ITEM_TOO_LARGE`
   */
  async put(dataset: string, input: z.input<typeof sampleSchema>): Promise<StoredSample> {
    const { sample, item, plan } = this.#prepare(dataset, input);
    await uploadBlobs(this.#blobs, plan);
    try {
      await this.#doc.send(new PutCommand({ TableName: this.#table, Item: item }));
    } catch (error) {
      if (isItemTooLarge(error)) throw tooLarge(dataset, sample.id, error);
      throw error;
    }
    return { dataset, sample, version: 0, updatedAt: String(item.updatedAt) };
  }

  /**
   * {@link put} for many samples: every sample is validated before anything is written, then
   * BatchWriteItem in 25s, unprocessed items resent with backoff.
   *
   * @throws InvalidInputError `INVALID_INPUT` (bad sample, repeated id); StoreError
   *   `ITEM_TOO_LARGE`; BatchWriteIncompleteError `BATCH_WRITE_INCOMPLETE`
   */
  async batchPut(
    dataset: string,
    inputs: readonly z.input<typeof sampleSchema>[],
  ): Promise<{ written: number }> {
    const prepared = inputs.map((input) => this.#prepare(dataset, input));
    const seen = new Set<string>();
    for (const { sample } of prepared) {
      if (seen.has(sample.id)) {
        throw new InvalidInputError(`Invalid samples: id '${sample.id}' appears twice`, {
          sampleId: sample.id,
        });
      }
      seen.add(sample.id);
    }
    await Promise.all(prepared.map(({ plan }) => uploadBlobs(this.#blobs, plan)));
    await batchWrite(
      this.#doc,
      this.#table,
      prepared.map(({ item }) => ({ PutRequest: { Item: item } })),
      'samples',
      this.#retry,
    );
    return { written: prepared.length };
  }

  /**
   * The samples with these ids, in this order, read with BatchGetItem (100 per call, not one
   * call per sample); undefined where the dataset has no such sample.
   */
  async findMany(
    dataset: string,
    sampleIds: readonly string[],
  ): Promise<Array<StoredSample | undefined>> {
    return this.#readSamples(dataset, sampleIds, (item) => toStoredSample(this.#blobs, item));
  }

  /**
   * {@link findMany}, each sample with the item it was read from, for a conditional write
   * back ({@link applyMerge} for a merge, {@link updateFields} for ingest): the item sizes
   * the write and carries the generation it checks. The same calls and read units as
   * findMany.
   */
  async findManyForMerge(
    dataset: string,
    sampleIds: readonly string[],
  ): Promise<Array<SampleForMerge | undefined>> {
    return this.#readSamples(dataset, sampleIds, async (item) => ({
      ...(await toStoredSample(this.#blobs, item)),
      item,
    }));
  }

  /** The ids' items read in batches, each made into a `T`, in the ids' order. */
  async #readSamples<T>(
    dataset: string,
    sampleIds: readonly string[],
    make: (item: SampleItem) => Promise<T>,
  ): Promise<Array<T | undefined>> {
    const found = await this.#readMany(dataset, sampleIds);
    return Promise.all(
      sampleIds.map((id) => {
        const item = found.get(id);
        return item === undefined ? undefined : make(item);
      }),
    );
  }

  async #readMany(dataset: string, sampleIds: readonly string[]): Promise<Map<string, SampleItem>> {
    const keys = [...new Set(sampleIds)].map((id) => sampleKey(dataset, id));
    const found = new Map<string, SampleItem>();
    for (const raw of await batchGet(this.#doc, this.#table, keys, this.#retry)) {
      const item = parseSampleItem(raw);
      found.set(item.sampleId, item);
    }
    return found;
  }

  /**
   * {@link findMany}, for ids that must all exist.
   *
   * @throws StoreError `SAMPLE_NOT_FOUND` naming the first id the dataset does not have.
   */
  async getMany(dataset: string, sampleIds: readonly string[]): Promise<StoredSample[]> {
    const stored = await this.findMany(dataset, sampleIds);
    return stored.map((each, index) => {
      if (each === undefined) throw sampleNotFound(dataset, sampleIds[index] as string);
      return each;
    });
  }

  /** @throws StoreError `SAMPLE_NOT_FOUND`; InvalidInputError for a bad name or id. */
  async get(dataset: string, sampleId: string): Promise<StoredSample> {
    const item = await readSampleItem(this.#sampleTable, dataset, sampleId);
    if (item === undefined) throw sampleNotFound(dataset, sampleId);
    return toStoredSample(this.#blobs, item);
  }

  /**
   * One page of a dataset's samples, in sample-key order.
   *
   * @throws InvalidInputError `INVALID_INPUT` for a bad limit or cursor.
   */
  async list(dataset: string, page: PageRequest = {}): Promise<Page<StoredSample>> {
    const result = await prefixPage(
      this.#doc,
      this.#table,
      datasetPk(dataset),
      SK_PREFIX.sample,
      page,
    );
    const items = await Promise.all(
      result.items.map((raw) => toStoredSample(this.#blobs, parseSampleItem(raw))),
    );
    return { ...result, items };
  }

  /**
   * How many samples the dataset has. DynamoDB has no stored count: this pages through the
   * partition with `Select: COUNT`, which returns no items but is billed (and timed) like
   * reading them all, about 1 RCU per 8 KB of samples. Fine for a page of stats, not a
   * hot path.
   */
  async count(dataset: string): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const output = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': datasetPk(dataset), ':prefix': SK_PREFIX.sample },
          Select: 'COUNT',
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      total += output.Count ?? 0;
      start = output.LastEvaluatedKey;
    } while (start !== undefined);
    return total;
  }

  /**
   * Sets label fields if the sample is still at `expectedVersion`; the version goes up by 1.
   * `current`, the item the sample was read from ({@link findManyForMerge}), spares the read
   * that sizes the write, and makes a sample replaced since (back at the same version, of
   * another generation) a conflict too: a version alone cannot tell.
   *
   * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `SAMPLE_NOT_FOUND`,
   *   `ITEM_TOO_LARGE`; InvalidInputError `INVALID_INPUT`
   */
  async updateFields(
    dataset: string,
    sampleId: string,
    fields: Fields,
    expectedVersion: number,
    current?: SampleItem,
  ): Promise<StoredSample> {
    const result = await writeSampleFields(this.#sampleTable, {
      dataset,
      sampleId,
      fields,
      expectedVersion,
      ...(current === undefined ? {} : { current }),
    });
    return toStoredSample(this.#blobs, result.item);
  }

  /**
   * {@link updateFields} at most once per `mergeToken`: the token joins the item's
   * `appliedMerges` set in the same conditional write, so a page merge that runs twice (a
   * retried Lambda, a duplicate webhook) writes once and reports `applied: false` after. An
   * already-applied token wins over a version mismatch: a retry is not a conflict.
   *
   * `current` is the item the caller read the sample from, at `expectedVersion`
   * ({@link findManyForMerge}): given, the write is sized against it and nothing is read
   * first. The version condition keeps that safe: if the sample moved on, the write fails
   * and a read tells a retry from a conflict, exactly as without it.
   *
   * `expectedGeneration` (else `current`'s) is the item's generation as read: a sample
   * replaced since, back at the same version, is a conflict too (see SampleItem).
   *
   * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `SAMPLE_NOT_FOUND`,
   *   `ITEM_TOO_LARGE`; InvalidInputError `INVALID_INPUT` (also for a `current` of another
   *   sample, version or generation)
   */
  async applyMerge(
    dataset: string,
    sampleId: string,
    fields: Fields,
    mergeToken: string,
    expectedVersion: number,
    current?: SampleItem,
    expectedGeneration?: string,
  ): Promise<MergeWrite> {
    const token = parseInput(mergeTokenSchema, mergeToken, 'merge token');
    const result = await writeSampleFields(this.#sampleTable, {
      dataset,
      sampleId,
      fields,
      expectedVersion,
      token,
      ...(current === undefined ? {} : { current }),
      ...(expectedGeneration === undefined ? {} : { expectedGeneration }),
    });
    return { applied: result.applied, version: result.item.version };
  }
}
