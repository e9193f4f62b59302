import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput, StoreError } from '../errors/index.js';
import { idMapSchema } from '../merge/contract.js';
import { isValidAnnoKey } from '../runs/keys.js';
import { isConditionalCheckFailed, isItemTooLarge } from './aws-errors.js';
import { DEFAULT_RETRY, type RetryPolicy } from './batch-write.js';
import { parseStoredItem } from './corrupt-data-error.js';
import { INLINE_ITEM_BYTES, itemSize } from './item-size.js';
import {
  datasetNameSchema,
  keyComponentSchema,
  runTasksPk,
  SK_PREFIX,
  taskIndexKey,
  taskIndexPk,
  taskKey,
} from './keys.js';
import { type Page, type PageRequest, prefixAll, prefixPage, queryAll } from './paging.js';
import { deletePartition } from './partition.js';
import { TABLE } from './table.js';

/** Where a task stands in the tool and in our merge. */
export const TASK_STATUSES = ['open', 'completed', 'merged', 'deleted'] as const;

/**
 * One task of a run: the tool's ids for it, the samples it holds and their id map (our
 * label ids as uploaded, which alone decide deletions at merge), and the last revision
 * merged so a late or repeated webhook for an older revision merges nothing.
 */
export const taskRecordSchema = z.object({
  dataset: datasetNameSchema,
  annoKey: z.string().refine(isValidAnnoKey, 'must be a valid variable name'),
  taskId: keyComponentSchema,
  backend: keyComponentSchema,
  /** The tool's own id for the task, as its webhooks name it. */
  backendTaskId: keyComponentSchema,
  status: z.enum(TASK_STATUSES),
  sampleIds: z.array(z.string().min(1)),
  idMap: idMapSchema,
  mergedRevision: z.string().min(1).optional(),
  /**
   * Where that revision's merge report is (`runs/<dataset>/<objectKey>/merges/…`). A run's
   * object key survives renames, but one renamed before object keys existed builds another
   * prefix than the one it merged under: this key still finds the report.
   */
  mergedReportKey: z.string().min(1).optional(),
  /** Tool-specific ids (jobs, projects, label ids) the backend needs later. */
  backendData: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TaskRecord = z.infer<typeof taskRecordSchema>;

export interface TaskRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly retry?: RetryPolicy;
}

function parseTask(raw: Record<string, unknown>): TaskRecord {
  return parseStoredItem(taskRecordSchema, raw, 'a task item');
}

function taskNotFound(dataset: string, annoKey: string, taskId: string): StoreError {
  return new StoreError(
    'TASK_NOT_FOUND',
    `Annotation run '${annoKey}' of dataset '${dataset}' has no task '${taskId}'`,
    { dataset, annoKey, taskId },
  );
}

function tooLarge(task: TaskRecord, bytes: number, cause?: unknown): StoreError {
  return new StoreError(
    'ITEM_TOO_LARGE',
    `Task '${task.taskId}' of run '${task.annoKey}' is ${Math.ceil(bytes / 1024)} KB; a task ` +
      `holds at most ${INLINE_ITEM_BYTES / 1024} KB: upload smaller pages`,
    { dataset: task.dataset, annoKey: task.annoKey, taskId: task.taskId, bytes },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * A run's tasks (`RUN#<dataset>#<annoKey>` / `T#<taskId>`), also found by the tool's task id
 * through `gsi1` for webhooks.
 */
export class TaskRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #retry: RetryPolicy;

  constructor(options: TaskRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Writes the task whole, replacing any stored one: uploads retry, so this is idempotent.
   * Id maps stay in the item: a task is one upload page, small by construction.
   *
   * @throws InvalidInputError `INVALID_INPUT`; StoreError `ITEM_TOO_LARGE`
   */
  async put(input: TaskRecord): Promise<TaskRecord> {
    const task = parseInput(taskRecordSchema, input, 'task');
    const item = {
      ...taskKey(task.dataset, task.annoKey, task.taskId),
      ...taskIndexKey(task.backend, task.backendTaskId, task.taskId),
      entity: 'task',
      ...task,
    };
    const bytes = itemSize(item);
    if (bytes > INLINE_ITEM_BYTES) throw tooLarge(task, bytes);
    try {
      await this.#doc.send(new PutCommand({ TableName: this.#table, Item: item }));
    } catch (error) {
      if (isItemTooLarge(error)) throw tooLarge(task, bytes, error);
      throw error;
    }
    return task;
  }

  /**
   * Moves a task from `open` to `completed`, only if the stored task is still `open`: a
   * caller's copy may be stale (a load merged the task since), and a whole put of it would
   * undo that merge. Returns whether it wrote.
   */
  async markCompleted(task: TaskRecord, updatedAt: string): Promise<boolean> {
    return this.#setStatus(task, 'completed', updatedAt, {
      expression: '#status = :open',
      values: { ':open': 'open' },
    });
  }

  /**
   * Marks a stored task `deleted` (gone from the tool), changing nothing else of it: a whole
   * put of a stale copy would undo a merge recorded since. Returns whether it wrote.
   */
  async markDeleted(task: TaskRecord, updatedAt: string): Promise<boolean> {
    return this.#setStatus(task, 'deleted', updatedAt, {
      expression: 'attribute_exists(#status) AND #status <> :deleted',
      values: { ':deleted': 'deleted' },
    });
  }

  /**
   * Records a merged revision, where its report is and the id map it left, and moves the task to `merged`, by an
   * update of those fields alone: the caller's copy was read before a merge that can take
   * minutes, and a whole put of it would undo what happened meanwhile (a tool's deletion, a
   * media refresh). A task marked `deleted` meanwhile stays `deleted`; its merge is still
   * recorded, so a rerun finds it done.
   *
   * @throws StoreError `ITEM_TOO_LARGE`, `TASK_NOT_FOUND`
   */
  async recordMerge(
    task: TaskRecord,
    merge: {
      idMap: TaskRecord['idMap'];
      mergedRevision: string;
      mergedReportKey: string;
      updatedAt: string;
    },
  ): Promise<void> {
    const next = parseInput(taskRecordSchema, { ...task, ...merge }, 'task');
    const bytes = itemSize({ ...taskKey(next.dataset, next.annoKey, next.taskId), ...next });
    if (bytes > INLINE_ITEM_BYTES) throw tooLarge(next, bytes);
    const values = {
      ':idMap': next.idMap,
      ':revision': merge.mergedRevision,
      ':reportKey': merge.mergedReportKey,
      ':at': merge.updatedAt,
    };
    const names = {
      '#status': 'status',
      '#idMap': 'idMap',
      '#revision': 'mergedRevision',
      '#reportKey': 'mergedReportKey',
      '#updatedAt': 'updatedAt',
    };
    const update = async (withStatus: boolean): Promise<boolean> => {
      try {
        await this.#doc.send(
          new UpdateCommand({
            TableName: this.#table,
            Key: taskKey(next.dataset, next.annoKey, next.taskId),
            UpdateExpression: `SET #idMap = :idMap, #revision = :revision, #reportKey = :reportKey, #updatedAt = :at${withStatus ? ', #status = :merged' : ''}`,
            ConditionExpression: withStatus
              ? 'attribute_exists(#status) AND #status <> :deleted'
              : 'attribute_exists(#status)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: withStatus
              ? { ...values, ':merged': 'merged', ':deleted': 'deleted' }
              : values,
          }),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        if (isItemTooLarge(error)) throw tooLarge(next, bytes, error);
        throw error;
      }
    };
    if (await update(true)) return;
    if (await update(false)) return;
    throw taskNotFound(next.dataset, next.annoKey, next.taskId);
  }

  /**
   * Sets the tool-specific data of a stored task, changing nothing else: a whole put of a
   * copy read earlier would undo a merge or status change recorded since.
   *
   * @throws StoreError `TASK_NOT_FOUND`
   */
  async setBackendData(
    task: TaskRecord,
    backendData: Record<string, unknown>,
    updatedAt: string,
  ): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: taskKey(task.dataset, task.annoKey, task.taskId),
          UpdateExpression: 'SET #backendData = :data, #updatedAt = :at',
          ConditionExpression: 'attribute_exists(#status)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#backendData': 'backendData',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: { ':data': backendData, ':at': updatedAt },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error))
        throw taskNotFound(task.dataset, task.annoKey, task.taskId);
      throw error;
    }
  }

  /** Sets status and updatedAt only, if `condition` holds; false when it does not. */
  async #setStatus(
    task: TaskRecord,
    status: 'completed' | 'deleted',
    updatedAt: string,
    condition: { expression: string; values: Record<string, string> },
  ): Promise<boolean> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: taskKey(task.dataset, task.annoKey, task.taskId),
          UpdateExpression: 'SET #status = :next, #updatedAt = :at',
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':next': status, ':at': updatedAt, ...condition.values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** @throws StoreError `TASK_NOT_FOUND` */
  async get(dataset: string, annoKey: string, taskId: string): Promise<TaskRecord> {
    const output = await this.#doc.send(
      new GetCommand({
        TableName: this.#table,
        Key: taskKey(dataset, annoKey, taskId),
        ConsistentRead: true,
      }),
    );
    if (output.Item === undefined) throw taskNotFound(dataset, annoKey, taskId);
    return parseTask(output.Item);
  }

  /** One page of a run's tasks, in task-id order. */
  async listByRun(
    dataset: string,
    annoKey: string,
    page: PageRequest = {},
  ): Promise<Page<TaskRecord>> {
    const pk = runTasksPk(dataset, annoKey);
    // A failed annotate's cleanup must see tasks recorded just before (upload-page.ts).
    const result = await prefixPage(this.#doc, this.#table, pk, SK_PREFIX.task, page, {
      consistent: true,
    });
    return { ...result, items: result.items.map(parseTask) };
  }

  /**
   * The tasks a tool's webhook names, through `gsi1` (eventually consistent, like every
   * GSI). Usually one; more when a backend's task ids are only unique per run, and briefly
   * two while a run is being renamed.
   */
  async findByBackendTaskId(backend: string, backendTaskId: string): Promise<TaskRecord[]> {
    const { gsi1 } = TABLE;
    const tasks: TaskRecord[] = [];
    for await (const page of queryAll(this.#doc, {
      TableName: this.#table,
      IndexName: gsi1.indexName,
      KeyConditionExpression: '#gpk = :gpk',
      ExpressionAttributeNames: { '#gpk': gsi1.partitionKey },
      ExpressionAttributeValues: { ':gpk': taskIndexPk(backend, backendTaskId) },
    })) {
      tasks.push(...page.map(parseTask));
    }
    return tasks;
  }

  /** Copies every task of run `from` to run `to` (same dataset); for renames, idempotent. */
  async copyRun(dataset: string, from: string, to: string): Promise<number> {
    let copied = 0;
    const pages = prefixAll(this.#doc, this.#table, runTasksPk(dataset, from), SK_PREFIX.task);
    for await (const page of pages) {
      for (const raw of page) {
        await this.put({ ...parseTask(raw), annoKey: to });
        copied += 1;
      }
    }
    return copied;
  }

  /** Deletes one task record (idempotent). */
  async delete(dataset: string, annoKey: string, taskId: string): Promise<void> {
    await this.#doc.send(
      new DeleteCommand({ TableName: this.#table, Key: taskKey(dataset, annoKey, taskId) }),
    );
  }

  /** Deletes every task of a run; returns how many. */
  async deleteByRun(dataset: string, annoKey: string): Promise<number> {
    return deletePartition(this.#doc, this.#table, runTasksPk(dataset, annoKey), this.#retry, {
      skPrefix: SK_PREFIX.task,
      what: 'tasks',
    });
  }
}
