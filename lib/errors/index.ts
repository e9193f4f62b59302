import type { z } from 'zod';

/**
 * Stable, machine-readable error codes. Clients match on these; messages may improve.
 * Every code maps to an HTTP status in `./http.ts`.
 */
export const ERROR_CODES = [
  // input that failed validation at an edge (API body, tool response, config file)
  'INVALID_INPUT',
  // label schema building (SEMANTICS §3)
  'EMPTY_COLLECTION',
  'UNSUPPORTED_MEDIA_TYPE',
  'LABEL_SCHEMA_REQUIRED',
  'SCHEMA_TYPE_REQUIRED',
  'UNSUPPORTED_SCALAR_TYPE',
  'UNSUPPORTED_FIELD_TYPE',
  'LABEL_TYPE_MISMATCH',
  'UNSUPPORTED_LABEL_TYPE',
  'VIDEO_SPATIAL_FIELD_NOT_FRAME_LEVEL',
  'VIDEO_SAMPLE_FIELD_UNSUPPORTED',
  'INVALID_CLASSES_DICT',
  'CLASSES_REQUIRED',
  'MASK_TARGETS_REQUIRED',
  'ATTRIBUTE_TYPE_REQUIRED',
  'UNSUPPORTED_ATTRIBUTE_TYPE',
  'ATTRIBUTE_VALUES_REQUIRED',
  'ATTRIBUTE_DEFAULT_NOT_IN_VALUES',
  'ATTRIBUTE_NAME_RESERVED',
  'EXISTING_FIELD_UNSUPPORTED',
  // runs (SEMANTICS §7)
  'INVALID_ANNO_KEY',
  'RUN_KEY_EXISTS',
  'RUN_NOT_FOUND',
  'EXECUTION_NOT_FOUND',
  'INVALID_RUN_TRANSITION',
  // merge (SEMANTICS §6)
  'UNEXPECTED_PROMPT_UNSUPPORTED',
  'DEST_FIELD_CONFLICT',
  // annotation config (SEMANTICS §8)
  'UNSUPPORTED_BACKEND',
  'BACKEND_MODULE_MISSING',
  // annotation backends (lib/backends)
  'BACKEND_MODULE_INVALID',
  'BACKEND_RESULT_MISSING',
  'BACKEND_RESULT_INVALID',
  // a tool's API refused a request or answered something its contract does not allow
  'BACKEND_REQUEST_FAILED',
  // the tool did not answer, or answered 408/429/5xx: may pass if tried again
  'BACKEND_UNAVAILABLE',
  'BACKEND_RESPONSE_INVALID',
  'BACKEND_SCHEMA_MISMATCH',
  'BACKEND_UNSUPPORTED',
  // webhooks (POST /webhooks/{backend})
  'WEBHOOK_SIGNATURE_INVALID',
  'WEBHOOK_NOT_ACCEPTED',
  // store (DynamoDB items, S3 objects)
  'DATASET_EXISTS',
  'DATASET_NOT_FOUND',
  'SCHEMA_FIELD_CONFLICT',
  'SAMPLE_NOT_FOUND',
  'TASK_NOT_FOUND',
  'REPORT_NOT_FOUND',
  'MEDIA_NOT_FOUND',
  'VERSION_CONFLICT',
  'ITEM_TOO_LARGE',
  'BATCH_WRITE_INCOMPLETE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

/** The root of annoflow's error hierarchy: a stable `code`, a message naming the culprit, details. */
export class AnnoflowError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    // Each class names itself: bundles are minified without keeping class names.
    this.name = 'AnnoflowError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Input from outside failed its schema; `details.issues` lists every problem with its path. */
export class InvalidInputError extends AnnoflowError {
  override name = 'InvalidInputError';
  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super('INVALID_INPUT', message, details, options);
  }
}

/** The requested label schema cannot be built for this dataset and backend (SEMANTICS §3). */
export class LabelSchemaError extends AnnoflowError {
  override name = 'LabelSchemaError';
}

/** Annotation run registry errors: bad keys, duplicates, unknown runs, illegal transitions. */
export class AnnotationRunError extends AnnoflowError {
  override name = 'AnnotationRunError';
}

/** A merge request that cannot be honoured as asked (e.g. `unexpected: 'prompt'`). */
export class MergeError extends AnnoflowError {
  override name = 'MergeError';
}

/** Annotation config errors: unknown backends, custom backends without a module. */
export class AnnotationConfigError extends AnnoflowError {
  override name = 'AnnotationConfigError';
}

/**
 * Errors of an annotation backend the caller can act on: a custom backend module that does
 * not load or has the wrong shape, a task whose result is missing or malformed.
 */
export class BackendError extends AnnoflowError {
  override name = 'BackendError';
}

/**
 * A webhook delivery that is refused before anything is read from it: unsigned or forged
 * (`WEBHOOK_SIGNATURE_INVALID`), or for a backend that takes no HTTP webhooks
 * (`WEBHOOK_NOT_ACCEPTED`).
 */
export class WebhookError extends AnnoflowError {
  override name = 'WebhookError';
}

/**
 * Store errors the caller can act on: missing or duplicate items, version races, oversize
 * items, throttled batches. Conditional write failures (`ConditionalCheckFailedException`)
 * never escape the store untranslated. Corrupt stored data is not one of these: it is the
 * service's fault, so it stays a plain 500 that leaks nothing.
 */
export class StoreError extends AnnoflowError {
  override name = 'StoreError';
}

/**
 * A conditional write lost a race: the item's `version` is no longer the one the caller read.
 * Re-read and retry; its own class so Step Functions can `Retry` on the name.
 */
export class VersionConflictError extends StoreError {
  override name = 'VersionConflictError';
  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super('VERSION_CONFLICT', message, details, options);
  }
}

/**
 * DynamoDB kept returning `UnprocessedItems` (throttling) after every retry. Transient by
 * nature (HTTP 429), so it has its own class for Step Functions `Retry`; every item already
 * written stays written and a retry rewrites the rest idempotently.
 */
export class BatchWriteIncompleteError extends StoreError {
  override name = 'BatchWriteIncompleteError';
  constructor(message: string, details: ErrorDetails = {}, options?: ErrorOptions) {
    super('BATCH_WRITE_INCOMPLETE', message, details, options);
  }
}

export function isAnnoflowError(error: unknown): error is AnnoflowError {
  return error instanceof AnnoflowError;
}

/**
 * Parses `value` with `schema`, turning a zod failure into an {@link InvalidInputError}
 * whose message names the first offending path and whose details list all of them.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  const first = issues[0];
  const where = first && first.path !== '' ? ` at '${first.path}'` : '';
  throw new InvalidInputError(
    `Invalid ${what}${where}: ${first?.message ?? 'unknown problem'}`,
    { issues },
    { cause: result.error },
  );
}

/** `samples[0].gt`: an index follows its list without a dot. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
