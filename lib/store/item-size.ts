/**
 * DynamoDB's item size, estimated from the JS value the document client marshals, following
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
 * strings (UTF-8) and binaries by length, numbers by their stored digits (below), booleans
 * and nulls one byte, lists and maps 3 bytes plus one per element, names by
 * UTF-8 length. JSON length is not a safe proxy: a mask of small integers costs about 3 bytes
 * per pixel in DynamoDB but 2 in JSON.
 */

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * DynamoDB stores a number as base-100 digits aligned on the decimal point, plus a byte of
 * exponent (and one for a minus sign): `110` is `1|10`, 3 bytes, though it has only two
 * significant decimal digits. Same formula as dynalite, which measured it against AWS.
 */
function numberSize(value: number | bigint): number {
  if (value === 0 || value === 0n) return 1;
  const negative = value < 0;
  const [mantissa = '', exponent = '0'] = (
    typeof value === 'bigint'
      ? toExponential(value < 0n ? -value : value)
      : Math.abs(value).toExponential()
  ).split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '').length;
  const evenPadding = digits % 2 === 0 && Number(exponent) % 2 === 0 ? 1 : 0;
  return 1 + Math.ceil(digits / 2) + evenPadding + (negative ? 1 : 0);
}

function toExponential(value: bigint): string {
  const text = value.toString();
  return `${text[0]}.${text.slice(1)}e${text.length - 1}`;
}

/** The size of one attribute value. */
export function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Length(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberSize(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) {
    let total = 0;
    for (const element of value) total += valueSize(element);
    return total;
  }
  if (Array.isArray(value)) {
    let total = 3;
    for (const element of value) total += 1 + valueSize(element);
    return total;
  }
  if (typeof value === 'object') {
    let total = 3;
    for (const [name, inner] of Object.entries(value)) {
      if (inner !== undefined) total += 1 + utf8Length(name) + valueSize(inner);
    }
    return total;
  }
  return 0;
}

/** The size of a whole item: each top-level attribute's name plus its value. */
export function itemSize(item: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) total += utf8Length(name) + valueSize(value);
  }
  return total;
}

/** DynamoDB's hard limit per item. */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Our ceiling for inline data: below the hard limit, so estimate error and small later
 * growth (a merge token, a counter) never tip a stored item over.
 */
export const INLINE_ITEM_BYTES = 350 * 1024;
