import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isValidAnnoKey } from '../runs/keys.js';
import { DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import { parseStoredItem } from './corrupt-data-error.js';
import {
  datasetNameSchema,
  executionIntentKey,
  executionKey,
  runTasksPk,
  SK_PREFIX,
} from './keys.js';
import { type Page, type PageRequest, prefixAll, prefixPage } from './paging.js';
import { deletePartition } from './partition.js';

/**
 * A workflow execution started for a run, and why: by the API (a user's annotate, load or
 * cleanup) or by a task the tool reported finished (`autoLoad`), with the tool's task id and
 * the revision that started it. Step Functions keeps executions 90 days and cannot list
 * them by run; this record can, for as long as the run exists.
 */
export const executionRecordSchema = z.object({
  dataset: datasetNameSchema,
  annoKey: z.string().refine(isValidAnnoKey, 'must be a valid variable name'),
  workflow: z.enum(['annotate', 'load', 'cleanup']),
  executionArn: z.string().min(1),
  executionName: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
  startDate: z.iso.datetime(),
  startedBy: z.enum(['api', 'task']),
  backendTaskId: z.string().min(1).optional(),
  revision: z.string().min(1).optional(),
});
export type ExecutionRecord = z.infer<typeof executionRecordSchema>;

/**
 * A start about to be made, written before StartExecution: the execution's record but for
 * the start date, which only Step Functions gives. A process that dies between the start
 * and the record leaves this behind, and whoever settles the run's intents (the listing)
 * asks Step Functions for the execution and records it. `requestedAt` tells an intent whose
 * start never came (the process died before it) from one whose start is in flight.
 */
export const executionIntentSchema = executionRecordSchema
  .omit({ startDate: true })
  .extend({ requestedAt: z.iso.datetime() });
export type ExecutionIntent = z.infer<typeof executionIntentSchema>;

export interface ExecutionRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retry?: RetryPolicy;
}

function parseExecution(raw: Record<string, unknown>): ExecutionRecord {
  return parseStoredItem(executionRecordSchema, raw, 'an execution item');
}

function parseIntent(raw: Record<string, unknown>): ExecutionIntent {
  return parseStoredItem(executionIntentSchema, raw, 'an execution intent item');
}

export class ExecutionRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retry: RetryPolicy;

  constructor(options: ExecutionRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Records a started execution. Recording it again writes the same item (its key is the
   * start date and name Step Functions gave), so a retried step records it once.
   *
   * @throws InvalidInputError `INVALID_INPUT` naming the bad field.
   */
  async record(execution: ExecutionRecord): Promise<ExecutionRecord> {
    const valid = parseInput(executionRecordSchema, execution, 'execution record');
    const key = executionKey(valid.dataset, valid.annoKey, valid.startDate, valid.executionName);
    await this.#doc.send(
      new PutCommand({ TableName: this.#table, Item: { ...key, entity: 'execution', ...valid } }),
    );
    return valid;
  }

  /**
   * Records that `intent.executionName` is about to be started. Writing it again (a retried
   * or duplicate start of the same name) writes the same item.
   *
   * @throws InvalidInputError `INVALID_INPUT` naming the bad field.
   */
  async intend(intent: ExecutionIntent): Promise<ExecutionIntent> {
    const valid = parseInput(executionIntentSchema, intent, 'execution intent');
    const key = executionIntentKey(valid.dataset, valid.annoKey, valid.executionName);
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...key, entity: 'execution-intent', ...valid },
      }),
    );
    return valid;
  }

  /**
   * Records a started execution and drops its intent, in that order: a crash between the two
   * leaves an intent whose settling records the same item again.
   *
   * @throws InvalidInputError `INVALID_INPUT` naming the bad field.
   */
  async complete(execution: ExecutionRecord): Promise<ExecutionRecord> {
    const recorded = await this.record(execution);
    await this.dropIntent(recorded.dataset, recorded.annoKey, recorded.executionName);
    return recorded;
  }

  /** Forgets an intent (idempotent). */
  async dropIntent(dataset: string, annoKey: string, executionName: string): Promise<void> {
    await this.#doc.send(
      new DeleteCommand({
        TableName: this.#table,
        Key: executionIntentKey(dataset, annoKey, executionName),
      }),
    );
  }

  /** A run's intents: starts not yet recorded (normally none: each lives one start long). */
  async listIntents(dataset: string, annoKey: string): Promise<ExecutionIntent[]> {
    const pk = runTasksPk(dataset, annoKey);
    const intents: ExecutionIntent[] = [];
    const pages = prefixAll(this.#doc, this.#table, pk, SK_PREFIX.executionIntent);
    for await (const page of pages) intents.push(...page.map(parseIntent));
    return intents;
  }

  /** One page of a run's executions, newest first. */
  async listByRun(
    dataset: string,
    annoKey: string,
    page: PageRequest = {},
  ): Promise<Page<ExecutionRecord>> {
    const pk = runTasksPk(dataset, annoKey);
    const result = await prefixPage(this.#doc, this.#table, pk, SK_PREFIX.execution, page, {
      newestFirst: true,
    });
    return { ...result, items: result.items.map(parseExecution) };
  }

  /**
   * Copies a run's execution records, and its intents, to the run's new key (a rename);
   * returns how many records.
   */
  async copyRun(dataset: string, from: string, to: string): Promise<number> {
    let copied = 0;
    const pk = runTasksPk(dataset, from);
    const pages = prefixAll(this.#doc, this.#table, pk, SK_PREFIX.execution);
    for await (const page of pages) {
      for (const raw of page) {
        await this.record({ ...parseExecution(raw), annoKey: to });
        copied += 1;
      }
    }
    for (const intent of await this.listIntents(dataset, from)) {
      await this.intend({ ...intent, annoKey: to });
    }
    return copied;
  }

  /**
   * Deletes a run's execution records and intents (never the executions themselves): an
   * intent left behind would be settled into a later run of the same key.
   */
  async deleteByRun(dataset: string, annoKey: string): Promise<number> {
    const pk = runTasksPk(dataset, annoKey);
    await deletePartition(this.#doc, this.#table, pk, this.#retry, {
      skPrefix: SK_PREFIX.executionIntent,
      what: 'execution intents',
    });
    return deletePartition(this.#doc, this.#table, pk, this.#retry, {
      skPrefix: SK_PREFIX.execution,
      what: 'execution records',
    });
  }
}
