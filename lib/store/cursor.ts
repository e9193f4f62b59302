import { z } from 'zod';
import { InvalidInputError } from '../errors/index.js';

/**
 * Paging cursors: DynamoDB's `LastEvaluatedKey` as base64url JSON. Opaque to callers but not
 * trusted: on the way back in, a cursor must decode to exactly the key attributes of the
 * query it continues, in the same partition and under the same sort-key prefix, so a forged
 * cursor cannot start a page in another dataset.
 */

/** What a cursor of one query may contain. */
export interface CursorScope {
  /** The key attributes of the table or index queried, e.g. `['pk', 'sk']`. */
  readonly attributes: readonly string[];
  readonly partition: { readonly name: string; readonly value: string };
  readonly sortPrefix: { readonly name: string; readonly prefix: string };
}

const MAX_CURSOR_LENGTH = 8192;

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  if (lastKey === undefined || Object.keys(lastKey).length === 0) return undefined;
  return Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url');
}

function invalid(reason: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(
    `Invalid cursor: ${reason}`,
    { field: 'cursor' },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * @throws InvalidInputError `INVALID_INPUT` ("Invalid cursor: …") for anything this query
 *   could not have produced.
 */
export function decodeCursor(cursor: string, scope: CursorScope): Record<string, string> {
  if (
    cursor.length === 0 ||
    cursor.length > MAX_CURSOR_LENGTH ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw invalid('not a cursor returned by this listing');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid('not a cursor returned by this listing', error);
  }
  const shape = z.strictObject(
    Object.fromEntries(scope.attributes.map((name) => [name, z.string().min(1)])),
  );
  const parsed = shape.safeParse(decoded);
  if (!parsed.success) throw invalid('not a cursor returned by this listing');
  const key = parsed.data as Record<string, string>;
  if (key[scope.partition.name] !== scope.partition.value) {
    throw invalid('it belongs to another listing');
  }
  if (!key[scope.sortPrefix.name]?.startsWith(scope.sortPrefix.prefix)) {
    throw invalid('it belongs to another listing');
  }
  return key;
}
