import { InvalidInputError } from '../errors/index.js';

/**
 * `__proto__` cannot name a field, attribute or any other key of a run's options. zod drops
 * an own `__proto__` key from every record it parses, so such a field vanished silently:
 * never annotated, never merged, and gone from the dataset schema a merge returns; and
 * writing it into a sample or frame by assignment would set the object's prototype.
 * Samples' own keys are data and merge as such; the schema's names must be usable keys.
 */
const isProtoName = (name: string): boolean => name === '__proto__' || name === 'frames.__proto__';

/**
 * Throws INVALID_INPUT naming the first `__proto__` key anywhere in `value` (an options
 * object: small, so walked whole), or among `names`, the field names given as values
 * (`destField`, `labelField`, a list-form `labelSchema`), keyed by where they sit.
 */
export function refuseProtoNames(
  value: unknown,
  what: string,
  names: Record<string, unknown> = {},
): void {
  const path = protoKeyPath(value, '', 0) ?? protoNamePath(names);
  if (path === undefined) return;
  const message = "'__proto__' cannot name a field, attribute or other key";
  throw new InvalidInputError(`Invalid ${what} at '${path}': ${message}`, {
    issues: [{ path, message }],
  });
}

const MAX_DEPTH = 16;

function protoKeyPath(value: unknown, path: string, depth: number): string | undefined {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = protoKeyPath(value[i], `${path}[${i}]`, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (isProtoName(key)) return at;
    const found = protoKeyPath((value as Record<string, unknown>)[key], at, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function protoNamePath(names: Record<string, unknown>): string | undefined {
  for (const [path, value] of Object.entries(names)) {
    if (typeof value === 'string' && isProtoName(value)) return path;
    if (Array.isArray(value)) {
      const at = value.findIndex((name) => typeof name === 'string' && isProtoName(name));
      if (at >= 0) return `${path}[${at}]`;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, name] of Object.entries(value)) {
        if (typeof name === 'string' && isProtoName(name)) return `${path}.${key}`;
      }
    }
  }
  return undefined;
}
