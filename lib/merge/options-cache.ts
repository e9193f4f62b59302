/**
 * A load merges a run page by page with the same options (dataset schema, label schema,
 * destField, unexpected). Parsing them with zod was ~7 % of a 100-sample page's merge, so
 * each distinct content is parsed once. Only plain JSON data is cached: its JSON text
 * determines it, so a changed (or mutated) schema is a different key, and a value JSON
 * would alter (a Date, NaN, a class instance) is always parsed.
 */
export class JsonParseCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(
    private readonly parse: (value: unknown) => T,
    private readonly capacity = 16,
  ) {}

  /** `parse(value)`, or the frozen result of an earlier parse of the same JSON content. */
  get(value: unknown): T {
    if (!isJsonData(value, 0)) return this.parse(value);
    const key = JSON.stringify(value);
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    // Frozen copy: a result shared by later calls must not be changed by any of them, and
    // zod may hand back the caller's own objects (unknown-typed parts), which are not ours.
    const parsed = deepFreeze(structuredClone(this.parse(value)));
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, parsed);
    return parsed;
  }
}

// Options are small; anything deeper is not worth a cache key (and cannot loop forever).
const MAX_DEPTH = 12;

/**
 * Strings, booleans, finite numbers, null, arrays and plain objects of them: the values
 * JSON.stringify keeps exactly. `undefined` is allowed as an object's property value only,
 * where it means absent to zod as to JSON.
 */
function isJsonData(value: unknown, depth: number): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (item === undefined || !isJsonData(item, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined && !isJsonData(item, depth + 1)) return false;
  }
  return true;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
