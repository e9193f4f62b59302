import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  InvalidInputError,
  parseInput,
  StoreError,
  VersionConflictError,
} from '../errors/index.js';
import { type Sample, sampleSchema } from '../labels/schemas.js';
import { isConditionalCheckFailed, isItemTooLarge } from './aws-errors.js';
import { batchGet } from './batch-get.js';
import { batchWrite, DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import { type BlobStore, isBlobPointer } from './blob-store.js';
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

export type { StoredSample } from './sample-item.js';

const versionSchema = z.number().int().nonnegative();
const mergeTokenSchema = z.string().min(1).max(256);

/** Fields an update may set: any top-level sample field but `id`, at least one. */
const fieldsSchema = z.record(z.string(), z.unknown()).superRefine((fields, ctx) => {
  const names = Object.keys(fields);
  if (names.length === 0) ctx.addIssue({ code: 'custom', message: 'must set at least one field' });
  for (const name of names) {
    const problem =
      name === 'id'
        ? "'id' cannot change"
        : name.length === 0 || name.length > 255
          ? 'field names are 1-255 characters'
          : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
  }
});

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

function describe(dataset: string, sampleId: string): string {
  return `sample '${sampleId}' of dataset '${dataset}'`;
}

function sampleNotFound(dataset: string, sampleId: string): StoreError {
  return new StoreError('SAMPLE_NOT_FOUND', `Dataset '${dataset}' has no sample '${sampleId}'`, {
    dataset,
    sampleId,
  });
}

function tooLarge(dataset: string, sampleId: string, cause: unknown): StoreError {
  return new StoreError(
    'ITEM_TOO_LARGE',
    `DynamoDB refused ${describe(dataset, sampleId)}: over its 400 KB item limit`,
    { dataset, sampleId },
    { cause },
  );
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

  constructor(options: SampleRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#blobs = options.blobs;
    this.#clock = options.clock ?? (() => new Date());
    this.#retry = options.retry ?? DEFAULT_RETRY;
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
      describe: describe(dataset, sample.id),
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

  async #read(dataset: string, sampleId: string): Promise<SampleItem | undefined> {
    const output = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: sampleKey(dataset, sampleId),
        ConsistentRead: true,
      }),
    );
    return output.Item === undefined ? undefined : parseSampleItem(output.Item);
  }

  /**
   * The samples with these ids, in this order, read with BatchGetItem (100 per call, not one
   * call per sample); undefined where the dataset has no such sample.
   */
  async findMany(
    dataset: string,
    sampleIds: readonly string[],
  ): Promise<Array<StoredSample | undefined>> {
    const keys = [...new Set(sampleIds)].map((id) => sampleKey(dataset, id));
    const found = new Map<string, SampleItem>();
    for (const raw of await batchGet(this.#doc, this.#table, keys, this.#retry)) {
      const item = parseSampleItem(raw);
      found.set(item.sampleId, item);
    }
    return Promise.all(
      sampleIds.map((id) => {
        const item = found.get(id);
        return item === undefined ? undefined : toStoredSample(this.#blobs, item);
      }),
    );
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
    const item = await this.#read(dataset, sampleId);
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
   *
   * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `SAMPLE_NOT_FOUND`,
   *   `ITEM_TOO_LARGE`; InvalidInputError `INVALID_INPUT`
   */
  async updateFields(
    dataset: string,
    sampleId: string,
    fields: Fields,
    expectedVersion: number,
  ): Promise<StoredSample> {
    const result = await this.#writeFields(dataset, sampleId, fields, expectedVersion, undefined);
    return toStoredSample(this.#blobs, result.item);
  }

  /**
   * {@link updateFields} at most once per `mergeToken`: the token joins the item's
   * `appliedMerges` set in the same conditional write, so a page merge that runs twice (a
   * retried Lambda, a duplicate webhook) writes once and reports `applied: false` after. An
   * already-applied token wins over a version mismatch: a retry is not a conflict.
   *
   * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `SAMPLE_NOT_FOUND`,
   *   `ITEM_TOO_LARGE`; InvalidInputError `INVALID_INPUT`
   */
  async applyMerge(
    dataset: string,
    sampleId: string,
    fields: Fields,
    mergeToken: string,
    expectedVersion: number,
  ): Promise<MergeWrite> {
    const token = parseInput(mergeTokenSchema, mergeToken, 'merge token');
    const result = await this.#writeFields(dataset, sampleId, fields, expectedVersion, token);
    return { applied: result.applied, version: result.item.version };
  }

  async #writeFields(
    dataset: string,
    sampleId: string,
    input: Fields,
    expectedVersion: number,
    token: string | undefined,
  ): Promise<{ applied: boolean; item: SampleItem }> {
    const key = sampleKey(dataset, sampleId);
    const fields = parseInput(fieldsSchema, input, 'sample fields');
    assertNoPointers(fields, 'sample fields');
    const expected = parseInput(versionSchema, expectedVersion, 'expected version');

    // Read first: the write must know the whole item's size to decide what goes to S3, and
    // the version condition below guarantees the item is still the one read.
    const current = await this.#read(dataset, sampleId);
    if (current === undefined) throw sampleNotFound(dataset, sampleId);
    if (token !== undefined && current.appliedMerges?.has(token)) {
      return { applied: false, item: current };
    }
    if (current.version !== expected) throw this.#conflict(dataset, sampleId, expected, current);

    const data = { ...current.data, ...fields };
    const inline = Object.fromEntries(
      Object.entries(data).filter(([, value]) => !isBlobPointer(value)),
    );
    parseInput(sampleSchema, inline, 'sample fields');
    const next = {
      ...key,
      entity: 'sample',
      ...current,
      data,
      version: expected + 1,
      updatedAt: this.#clock().toISOString(),
      ...(token === undefined
        ? {}
        : { appliedMerges: new Set([...(current.appliedMerges ?? []), token]) }),
    };
    const plan = planOffload({
      item: next,
      fields: data,
      bucket: this.#blobs.bucket,
      blobKey: (field, sha) => sampleBlobKey(dataset, sampleId, field, sha),
      describe: describe(dataset, sampleId),
    });
    await uploadBlobs(this.#blobs, plan);

    const changed = [...new Set([...Object.keys(fields), ...plan.offloaded])];
    const names: Record<string, string> = {
      '#data': 'data',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':expected': expected,
      ':one': 1,
      ':now': next.updatedAt,
    };
    const sets = changed.map((field, index) => {
      names[`#f${index}`] = field;
      values[`:f${index}`] = plan.fields[field];
      return `#data.#f${index} = :f${index}`;
    });
    let update = `SET ${[...sets, '#version = #version + :one', '#updatedAt = :now'].join(', ')}`;
    let condition = '#version = :expected';
    if (token !== undefined) {
      names['#applied'] = 'appliedMerges';
      values[':token'] = token;
      values[':tokens'] = new Set([token]);
      update += ' ADD #applied :tokens';
      condition += ' AND NOT contains(#applied, :token)';
    }

    try {
      const output = await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { applied: true, item: parseSampleItem(output.Attributes ?? {}) };
    } catch (error) {
      if (isItemTooLarge(error)) throw tooLarge(dataset, sampleId, error);
      if (!isConditionalCheckFailed(error)) throw error;
      // dynalite ignores ReturnValuesOnConditionCheckFailure: read to say which check failed.
      const now = await this.#read(dataset, sampleId);
      if (now === undefined) throw sampleNotFound(dataset, sampleId);
      if (token !== undefined && now.appliedMerges?.has(token))
        return { applied: false, item: now };
      throw this.#conflict(dataset, sampleId, expected, now, error);
    }
  }

  #conflict(
    dataset: string,
    sampleId: string,
    expectedVersion: number,
    current: SampleItem,
    cause?: unknown,
  ): VersionConflictError {
    return new VersionConflictError(
      `The ${describe(dataset, sampleId)} is at version ${current.version}, not ` +
        `${expectedVersion}: it changed since it was read`,
      { dataset, sampleId, expectedVersion, actualVersion: current.version },
      cause === undefined ? undefined : { cause },
    );
  }
}
