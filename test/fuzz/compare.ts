/**
 * What counts as "the same merge" between a reference and a candidate `mergeAnnotations`:
 * both throw with the same error code, or both return equal results, where the report's lists
 * are compared as multisets and `changedSampleIds` as a set (their order is not a contract).
 * Order-only and message-only differences are counted, not failed.
 */
type Rec = Record<string, unknown>;
export type Merge = (input: unknown) => unknown;

export interface Outcome {
  error?: { name: string; code: unknown; message: string };
  result?: Rec;
  mutated: boolean;
  /** Per returned sample: whether it is the input object (unchanged samples must be). */
  identity?: string;
}

export interface Diff {
  what: string;
  ref: unknown;
  cand: unknown;
}

export const info = {
  bothThrew: 0,
  /** Runs where both threw, by their (same) error code. */
  errorCodes: {} as Record<string, number>,
  bothReturned: 0,
  errorMessageDiffers: 0,
  keyOrderDiffers: 0,
  reportOrderDiffers: { changes: 0, refused: 0, skipped: 0, unexpected: 0 },
  changedSampleIdsOrderDiffers: 0,
};

/** Serialization with sorted keys; undefined, NaN and -0 kept distinct. */
function canon(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Rec)[k])}`).join(',')}}`;
}

/** Serialization in own key order, to tell key-order-only differences apart. */
function ordered(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(ordered).join(',')}]`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${ordered((v as Rec)[k])}`)
    .join(',')}}`;
}

/** Runs `merge` on a clone of `input`, so neither side can see the other's mutations. */
export function runMerge(merge: Merge, input: unknown): Outcome {
  const copy = structuredClone(input) as Rec;
  const before = ordered(copy);
  let out: Outcome;
  try {
    const result = merge(copy) as Rec;
    const samplesIn = copy.samples as unknown[];
    const identity = Array.isArray(result.samples)
      ? result.samples.map((s, i) => (s === samplesIn[i] ? 'same' : 'new')).join(',')
      : undefined;
    out = { result: structuredClone(result), mutated: false, identity };
  } catch (e) {
    const err = e as { name?: string; code?: unknown; message?: string };
    out = {
      error: { name: String(err?.name), code: err?.code, message: String(err?.message) },
      mutated: false,
    };
  }
  out.mutated = ordered(copy) !== before;
  return out;
}

function sameMultiset(a: unknown[], b: unknown[]): boolean {
  const ca = a.map(canon).sort();
  const cb = b.map(canon).sort();
  return ca.length === cb.length && ca.every((x, i) => x === cb[i]);
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The differences between two outcomes; with `record`, counts the tolerated ones in `info`. */
export function compare(ref: Outcome, cand: Outcome, record: boolean): Diff[] {
  const diffs: Diff[] = [];
  if (ref.mutated || cand.mutated) {
    diffs.push({ what: 'input mutated', ref: ref.mutated, cand: cand.mutated });
  }
  if (ref.error || cand.error) {
    if (!ref.error || !cand.error) {
      diffs.push({
        what: 'throws vs returns',
        ref: ref.error ?? 'returned',
        cand: cand.error ?? 'returned',
      });
    } else if (ref.error.code !== cand.error.code) {
      diffs.push({ what: 'error code', ref: ref.error, cand: cand.error });
    } else if (record) {
      info.bothThrew += 1;
      const code = String(ref.error.code);
      info.errorCodes[code] = (info.errorCodes[code] ?? 0) + 1;
      if (ref.error.message !== cand.error.message) info.errorMessageDiffers += 1;
    }
    return diffs;
  }
  if (record) info.bothReturned += 1;
  const r = ref.result ?? {};
  const c = cand.result ?? {};
  let keyOrder = false;
  const rr = (r.report ?? {}) as Rec;
  const cr = (c.report ?? {}) as Rec;
  const whole: [string, unknown, unknown][] = [
    ...['samples', 'dataset', 'idMap', 'unexpected', 'warnings'].map(
      (k): [string, unknown, unknown] => [k, r[k], c[k]],
    ),
    ['report.fields', rr.fields, cr.fields],
  ];
  for (const [what, a, b] of whole) {
    if (canon(a) !== canon(b)) diffs.push({ what, ref: a, cand: b });
    else if (ordered(a) !== ordered(b)) keyOrder = true;
  }
  if (ref.identity !== cand.identity) {
    diffs.push({
      what: 'samples returned as the input objects',
      ref: ref.identity,
      cand: cand.identity,
    });
  }
  for (const k of ['changes', 'refused', 'skipped', 'unexpected'] as const) {
    const a = asList(rr[k]);
    const b = asList(cr[k]);
    if (!sameMultiset(a, b)) diffs.push({ what: `report.${k} (as multiset)`, ref: a, cand: b });
    else if (ordered(a) !== ordered(b)) {
      if (canon(a) !== canon(b)) {
        if (record) info.reportOrderDiffers[k] += 1;
      } else keyOrder = true;
    }
  }
  const sa = asList(rr.changedSampleIds);
  const sb = asList(cr.changedSampleIds);
  if (
    sa.length !== sb.length ||
    canon([...new Set(sa)].sort()) !== canon([...new Set(sb)].sort())
  ) {
    diffs.push({ what: 'report.changedSampleIds (as set)', ref: sa, cand: sb });
  } else if (canon(sa) !== canon(sb) && record) info.changedSampleIdsOrderDiffers += 1;
  if (keyOrder && record) info.keyOrderDiffers += 1;
  return diffs;
}
