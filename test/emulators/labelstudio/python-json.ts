/**
 * `json.dumps(value)` as Python writes it, which is how Label Studio's webhooks send their
 * bodies (reference §2.5, §4): `", "` and `": "` separators, non-ASCII escaped as `\uXXXX`
 * (UTF-16 units, so astral characters become surrogate pairs, as Python's are), keys in
 * insertion order. One difference remains: Python writes a float with no fraction as `1.0`,
 * JavaScript cannot tell it from the integer `1`.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, inner]) => inner !== undefined);
    return `{${entries.map(([key, inner]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(inner)}`).join(', ')}}`;
  }
  return 'null';
}
