/**
 * Stored data that fails its schema, or a blob that is missing or does not hash to its
 * pointer. The service's own fault, never the caller's, so deliberately not an
 * AnnoflowError: `toHttpError` answers it with a bare 500 and leaks no keys or contents.
 */
export class CorruptStoreDataError extends Error {
  readonly where: string;

  constructor(where: string, message: string, options?: ErrorOptions) {
    super(`Corrupt stored data at ${where}: ${message}`, options);
    this.name = 'CorruptStoreDataError';
    this.where = where;
  }
}
