/**
 * An error of the Step Functions API, sent as AWS JSON 1.0 does (`{ __type, message }` with
 * its HTTP status) so `@aws-sdk/client-sfn` throws the typed exception of the same name.
 */
export class SfnApiError extends Error {
  override name = 'SfnApiError';
  constructor(
    /** The API's error code, e.g. `TaskDoesNotExist`, `ExecutionAlreadyExists`. */
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/**
 * An error as a Task state sees it: aws-local-stepfunctions matches Retry and Catch on
 * `name` and reports `message` as the cause.
 */
export function stateError(error: string, cause: string): Error {
  const failure = new Error(cause);
  failure.name = error;
  return failure;
}
