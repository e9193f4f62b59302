import { isDeepStrictEqual } from 'node:util';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { AnnotationRunError, parseInput, VersionConflictError } from '../errors/index.js';
import { objectKeyOf } from '../runs/keys.js';
import {
  type RunCounters,
  type RunFailure,
  type RunRecord,
  runCountersSchema,
  runRecordSchema,
  transitionRun,
} from '../runs/record.js';
import type { RunStatus } from '../runs/status.js';
import { isConditionalCheckFailed } from './aws-errors.js';
import { parseStoredItem } from './corrupt-data-error.js';
import type { ExecutionRepository } from './executions.js';
import { datasetPk, runKey, SK_PREFIX, validateRunKey } from './keys.js';
import { queryAll } from './paging.js';
import type { TaskRepository } from './tasks.js';

export interface RunRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** A run's tasks move with it on rename and go with it on delete. */
  readonly tasks: TaskRepository;
  /** And so does the record of its workflow executions. */
  readonly executions: ExecutionRepository;
  readonly clock?: () => Date;
}

function parseRun(raw: Record<string, unknown>): RunRecord {
  return parseStoredItem(runRecordSchema, raw, 'a run item');
}

// FiftyOne's texts (lib/runs/keys.ts), so the service reads as FiftyOne does.
function runNotFound(annoKey: string): AnnotationRunError {
  return new AnnotationRunError('RUN_NOT_FOUND', `Dataset has no annotation run key '${annoKey}'`, {
    key: annoKey,
  });
}

function runExists(annoKey: string, text = 'Annotation run'): AnnotationRunError {
  return new AnnotationRunError('RUN_KEY_EXISTS', `${text} with key '${annoKey}' already exists`, {
    key: annoKey,
  });
}

