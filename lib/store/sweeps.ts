import { randomUUID } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { isValidAnnoKey } from '../runs/keys.js';
import { isConditionalCheckFailed } from './aws-errors.js';
import { parseStoredItem } from './corrupt-data-error.js';
import { datasetNameSchema, keyComponentSchema, sweepResumeKey } from './keys.js';

/**
 * A place in the sweep's order (datasets by name, a dataset's runs by key, a run's tasks by
 * id): the run, and the task within it when the sweep stopped part-way through the run.
 */
export const sweepPositionSchema = z.object({
  dataset: datasetNameSchema,
  annoKey: z.string().refine(isValidAnnoKey, 'must be a valid variable name'),
  taskId: keyComponentSchema.optional(),
});
export type SweepPosition = z.infer<typeof sweepPositionSchema>;

/** The saved position, with what tells one save from another (for a conditional clear). */
export const sweepResumePointSchema = sweepPositionSchema.extend({
  saveId: z.string().min(1),
  savedAt: z.iso.datetime(),
});
export type SweepResumePoint = z.infer<typeof sweepResumePointSchema>;

export interface SweepRepositoryOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock?: () => Date;
}

/**
 * Where the next sweep of open runs begins (`SWEEP` / `RESUME`): written by a sweep that ran
 * out of time, cleared by one that got all the way round. One small item, so overlapping
 * sweeps at worst start one of them at a stale place, and some runs are swept twice.
 */
export class SweepRepository {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: () => Date;

  constructor(options: SweepRepositoryOptions) {
    this.#doc = options.doc;
    this.#table = options.tableName;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** @throws CorruptStoreDataError when the item is not a resume point. */
  async getResumePoint(): Promise<SweepResumePoint | undefined> {
    const output = await this.#doc.send(
      new GetCommand({ TableName: this.#table, Key: sweepResumeKey(), ConsistentRead: true }),
    );
    if (output.Item === undefined) return undefined;
    return parseStoredItem(sweepResumePointSchema, output.Item, 'a sweep resume point item');
  }

  /**
   * Replaces the resume point; the last sweep to stop wins.
   *
   * @throws InvalidInputError `INVALID_INPUT` for a position no sweep could have reached.
   */
  async saveResumePoint(input: SweepPosition): Promise<SweepResumePoint> {
    const position = parseInput(sweepPositionSchema, input, 'sweep position');
    const point: SweepResumePoint = {
      ...position,
      saveId: randomUUID(),
      savedAt: this.#clock().toISOString(),
    };
    await this.#doc.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...sweepResumeKey(), entity: 'sweepResume', ...point },
      }),
    );
    return point;
  }

  /**
   * Deletes the resume point if it is still `expected` (the one a finished sweep began at);
   * false, leaving it, when another sweep has since saved its own.
   */
  async clearResumePoint(expected: SweepResumePoint): Promise<boolean> {
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: sweepResumeKey(),
          ConditionExpression: '#saveId = :saveId',
          ExpressionAttributeNames: { '#saveId': 'saveId' },
          ExpressionAttributeValues: { ':saveId': expected.saveId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
