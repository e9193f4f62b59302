import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  InvalidInputError,
  parseInput,
  StoreError,
  VersionConflictError,
} from '../errors/index.js';
import { sampleSchema } from '../labels/schemas.js';
import { isConditionalCheckFailed, isItemTooLarge } from './aws-errors.js';
import { type BlobStore, isBlobPointer } from './blob-store.js';
import { sampleBlobKey, sampleKey } from './keys.js';
import { assertNoPointers, type Fields, planOffload, uploadBlobs } from './large-fields.js';
import { parseSampleItem, type SampleItem } from './sample-item.js';

/**
 * Label-field updates of a sample item: conditional on the version the caller read, sized
 * against the whole item so large fields go to S3, at most once per merge token.
 */

const versionSchema = z.number().int().nonnegative();

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

export function describeSample(dataset: string, sampleId: string): string {
  return `sample '${sampleId}' of dataset '${dataset}'`;
}

export function sampleNotFound(dataset: string, sampleId: string): StoreError {
  return new StoreError('SAMPLE_NOT_FOUND', `Dataset '${dataset}' has no sample '${sampleId}'`, {
    dataset,
    sampleId,
  });
}

export function tooLarge(dataset: string, sampleId: string, cause: unknown): StoreError {
  return new StoreError(
    'ITEM_TOO_LARGE',
    `DynamoDB refused ${describeSample(dataset, sampleId)}: over its 400 KB item limit`,
    { dataset, sampleId },
    { cause },
  );
}

/** The version and generation a write expects: undefined generation checks none. */
interface Expected {
  readonly version: number;
  readonly generation: string | undefined;
}

function isAt(item: SampleItem, expected: Expected): boolean {
  return (
    item.version === expected.version &&
    (expected.generation === undefined || item.generation === expected.generation)
  );
}

function conflict(
  dataset: string,
  sampleId: string,
  expected: Expected,
  current: SampleItem,
  cause?: unknown,
): VersionConflictError {
  const replaced = current.version === expected.version;
  return new VersionConflictError(
    replaced
      ? `The ${describeSample(dataset, sampleId)} was replaced since it was read: it is at ` +
          `version ${current.version} again, but of another whole write`
      : `The ${describeSample(dataset, sampleId)} is at version ${current.version}, not ` +
          `${expected.version}: it changed since it was read`,
    {
      dataset,
      sampleId,
      expectedVersion: expected.version,
      actualVersion: current.version,
      ...(replaced ? { replaced: true } : {}),
    },
    cause === undefined ? undefined : { cause },
  );
}

/** A caller's item of another sample, version or generation would size the write wrongly. */
function assertCurrent(
  item: SampleItem,
  dataset: string,
  sampleId: string,
  expected: Expected,
): void {
  if (item.dataset === dataset && item.sampleId === sampleId && isAt(item, expected)) {
    return;
  }
  const generation =
    item.version === expected.version ? ` of generation '${item.generation ?? 'none'}'` : '';
  throw new InvalidInputError(
    `Invalid current item: it is the ${describeSample(item.dataset, item.sampleId)} at ` +
      `version ${item.version}${generation}, not the ${describeSample(dataset, sampleId)} at ` +
      `version ${expected.version}${generation === '' ? '' : ` of generation '${expected.generation}'`}`,
    {
      dataset,
      sampleId,
      expectedVersion: expected.version,
      expectedGeneration: expected.generation,
      itemDataset: item.dataset,
      itemSampleId: item.sampleId,
      itemVersion: item.version,
      itemGeneration: item.generation,
    },
  );
}

export interface SampleTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly blobs: BlobStore;
  readonly clock: () => Date;
}

/** The sample's item, read strongly consistent; undefined when there is none. */
export async function readSampleItem(
  table: SampleTable,
  dataset: string,
  sampleId: string,
): Promise<SampleItem | undefined> {
  const output = await table.doc.send(
    new GetCommand({
      TableName: table.tableName,
      Key: sampleKey(dataset, sampleId),
      ConsistentRead: true,
    }),
  );
  return output.Item === undefined ? undefined : parseSampleItem(output.Item);
}

export interface FieldWrite {
  readonly dataset: string;
  readonly sampleId: string;
  readonly fields: Fields;
  readonly expectedVersion: number;
  /**
   * The item's `generation` as the caller read it: the write also fails if the sample was
   * replaced since, even at the same version. Defaults to `current`'s; none checks none.
   */
  readonly expectedGeneration?: string;
  /** A merge token: the write happens at most once per token. */
  readonly token?: string;
  /** The item as the caller read it at `expectedVersion`; absent, it is read here. */
  readonly current?: SampleItem;
}

