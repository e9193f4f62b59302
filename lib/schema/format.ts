import { isRecord } from '../labels/json.js';
/**
 * Python-style `repr` of plain values, for error messages. FiftyOne's messages print lists
 * and dicts with Python's repr (`['detections', 'instances']`, `{'classes': 'cat'}`); we
 * print the same so a client matching on FiftyOne's wording finds the same text.
 */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, inner]) => `'${key}': ${pyRepr(inner)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** A value printed the way Python's `'%s' % value` would: strings bare, the rest as repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

export { isRecord };

/** Whether `record` sets `key` itself: FiftyOne's `key in label_info` (a null counts, as in Python). */
export function setsOwn(record: object, key: string): boolean {
  return Object.hasOwn(record, key) && (record as Record<string, unknown>)[key] !== undefined;
}

/** A list printed as Python prints it: `['a', 'b']`. */
export function pyList(values: ReadonlyArray<unknown>): string {
  return pyRepr(values);
}
