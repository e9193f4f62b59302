import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isValidAnnoKey } from '../runs/keys.js';
import { DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import { parseStoredItem } from './corrupt-data-error.js';
import { datasetNameSchema, executionKey, runTasksPk, SK_PREFIX } from './keys.js';
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

export interface ExecutionRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retry?: RetryPolicy;
}

function parseExecution(raw: Record<string, unknown>): ExecutionRecord {
  return parseStoredItem(executionRecordSchema, raw, 'an execution item');
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

  /** Copies a run's execution records to the run's new key (a rename); returns how many. */
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
    return copied;
  }

  /** Deletes a run's execution records (never the executions themselves). */
  async deleteByRun(dataset: string, annoKey: string): Promise<number> {
    return deletePartition(this.#doc, this.#table, runTasksPk(dataset, annoKey), this.#retry, {
      skPrefix: SK_PREFIX.execution,
      what: 'execution records',
    });
  }
}
