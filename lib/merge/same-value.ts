/**
 * Structural equality for JSON values where an absent value equals null: FiftyOne writes
 * `None` where our JSON may omit the key, and that is not a change.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    // Equal elements (most coordinates) are settled here, without boxing each number.
    for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i] && !sameValue(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const key in ra) if (!sameValue(ra[key], rb[key])) return false;
  for (const key in rb) if (!(key in ra) && rb[key] != null) return false;
  return true;
}
