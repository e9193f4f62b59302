import type { z } from 'zod';
import { parseInput, StoreError } from '../errors/index.js';
import { CorruptStoreDataError } from '../store/corrupt-data-error.js';
import type { Store } from '../store/store.js';

/** Writes `value` as JSON to the media bucket. */
export async function putJson(store: Store, key: string, value: unknown): Promise<void> {
  await store.media.put(key, JSON.stringify(value), 'application/json');
}

/** The object's text, or undefined when it does not exist. */
export async function readText(store: Store, key: string): Promise<string | undefined> {
  const object = await store.media.read(key);
  return object === undefined ? undefined : new TextDecoder().decode(object.body);
}

/**
 * A JSON object a step wrote earlier, parsed with `schema`.
 *
 * @throws StoreError `MEDIA_NOT_FOUND` when it is missing; InvalidInputError when it is not
 *   what the schema says.
 */
export async function readJson<S extends z.ZodType>(
  store: Store,
  key: string,
  schema: S,
  what: string,
): Promise<z.output<S>> {
  const text = await readText(store, key);
  if (text === undefined) {
    throw new StoreError('MEDIA_NOT_FOUND', `No ${what} at '${key}'`, { key });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CorruptStoreDataError(key, `the ${what} is not JSON`, { cause: error });
  }
  return parseInput(schema, raw, what);
}
