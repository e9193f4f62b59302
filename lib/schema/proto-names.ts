import { InvalidInputError } from '../errors/index.js';

/**
 * `__proto__` cannot name a field, attribute or any other key of a run's options. zod drops
 * an own `__proto__` key from every record it parses, so such a field vanished silently:
 * never annotated, never merged, and gone from the dataset schema a merge returns; and
 * writing it into a sample or frame by assignment would set the object's prototype.
 * The same goes for every key of a request body (zod would drop a sample's `__proto__`
 * field on import). A merge's own samples and downloads keep such keys as plain data.
 */
const isProtoName = (name: string): boolean => name === '__proto__' || name === 'frames.__proto__';

/**
 * Throws INVALID_INPUT naming the first `__proto__` key anywhere in `value` (walked whole:
 * options objects and request bodies), or among `names`, the field names given as values
 * (`destField`, `labelField`, a list-form `labelSchema`), keyed by where they sit.
 */
export function refuseProtoNames(
  value: unknown,
  what: string,
  names: Record<string, unknown> = {},
): void {
  const path = protoKeyPath(value) ?? protoNamePath(names);
  if (path === undefined) return;
  const message = "'__proto__' cannot name a field, attribute or other key";
  throw new InvalidInputError(`Invalid ${what} at '${path}': ${message}`, {
    issues: [{ path, message }],
  });
}

/**
 * The path of a `__proto__` key in `value`, if it has one. A loop with its own stack, not
 * recursion: a request body can nest deeper than the call stack allows.
 */
function protoKeyPath(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value: node, path } = top;
    if (node === null || typeof node !== 'object') continue;
    const children: Array<{ value: unknown; path: string }> = [];
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i += 1)
        children.push({ value: node[i], path: `${path}[${i}]` });
    } else {
      for (const key of Object.keys(node)) {
        const at = path === '' ? key : `${path}.${key}`;
        if (isProtoName(key)) return at;
        children.push({ value: (node as Record<string, unknown>)[key], path: at });
      }
    }
    for (let i = children.length - 1; i >= 0; i -= 1)
      stack.push(children[i] as (typeof children)[0]);
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
