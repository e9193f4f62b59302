import type { ErrorCode } from '../errors/index.js';

/**
 * Codes the client itself produces, beside the API's own (`ErrorCode`, `INTERNAL`,
 * `ROUTE_NOT_FOUND`): the request could not be signed (no credentials) or got no answer,
 * the answer was not the documented shape, or it came from API Gateway rather than the
 * service (e.g. a refused signature); or a wait ran out of time.
 */
export type ClientErrorCode =
  | 'NETWORK_ERROR'
  | 'SIGNING_FAILED'
  | 'INVALID_RESPONSE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'THROTTLED'
  | 'WAIT_TIMEOUT'
  | `HTTP_${number}`;

/**
 * A failed API call: the `{ error: { code, message, details } }` body of the response (or,
 * for failures without one, a client-side code) and the HTTP status (0 when the request got
 * no response at all).
 */
export class AnnoflowApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode | 'INTERNAL' | 'ROUTE_NOT_FOUND' | (string & {});
  readonly details: Readonly<Record<string, unknown>>;
  readonly status: number;

  constructor(
    code: string,
    message: string,
    options: { status: number; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnnoflowApiError';
    this.code = code;
    this.status = options.status;
    this.details = options.details ?? {};
  }
}

/** The code for an error response whose body is not the service's (API Gateway's own). */
export function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 429:
      return 'THROTTLED';
    default:
      return `HTTP_${status}`;
  }
}