function conflict(record: RunRecord, actual: RunRecord, cause?: unknown): VersionConflictError {
  return new VersionConflictError(
    `Annotation run '${record.annoKey}' is at version ${actual.version} (status ` +
      `'${actual.status}'), not ${record.version} ('${record.status}'): it changed since it ` +
      'was read',
    {
      dataset: record.dataset,
      key: record.annoKey,
      expectedVersion: record.version,
      actualVersion: actual.version,
      actualStatus: actual.status,
    },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Marks a run item written by a rename, so a retried rename recognises its own earlier
 * write. The old key plus the run's creation time names one run, even if the old key is
 * reused later.
 */
function renameToken(record: RunRecord): string {
  return `${record.annoKey}@${record.createdAt}`;
}

/**
 * Annotation run records (`DS#<dataset>` / `RUN#<annoKey>`). The record's `version` guards
 * every change: writes are conditional on the version (and status) the caller read.
 */
export class RunRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #tasks: TaskRepository;
  readonly #executions: ExecutionRepository;
  readonly #clock: () => Date;

  constructor(options: RunRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#tasks = options.tasks;
    this.#executions = options.executions;
    this.#clock = options.clock ?? (() => new Date());
  }

  /**
   * Reserves the run's key: a put only if no run has it, so of two concurrent `annotate()`
   * calls with one key exactly one wins (SEMANTICS §7.2).
   *
   * @throws AnnotationRunError `RUN_KEY_EXISTS`, `INVALID_ANNO_KEY`; InvalidInputError
   */
  async create(input: RunRecord): Promise<RunRecord> {
    validateRunKey(input.annoKey);
    const record = parseInput(runRecordSchema, input, 'annotation run record');
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...runKey(record.dataset, record.annoKey), entity: 'run', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      throw runExists(record.annoKey);
    }
    return record;
  }

  async #read(dataset: string, annoKey: string): Promise<Record<string, unknown> | undefined> {
    const output = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: runKey(dataset, annoKey),
        ConsistentRead: true,
      }),
    );
    return output.Item;
  }

  /** @throws AnnotationRunError `RUN_NOT_FOUND`, `INVALID_ANNO_KEY` */
  async get(dataset: string, annoKey: string): Promise<RunRecord> {
    const raw = await this.#read(dataset, annoKey);
    if (raw === undefined) throw runNotFound(annoKey);
    return parseRun(raw);
  }

  /**
   * Every run of the dataset, sorted by key as Python sorts strings (DynamoDB orders sort
   * keys by UTF-8 bytes, which is code point order). A dataset has few runs: no paging.
   * Filter with `listRuns` from `lib/runs`.
   */
  async list(dataset: string): Promise<RunRecord[]> {
    const records: RunRecord[] = [];
    const pages = queryAll(this.#doc, {
      TableName: this.#table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': datasetPk(dataset), ':prefix': SK_PREFIX.run },
    });
    for await (const page of pages) records.push(...page.map(parseRun));
    return records;
  }

  /**
   * Moves the record to `to` (lib/runs `transitionRun`: legal moves only, version + 1),
   * conditional on the stored run still having `record`'s status and version. Moving to the
   * current status writes nothing and returns `record`, so a retried step is a no-op.
   *
   * @throws AnnotationRunError `INVALID_RUN_TRANSITION`, `RUN_NOT_FOUND`;
   *   VersionConflictError `VERSION_CONFLICT`
   */
  async transition(
    record: RunRecord,
    to: RunStatus,
    failure?: RunFailure,
    now: Date = this.#clock(),
  ): Promise<RunRecord> {
    const next = transitionRun(record, to, now, failure);
    if (next === record) return record;
    return this.#replace(record, next, {
      ConditionExpression: '#status = :from AND #version = :version',
      ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
      ExpressionAttributeValues: { ':from': record.status, ':version': record.version },
    });
  }

  /**
   * Writes `next` over `record` if the stored run still meets `condition`; a failed
   * condition becomes RUN_NOT_FOUND or VERSION_CONFLICT naming what is stored now.
   */
  async #replace(
    record: RunRecord,
    next: RunRecord,
    condition: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<RunRecord> {
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...runKey(next.dataset, next.annoKey), entity: 'run', ...next },
          ...condition,
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const raw = await this.#read(record.dataset, record.annoKey);
      if (raw === undefined) throw runNotFound(record.annoKey);
      throw conflict(record, parseRun(raw), error);
    }
    return next;
  }

  /**
   * Replaces the run's counters, conditional on the stored run still being at `record`'s
   * version (version + 1). Counters equal to the stored ones write nothing and return
   * `record`, so a retried step is a no-op.
   *
   * @throws InvalidInputError `INVALID_INPUT`; AnnotationRunError `RUN_NOT_FOUND`;
   *   VersionConflictError `VERSION_CONFLICT`
   */
  async setCounters(
    record: RunRecord,
    counters: RunCounters,
    now: Date = this.#clock(),
  ): Promise<RunRecord> {
    const parsed = parseInput(runCountersSchema, counters, 'run counters');
    if (isDeepStrictEqual(parsed, record.counters)) return record;
    const next = parseInput(
      runRecordSchema,
      { ...record, counters: parsed, version: record.version + 1, updatedAt: now.toISOString() },
      'annotation run record',
    );
    return this.#replace(record, next, {
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': record.version },
    });
  }

  /**
   * Sets (or, with undefined, clears) the workflow waiting on the run, conditional on the
   * stored run still being at `record`'s version. Setting what is stored writes nothing.
   *
   * @throws AnnotationRunError `RUN_NOT_FOUND`; VersionConflictError `VERSION_CONFLICT`
   */
  async setWaiting(
    record: RunRecord,
    waiting: RunRecord['waiting'],
    now: Date = this.#clock(),
  ): Promise<RunRecord> {
    if (isDeepStrictEqual(waiting, record.waiting)) return record;
    const { waiting: _previous, ...rest } = record;
    const next = parseInput(
      runRecordSchema,
      {
        ...rest,
        ...(waiting === undefined ? {} : { waiting }),
        version: record.version + 1,
        updatedAt: now.toISOString(),
      },
      'annotation run record',
    );
    return this.#replace(record, next, {
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':version': record.version },
    });
  }

  /**
   * Renames run `annoKey` to `newKey` (SEMANTICS §7.6) without transactions, in steps that
   * are each safe to repeat:
   *
   * ```
   * 1. put the run under newKey, marked renamedFrom = <old key>@<createdAt>
   *    (only if newKey is free, or holds this rename's own earlier copy)
   * 2. copy the run's tasks and execution records to the new run's partition, then delete
   *    the old ones
   * 3. delete the old run item, only if it is still at the version read
   * ```
   *
   * The run's S3 objects do not move: the renamed run keeps its object key (the old key,
   * for a run registered before object keys), so it reads and writes where it always did.
   *
   * A failure at any step leaves the old run in place, and renaming again finishes the job;
   * renaming again after success returns the renamed run.
   *
   * @throws AnnotationRunError `RUN_KEY_EXISTS`, `RUN_NOT_FOUND`, `INVALID_ANNO_KEY`;
   *   VersionConflictError when the run changed during the rename (rename again).
   */
  async rename(dataset: string, annoKey: string, newKey: string): Promise<RunRecord> {
    if (newKey === annoKey) throw runExists(newKey, 'A annotation run');
    const raw = await this.#read(dataset, annoKey);
    if (raw === undefined) {
      const renamed = await this.#read(dataset, newKey);
      const from = typeof renamed?.renamedFrom === 'string' ? renamed.renamedFrom : '';
      if (renamed !== undefined && from.startsWith(`${annoKey}@`)) return parseRun(renamed);
      if (renamed !== undefined) throw runExists(newKey, 'A annotation run');
      throw runNotFound(annoKey);
    }
    validateRunKey(newKey);
    const old = parseRun(raw);
    const token = renameToken(old);
    const moved: RunRecord = {
      ...old,
      annoKey: newKey,
      // Objects stay where they are: the run keeps reading and writing them there.
      objectKey: objectKeyOf(old),
      version: old.version + 1,
      updatedAt: this.#clock().toISOString(),
    };
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...runKey(dataset, newKey), entity: 'run', ...moved, renamedFrom: token },
          ConditionExpression: 'attribute_not_exists(pk) OR renamedFrom = :token',
          ExpressionAttributeValues: { ':token': token },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      throw runExists(newKey, 'A annotation run');
    }
    await this.#tasks.copyRun(dataset, annoKey, newKey);
    await this.#executions.copyRun(dataset, annoKey, newKey);
    await this.#tasks.deleteByRun(dataset, annoKey);
    await this.#executions.deleteByRun(dataset, annoKey);
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: runKey(dataset, annoKey),
          ConditionExpression: 'attribute_not_exists(pk) OR #version = :version',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':version': old.version },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const now = await this.#read(dataset, annoKey);
      throw conflict(old, now === undefined ? old : parseRun(now), error);
    }
    return moved;
  }

  /**
   * Deletes the run and its tasks (tasks first, so an interrupted delete can be repeated).
   *
   * @throws AnnotationRunError `RUN_NOT_FOUND`
   */
  async delete(dataset: string, annoKey: string): Promise<void> {
    await this.get(dataset, annoKey);
    await this.#tasks.deleteByRun(dataset, annoKey);
    await this.#executions.deleteByRun(dataset, annoKey);
    await this.#doc.send(
      new DeleteCommand({ TableName: this.#table, Key: runKey(dataset, annoKey) }),
    );
  }
}
