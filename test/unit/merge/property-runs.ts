import fc from 'fast-check';
import { type MergeInput, type MergeResult, mergeAnnotations } from '../../../lib/merge/index.js';
import { mergeInputs } from './build-run.js';

/**
 * The invariant files' shared run settings: one seed, so failures reproduce.
 * `MERGE_PROPERTY_SEED` and `MERGE_PROPERTY_RUNS` in the environment widen a search (CI runs
 * the defaults).
 */
export const PARAMS = {
  seed: Number(process.env.MERGE_PROPERTY_SEED ?? 20261126),
  numRuns: Number(process.env.MERGE_PROPERTY_RUNS ?? 150),
};

/** Asserts `check` of every random input's merge (mergeInputs unless given). */
export function holds(
  check: (input: MergeInput, result: MergeResult) => void,
  inputs = mergeInputs(),
  numRuns = PARAMS.numRuns,
): void {
  fc.assert(
    fc.property(inputs, (input) => {
      check(input, mergeAnnotations(input));
    }),
    { ...PARAMS, numRuns },
  );
}
