/**
 * Environment values are typed the way FiftyOne types them (`_parse_env_value` in
 * `fiftyone/core/config.py`), so a deployment configured for FiftyOne means the same
 * thing here: `12345` is a number, `a,b` a list, `TRUE` a string (SEMANTICS §8.4).
 */

// Whitespace Python's int()/float() strip: ASCII space and \t\n\v\f\r, plus the non-ASCII
// characters Python counts as spaces. \x1c-\x1f are *not* stripped: CPython keeps every
// code point below 127 as is and its ASCII space test does not include them.
const PY_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');

// Digit runs allow single underscores between digits (PEP 515), never leading or trailing.
const DIGITS = '[0-9](?:_?[0-9])*';
const INT = new RegExp(`^[+-]?${DIGITS}$`);
const FLOAT = new RegExp(
  `^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`,
);
// No `u` flag: without it, `i` never folds a non-ASCII letter onto an ASCII one, and
// Python only accepts ASCII spellings of these words.
const INF = /^[+-]?(?:inf|infinity)$/i;
const NAN = /^[+-]?nan$/i;

const DECIMAL_DIGIT = /\p{Nd}/u;

/**
 * Python's int() and float() accept any Unicode decimal digit ("١٢" is 12). Unicode
 * guarantees decimal digits come in contiguous runs of ten starting at zero, so a digit's
 * value is its distance from the start of its run, modulo ten.
 */
function toAsciiDigits(text: string): string {
  return text.replace(/\p{Nd}/gu, (digit) => {
    const codePoint = digit.codePointAt(0) as number;
    if (codePoint < 0x80) return digit;
    let start = codePoint;
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((codePoint - start) % 10);
  });
}

/** The number Python's `int(raw)` returns, or undefined where it raises. */
function parsePythonInt(text: string): number | undefined {
  if (!INT.test(text)) return undefined;
  // `+ 0` turns "-0" into 0: Python ints have no negative zero. Integers beyond 2^53 lose
  // precision here where Python keeps them exact; config values that large are not expected.
  return Number(text.replaceAll('_', '')) + 0;
}

/** The number Python's `float(raw)` returns, or undefined where it raises. */
function parsePythonFloat(text: string): number | undefined {
  if (INF.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (NAN.test(text)) return Number.NaN;
  if (!FLOAT.test(text)) return undefined;
  return Number(text.replaceAll('_', ''));
}

/**
 * Types one environment variable value exactly as FiftyOne does; the first rule that
 * matches wins:
 *
 * 1. Python `int` syntax (`"10"`, `" -3 "`, `"1_000"`, `"007"`) → number
 * 2. Python `float` syntax (`"1.5"`, `"1e3"`, `".5"`, `"nan"`, `"-Infinity"`) → number
 * 3. `"True"`/`"true"` → true; `"False"`/`"false"` → false
 * 4. `"None"` or `""` → null
 * 5. contains a comma → array of the comma-separated items (untrimmed), each parsed by
 *    these same rules
 * 6. anything else → the raw string
 *
 * @example
 * parseEnvValue('12345'); // 12345 — so a numeric password arrives as a number, as in FiftyOne
 * parseEnvValue('a,1,'); // ['a', 1, null]
 * parseEnvValue('TRUE'); // 'TRUE'
 */
export function parseEnvValue(raw: string): unknown {
  const numeric = toAsciiDigits(raw.replace(STRIP, ''));
  const asInt = parsePythonInt(numeric);
  if (asInt !== undefined) return asInt;
  const asFloat = parsePythonFloat(numeric);
  if (asFloat !== undefined) return asFloat;
  if (raw === 'True' || raw === 'true') return true;
  if (raw === 'False' || raw === 'false') return false;
  if (raw === 'None' || raw === '') return null;
  if (raw.includes(',')) return raw.split(',').map(parseEnvValue);
  return raw;
}
