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

/** An object met on the walk; its path is spelled only for the culprit. */
interface Visit {
  value: object;
  parent: Visit | undefined;
  key: string | number;
}

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';

/**
 * The path of a `__proto__` key in `value`, if it has one. A loop with its own stack, not
 * recursion: a request body can nest deeper than the call stack allows. Only objects go on
 * the stack, so a long list of numbers (a mask, a polygon) costs nothing but its scan.
 */
function protoKeyPath(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const stack: Visit[] = [{ value, parent: undefined, key: '' }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const node = top.value;
    // Pushed last to first, so the first child is visited first.
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) {
        const item: unknown = node[i];
        if (isObject(item)) stack.push({ value: item, parent: top, key: i });
      }
      continue;
    }
    const keys = Object.keys(node);
    for (const key of keys) if (isProtoName(key)) return pathOf(top, key);
    for (let k = keys.length - 1; k >= 0; k -= 1) {
      const key = keys[k] as string;
      const item: unknown = (node as Record<string, unknown>)[key];
      if (isObject(item)) stack.push({ value: item, parent: top, key });
    }
  }
  return undefined;
}

/** `a.b[0].c`: the keys from the root to `visit`, then `last`. */
function pathOf(visit: Visit, last: string): string {
  const keys: Array<string | number> = [last];
  for (let at: Visit = visit; at.parent !== undefined; at = at.parent) keys.push(at.key);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i -= 1) {
    const key = keys[i] as string | number;
    path += typeof key === 'number' ? `[${key}]` : path === '' ? key : `.${key}`;
  }
  return path;
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
