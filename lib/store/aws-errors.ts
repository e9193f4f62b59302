/**
 * Recognisers for the DynamoDB and S3 failures the store translates into domain errors. Matched by
 * `name` rather than `instanceof`, so a second copy of the SDK in a bundle cannot break them.
 */

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** A `ConditionExpression` was false: the item is absent, present, or at another version. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** DynamoDB refused an item over 400 KB (our estimate keeps us below it; this is the backstop). */
export function isItemTooLarge(error: unknown): boolean {
  return (
    errorName(error) === 'ValidationException' &&
    error instanceof Error &&
    /item size/i.test(error.message)
  );
}

/** The table or bucket already exists: creating resources is idempotent. */
export function isAlreadyExists(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'ResourceInUseException' ||
    name === 'BucketAlreadyOwnedByYou' ||
    name === 'BucketAlreadyExists'
  );
}

/** S3 HeadObject answers a missing key with a bare 404 `NotFound`; GetObject with `NoSuchKey`. */
export function isS3NotFound(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NotFound' || name === 'NoSuchKey';
}