/**
 * Sets `fields` on the sample if it is still at `expectedVersion`; the version goes up by 1.
 * An already-applied token wins over a version mismatch: a retry is not a conflict.
 *
 * @throws VersionConflictError `VERSION_CONFLICT`; StoreError `SAMPLE_NOT_FOUND`,
 *   `ITEM_TOO_LARGE`; InvalidInputError `INVALID_INPUT`
 */
export async function writeSampleFields(
  table: SampleTable,
  write: FieldWrite,
): Promise<{ applied: boolean; item: SampleItem }> {
  const { dataset, sampleId, token } = write;
  const key = sampleKey(dataset, sampleId);
  const fields = parseInput(fieldsSchema, write.fields, 'sample fields');
  assertNoPointers(fields, 'sample fields');
  const expected: Expected = {
    version: parseInput(versionSchema, write.expectedVersion, 'expected version'),
    generation: write.expectedGeneration ?? write.current?.generation,
  };
  if (write.current !== undefined) assertCurrent(write.current, dataset, sampleId, expected);

  // The write must know the whole item's size to decide what goes to S3: unless the caller
  // holds the item, read it. The version condition below guarantees the item is still the
  // one read.
  const current = write.current ?? (await readSampleItem(table, dataset, sampleId));
  if (current === undefined) throw sampleNotFound(dataset, sampleId);
  if (token !== undefined && current.appliedMerges?.has(token)) {
    return { applied: false, item: current };
  }
  if (!isAt(current, expected)) throw conflict(dataset, sampleId, expected, current);

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
    version: expected.version + 1,
    updatedAt: table.clock().toISOString(),
    ...(token === undefined
      ? {}
      : { appliedMerges: new Set([...(current.appliedMerges ?? []), token]) }),
  };
  const plan = planOffload({
    item: next,
    fields: data,
    bucket: table.blobs.bucket,
    blobKey: (field, sha) => sampleBlobKey(dataset, sampleId, field, sha),
    describe: describeSample(dataset, sampleId),
  });
  await uploadBlobs(table.blobs, plan);

  const update = fieldUpdate({
    changed: [...new Set([...Object.keys(fields), ...plan.offloaded])],
    values: plan.fields,
    // The plan was sized against `current`: pin its generation too, so a sample replaced
    // at the same version since the read fails the condition.
    expected: { version: expected.version, generation: expected.generation ?? current.generation },
    updatedAt: next.updatedAt,
    token,
  });
  try {
    const output = await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        ...update,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { applied: true, item: parseSampleItem(output.Attributes ?? {}) };
  } catch (error) {
    if (isItemTooLarge(error)) throw tooLarge(dataset, sampleId, error);
    if (!isConditionalCheckFailed(error)) throw error;
    // dynalite ignores ReturnValuesOnConditionCheckFailure: read to say which check failed.
    const now = await readSampleItem(table, dataset, sampleId);
    if (now === undefined) throw sampleNotFound(dataset, sampleId);
    if (token !== undefined && now.appliedMerges?.has(token)) return { applied: false, item: now };
    throw conflict(dataset, sampleId, expected, now, error);
  }
}

interface FieldUpdateRequest {
  /** Names of the `data` fields to set. */
  readonly changed: readonly string[];
  /** The values as the item stores them (large ones already pointers). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly expected: Expected;
  readonly updatedAt: string;
  readonly token: string | undefined;
}

/**
 * Only the changed fields are sent (an item may be ~350 KB; a merge changes a field or
 * two), through placeholders: FiftyOne field names may be reserved words in an expression.
 */
function fieldUpdate(request: FieldUpdateRequest) {
  const names: Record<string, string> = {
    '#data': 'data',
    '#version': 'version',
    '#updatedAt': 'updatedAt',
  };
  const values: Record<string, unknown> = {
    ':expected': request.expected.version,
    ':one': 1,
    ':now': request.updatedAt,
  };
  const sets = request.changed.map((field, index) => {
    names[`#f${index}`] = field;
    values[`:f${index}`] = request.values[field];
    return `#data.#f${index} = :f${index}`;
  });
  let update = `SET ${[...sets, '#version = #version + :one', '#updatedAt = :now'].join(', ')}`;
  // A missing item has no version, so this also refuses to create one: with the caller's
  // item and no read, this is what tells a deleted sample.
  let condition = '#version = :expected';
  if (request.expected.generation !== undefined) {
    names['#generation'] = 'generation';
    values[':generation'] = request.expected.generation;
    condition += ' AND #generation = :generation';
  }
  if (request.token !== undefined) {
    names['#applied'] = 'appliedMerges';
    values[':token'] = request.token;
    values[':tokens'] = new Set([request.token]);
    update += ' ADD #applied :tokens';
    condition += ' AND NOT contains(#applied, :token)';
  }
  return {
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
