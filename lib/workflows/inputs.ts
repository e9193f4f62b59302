import { z } from 'zod';
import { unredactedSecretPaths } from '../config/backend.js';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { unexpectedPolicySchema } from '../merge/merge-annotations.js';
import { annotateOptionsSchema } from '../schema/types.js';
import { datasetNameSchema, keyComponentSchema } from '../store/keys.js';

/**
 * What Step Functions passes a step: ids and S3 keys only, never samples or labels, and at
 * most 32 KiB (an eighth of the 256 KiB state cap, so a Map's results stay far below it).
 */
export const MAX_STEP_INPUT_BYTES = 32 * 1024;

/**
 * Samples per page when a task's annotations are merged: each page is read, merged and
 * written before the next, so a load's memory is bounded by a page (bench/merge uses it too).
 */
export const DEFAULT_MERGE_PAGE_SIZE = 100;

/** The largest page of samples a run uploads as one task. */
export const MAX_PAGE_SIZE = 5000;

/**
 * Parses a step's input: its size first, then its schema.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the offending field.
 */
export function parseStepInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const bytes = Buffer.byteLength(JSON.stringify(input ?? null) ?? '', 'utf8');
  if (bytes > MAX_STEP_INPUT_BYTES) {
    throw new InvalidInputError(
      `Invalid ${what}: ${bytes} bytes; a step input holds at most ${MAX_STEP_INPUT_BYTES} ` +
        '(pass S3 keys, not data)',
      { bytes, max: MAX_STEP_INPUT_BYTES },
    );
  }
  return parseInput(schema, input, what);
}

const runKeys = {
  dataset: datasetNameSchema,
  /** Validated as a run key where FiftyOne does it: at registration (SEMANTICS §2.1). */
  annoKey: z.string().min(1),
};

/**
 * `AnnotateWorkflow`'s input: the run (dataset, key, backend and its params), FiftyOne's
 * `annotate()` options (`labelSchema` or `labelField` and friends), the selection (all
 * samples, `sampleIds`, or samples carrying any of `tags`), how many samples per task, and
 * the load defaults stored on the run.
 */
const annotateOptions = {
  backend: z.string().min(1).optional(),
  ...annotateOptionsSchema.shape,
  sampleIds: z.array(z.string().min(1)).min(1).optional(),
  tags: z.array(z.string().min(1)).min(1).optional(),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(1000),
  destField: z.string().min(1).optional(),
  unexpected: unexpectedPolicySchema.optional(),
  autoLoad: z.boolean().default(false),
  /** The workflow waits (a task token on the run) until every task is finished. */
  waitForCompletion: z.boolean().default(false),
  backendParams: z.record(z.string(), z.unknown()).default({}),
};

function oneSelection(
  request: { sampleIds?: unknown; tags?: unknown },
  ctx: z.core.$RefinementCtx,
): void {
  if (request.sampleIds !== undefined && request.tags !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['tags'],
      message: 'select samples by sampleIds or by tags, not both',
    });
  }
}

export const annotateRequestSchema = z
  .strictObject({ ...runKeys, ...annotateOptions })
  .superRefine(oneSelection);

/**
 * A request body becomes the annotate workflow's input, which Step Functions keeps in the
 * execution's history for 90 days, readable by anyone who may describe executions. A
 * credential there would outlive every redaction, so the API refuses one outright.
 */
function noCredentials(request: { backendParams?: unknown }, ctx: z.core.$RefinementCtx): void {
  for (const path of unredactedSecretPaths(request.backendParams)) {
    ctx.addIssue({
      code: 'custom',
      path: ['backendParams', ...path],
      message:
        'credentials are not accepted in a request (the workflow history would keep them): ' +
        "give them to the deployment's backendCredentials (Secrets Manager) or to the environment",
    });
  }
}

/** The annotate request as the API takes it: the dataset is in the path. */
export const annotateRequestBodySchema = z
  .strictObject({ annoKey: runKeys.annoKey, ...annotateOptions })
  .superRefine(oneSelection)
  .superRefine(noCredentials);
export type AnnotateRequest = z.input<typeof annotateRequestSchema>;
export type ParsedAnnotateRequest = z.output<typeof annotateRequestSchema>;

export const runRefInputSchema = z.strictObject(runKeys);
export type RunRefInput = z.input<typeof runRefInputSchema>;

/** A page by its index: the state carries numbers, 1,000 pages in ~5 KiB; the key is ours to build. */
export const uploadPageInputSchema = z.strictObject({
  ...runKeys,
  page: z.number().int().nonnegative(),
});
export type UploadPageInput = z.input<typeof uploadPageInputSchema>;

/** A failure as a step reports it, or as a Step Functions `Catch` hands it on (`Error`, `Cause`). */
const failureInputSchema = z.union([
  z.object({ code: z.string().min(1), message: z.string() }),
  z.object({ Error: z.string().min(1), Cause: z.string().optional() }).transform((caught) => ({
    code: caught.Error,
    message: causeMessage(caught.Cause) ?? caught.Error,
  })),
]);

/** A Lambda error's `Cause` is the JSON of the error; its `errorMessage` is what a human needs. */
function causeMessage(cause: string | undefined): string | undefined {
  if (cause === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed !== null && typeof parsed === 'object' && 'errorMessage' in parsed) {
      return String(parsed.errorMessage);
    }
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

export const failAnnotateInputSchema = z.strictObject({ ...runKeys, error: failureInputSchema });
export type FailAnnotateInput = z.input<typeof failAnnotateInputSchema>;

export const planLoadInputSchema = z.strictObject({
  ...runKeys,
  /** The tool's id of the task that finished (a webhook's load); absent loads every finished task. */
  backendTaskId: z.string().min(1).optional(),
  /** Names the load's report; derived from the tasks and their states when absent. */
  loadId: keyComponentSchema.optional(),
  /** FiftyOne's `load_annotations(cleanup=True)`, handed on to `finalizeLoad`. */
  cleanup: z.boolean().default(false),
});
export type PlanLoadInput = z.input<typeof planLoadInputSchema>;

export const taskInputSchema = z.strictObject({ ...runKeys, taskId: keyComponentSchema });
export type TaskInput = z.input<typeof taskInputSchema>;

export const mergeStagedTaskInputSchema = taskInputSchema.extend({
  stagedKey: z.string().min(1),
});
export type MergeStagedTaskInput = z.input<typeof mergeStagedTaskInputSchema>;

export const finalizeLoadInputSchema = z.strictObject({
  ...runKeys,
  loadId: keyComponentSchema,
  taskIds: z.array(keyComponentSchema),
  /** FiftyOne's `load_annotations(cleanup=True)`: delete the tool's tasks once all are loaded. */
  cleanup: z.boolean().default(false),
});
export type FinalizeLoadInput = z.input<typeof finalizeLoadInputSchema>;

/**
 * The annotate request as JSON Schema (draft 2020-12), the contract for services that start
 * `AnnotateWorkflow` directly. Cross-field rules (ids or tags, not both) are checked by the
 * workflow's first step, which answers `INVALID_INPUT` naming the field.
 */
export function annotateRequestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(annotateRequestSchema, { io: 'input', unrepresentable: 'any' });
}
