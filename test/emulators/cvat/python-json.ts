/**
 * `json.dumps(value)` of Python, byte for byte: `", "` and `": "` separators, non-ASCII and
 * control characters escaped as lower-case `\uXXXX` (`ensure_ascii=True`), keys in insertion
 * order. CVAT signs exactly these bytes, so a faithful emulator must produce them.
 * JavaScript cannot tell `1.0` from `1`; payloads here carry no such floats.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return String(value);
  }
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, each]) => each !== undefined,
    );
    return `{${entries.map(([key, each]) => `${quote(key)}: ${pythonJsonDumps(each)}`).join(', ')}}`;
  }
  throw new TypeError(`pythonJsonDumps: cannot serialize a ${typeof value}`);
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function quote(text: string): string {
  let out = '"';
  // UTF-16 code units, as Python's ensure_ascii escapes astral characters as surrogate pairs.
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charAt(index);
    const code = text.charCodeAt(index);
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}
