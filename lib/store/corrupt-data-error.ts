import type { z } from 'zod';

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

/**
 * A stored item parsed with its schema: `what` names the kind ("a task item").
 * @throws CorruptStoreDataError naming the item's keys when it does not fit.
 */
export function parseStoredItem<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new CorruptStoreDataError(`${raw.pk}/${raw.sk}`, `not ${what}`, { cause: parsed.error });
  }
  return parsed.data;
}
