import { AnnoflowError, type ErrorCode } from './index.js';

/** The one place where error codes become HTTP statuses. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  EMPTY_COLLECTION: 422,
  UNSUPPORTED_MEDIA_TYPE: 422,
  LABEL_SCHEMA_REQUIRED: 400,
  SCHEMA_TYPE_REQUIRED: 400,
  UNSUPPORTED_SCALAR_TYPE: 422,
  UNSUPPORTED_FIELD_TYPE: 422,
  LABEL_TYPE_MISMATCH: 422,
  UNSUPPORTED_LABEL_TYPE: 422,
  VIDEO_SPATIAL_FIELD_NOT_FRAME_LEVEL: 422,
  VIDEO_SAMPLE_FIELD_UNSUPPORTED: 422,
  INVALID_CLASSES_DICT: 400,
  CLASSES_REQUIRED: 400,
  MASK_TARGETS_REQUIRED: 400,
  ATTRIBUTE_TYPE_REQUIRED: 400,
  UNSUPPORTED_ATTRIBUTE_TYPE: 422,
  ATTRIBUTE_VALUES_REQUIRED: 400,
  ATTRIBUTE_NAME_RESERVED: 400,
  ATTRIBUTE_DEFAULT_NOT_IN_VALUES: 400,
  EXISTING_FIELD_UNSUPPORTED: 422,
  INVALID_ANNO_KEY: 400,
  RUN_KEY_EXISTS: 409,
  RUN_NOT_FOUND: 404,
  EXECUTION_NOT_FOUND: 404,
  INVALID_RUN_TRANSITION: 409,
  UNEXPECTED_PROMPT_UNSUPPORTED: 400,
  DEST_FIELD_CONFLICT: 400,
  UNSUPPORTED_BACKEND: 400,
  BACKEND_MODULE_MISSING: 400,
  BACKEND_MODULE_INVALID: 400,
  // The task is not finished: there is nothing to load yet.
  BACKEND_RESULT_MISSING: 409,
  BACKEND_RESULT_INVALID: 422,
  // The annotation tool failed us (Failed Dependency): an error answer, or a body its API does
  // not allow. 4xx like every code: 5xx is kept for the service's own faults.
  BACKEND_REQUEST_FAILED: 424,
  BACKEND_UNAVAILABLE: 503,
  BACKEND_RESPONSE_INVALID: 424,
  // The tool's existing project disagrees with the run's label schema.
  BACKEND_SCHEMA_MISMATCH: 409,
  BACKEND_UNSUPPORTED: 422,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_NOT_ACCEPTED: 404,
  DATASET_EXISTS: 409,
  DATASET_NOT_FOUND: 404,
  SCHEMA_FIELD_CONFLICT: 409,
  SAMPLE_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  REPORT_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  ITEM_TOO_LARGE: 413,
  // Throttling: the client may retry later, and nothing half-written is lost.
  BATCH_WRITE_INCOMPLETE: 429,
};

export interface HttpErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Maps any thrown value to a status and the documented `{ error: { code, message, details } }` body. */
export function toHttpError(error: unknown): { statusCode: number; body: HttpErrorBody } {
  if (error instanceof AnnoflowError) {
    return {
      statusCode: STATUS_BY_CODE[error.code],
      body: { error: { code: error.code, message: error.message, details: { ...error.details } } },
    };
  }
  // Unknown failures never leak their message: it may carry internals.
  return {
    statusCode: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal error', details: {} } },
  };
}
