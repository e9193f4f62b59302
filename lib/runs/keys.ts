import { AnnotationRunError } from '../errors/index.js';

// Python's str.isidentifier(): XID_Start or `_`, then XID_Continue. Python keywords pass,
// as they do in FiftyOne, which checks nothing else.
const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

export function isValidAnnoKey(key: unknown): key is string {
  return typeof key === 'string' && IDENTIFIER.test(key);
}

/**
 * Run keys must be valid Python identifiers (SEMANTICS §7.2), so a key that works in
 * FiftyOne works here and the other way round.
 *
 * @throws AnnotationRunError `INVALID_ANNO_KEY`
 */
export function validateAnnoKey(key: string): void {
  if (!isValidAnnoKey(key)) {
    throw new AnnotationRunError(
      'INVALID_ANNO_KEY',
      `Invalid annotation run key '${String(key)}'. Keys must be valid variable names`,
      { key },
    );
  }
}

function hasKey(keys: Iterable<string>, key: string): boolean {
  for (const existing of keys) if (existing === key) return true;
  return false;
}

function runNotFound(key: string): AnnotationRunError {
  return new AnnotationRunError('RUN_NOT_FOUND', `Dataset has no annotation run key '${key}'`, {
    key,
  });
}

/**
 * Checks that `key` may be registered on a dataset whose runs are `existingKeys`: first
 * that it is valid, then that it is unused, in FiftyOne's order. `annotate()` never
 * overwrites a run, so an existing key always fails.
 *
 * @throws AnnotationRunError `INVALID_ANNO_KEY`, `RUN_KEY_EXISTS`
 */
export function registerRun(existingKeys: Iterable<string>, key: string): void {
  validateAnnoKey(key);
  if (hasKey(existingKeys, key)) {
    throw new AnnotationRunError(
      'RUN_KEY_EXISTS',
      `Annotation run with key '${key}' already exists`,
      { key },
    );
  }
}

/**
 * Checks that run `key` may be renamed to `newKey` (SEMANTICS §7.6). Checks run in
 * FiftyOne's order — `newKey` taken, then `key` unknown — so renaming a run to its own key
 * fails as "already exists", as in FiftyOne.
 *
 * Deviation: FiftyOne never validates `newKey`, so it can rename a run to a key that
 * `annotate()` would refuse. We validate it, last, so this only adds an error where
 * FiftyOne would have accepted a key it cannot otherwise create.
 *
 * @throws AnnotationRunError `RUN_KEY_EXISTS` (FiftyOne's text, "A annotation run ..."),
 *   `RUN_NOT_FOUND`, `INVALID_ANNO_KEY`
 */
export function renameRunKey(existingKeys: Iterable<string>, key: string, newKey: string): void {
  const keys = [...existingKeys];
  if (keys.includes(newKey)) {
    throw new AnnotationRunError(
      'RUN_KEY_EXISTS',
      `A annotation run with key '${newKey}' already exists`,
      { key: newKey },
    );
  }
  if (!keys.includes(key)) throw runNotFound(key);
  validateAnnoKey(newKey);
}

/**
 * Finds run `key` among records (returning the record) or keys (returning the key).
 *
 * @throws AnnotationRunError `RUN_NOT_FOUND` "Dataset has no annotation run key '<k>'"
 */
export function requireRun<T extends { readonly annoKey: string }>(
  records: Iterable<T>,
  key: string,
): T;
export function requireRun(keys: Iterable<string>, key: string): string;
export function requireRun(
  items: Iterable<string | { readonly annoKey: string }>,
  key: string,
): string | { readonly annoKey: string } {
  for (const item of items) {
    if ((typeof item === 'string' ? item : item.annoKey) === key) return item;
  }
  throw runNotFound(key);
}

/**
 * The key a run's objects live under (`runs/<dataset>/<objectKey>/`). It is fixed when the
 * run is registered and kept by renames, so a renamed run still finds its objects and a new
 * run under a reused key never shares them. Records from before it existed use their key.
 */
export function objectKeyOf(run: {
  readonly annoKey: string;
  readonly objectKey?: string;
}): string {
  return run.objectKey ?? run.annoKey;
}
