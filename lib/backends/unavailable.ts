/**
 * HTTP statuses after which the same request may well succeed later: the tool timing out,
 * rate limiting, restarting or overloaded. Everything else (400, 401, 403, 404, 409, …) is
 * the tool saying no, and asking again changes nothing.
 */
const MAY_PASS_LATER = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * The code of a failed request to a tool: `BACKEND_UNAVAILABLE` when it never answered
 * (`status` undefined: connection refused, reset, timed out) or answered a status that may
 * pass later — a workflow step retries those with backoff instead of failing the run;
 * `BACKEND_REQUEST_FAILED` when the tool refused the request.
 */
export function requestFailureCode(
  status?: number,
): 'BACKEND_UNAVAILABLE' | 'BACKEND_REQUEST_FAILED' {
  return status === undefined || MAY_PASS_LATER.has(status)
    ? 'BACKEND_UNAVAILABLE'
    : 'BACKEND_REQUEST_FAILED';
}
