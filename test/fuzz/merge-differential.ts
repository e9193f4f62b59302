/**
 * Differential fuzzing of the merge: the working tree's `mergeAnnotations` against the one in
 * `lib/` at a git ref, on the random inputs of the invariants' property tests, with invalid
 * ones (one spot of a valid input corrupted, invalid-inputs.ts) mixed in at `--invalid-rate`
 * (default 0.1), which both merges must refuse with the same error code. A dev tool, not part
 * of `npm test`: run it before changing the merge in ways meant to keep its behaviour.
 *
 *   npm run fuzz:merge -- --against <git-ref> [--runs N] [--seed S] [--path P] [--invalid-rate R]
 *
 * Exit 0 when no run differed, 1 on a difference (shrunk input, both sides, seed), 2 on bad use.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { type MergeInput, mergeAnnotations } from '../../lib/merge/index.js';
import { compare, info, type Merge, type Outcome, runMerge } from './compare.js';
import { type FuzzInput, fuzzInputs } from './invalid-inputs.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const argv = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const against = opt('--against');
const runs = Number(opt('--runs') ?? 1000);
const seed = opt('--seed') !== undefined ? Number(opt('--seed')) : Date.now() % 2 ** 31;
const replayPath = opt('--path');
const invalidRate = Number(opt('--invalid-rate') ?? 0.1);
if (
  !against ||
  !Number.isInteger(runs) ||
  runs < 1 ||
  !Number.isInteger(seed) ||
  !(invalidRate >= 0 && invalidRate <= 1)
) {
  console.error(
    'usage: tsx test/fuzz/merge-differential.ts --against <git-ref> [--runs N] [--seed S] [--path P] [--invalid-rate 0..1]',
  );
  process.exit(2);
}

/**
 * The reference is `lib/` exactly as committed at the ref, extracted outside the repo; the
 * repo's node_modules is linked in so its imports (zod) resolve as they do here.
 */
async function loadReference(ref: string): Promise<{ merge: Merge; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'merge-ref-'));
  try {
    execFileSync('sh', ['-c', `git archive "$0" lib | tar -x -C "$1"`, ref, dir], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    console.error(`cannot extract lib/ at '${ref}': ${String((e as { stderr?: unknown }).stderr)}`);
    process.exit(2);
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  const mod = (await import(pathToFileURL(path.join(dir, 'lib/merge/index.ts')).href)) as {
    mergeAnnotations?: unknown;
  };
  if (typeof mod.mergeAnnotations !== 'function') {
    console.error(`lib/merge/index.ts at '${ref}' does not export mergeAnnotations`);
    process.exit(2);
  }
  return { merge: mod.mergeAnnotations as Merge, dir };
}

const reference = await loadReference(against);
const candidate: Merge = (input) => mergeAnnotations(input as MergeInput);

// Shrinking re-runs the property many times; only the first pass over the runs is counted.
let counting = true;
let firstFailureAt: number | undefined;
let checked = 0;
// The first pass's runs by kind and outcome: an invalid input the merges accept, or a valid one
// they refuse, is worth a look even when both agree.
const outcomes = {
  valid: { returned: 0, threw: 0 },
  invalid: { returned: 0, threw: 0 },
};
const threw = (o: Outcome) => o.error !== undefined;
function check({ input, corruption }: FuzzInput) {
  const ref = runMerge(reference.merge, input);
  const cand = runMerge(candidate, input);
  const diffs = compare(ref, cand, counting);
  if (counting) {
    checked += 1;
    const tally = outcomes[corruption === undefined ? 'valid' : 'invalid'];
    if (threw(ref) && threw(cand)) tally.threw += 1;
    else if (!threw(ref) && !threw(cand)) tally.returned += 1;
  }
  return { diffs, ref, cand };
}

const t0 = Date.now();
const params: fc.Parameters<[FuzzInput]> = { seed, numRuns: runs, endOnFailure: false };
if (replayPath !== undefined) params.path = replayPath;
const details = fc.check(
  fc.property(fuzzInputs(invalidRate), (input) => {
    const { diffs } = check(input);
    if (diffs.length > 0 && counting) {
      firstFailureAt = checked;
      counting = false;
    }
    return diffs.length === 0;
  }),
  params,
);
const seconds = ((Date.now() - t0) / 1000).toFixed(1);
rmSync(reference.dir, { recursive: true, force: true });

const order = Object.entries(info.reportOrderDiffers)
  .map(([k, v]) => `${k}=${v}`)
  .join(', ');
console.log(
  `[info] both returned ${info.bothReturned}, both threw ${info.bothThrew} (messages differed in ${info.errorMessageDiffers})`,
);
const codes = Object.entries(info.errorCodes)
  .map(([k, v]) => `${k}=${v}`)
  .join(', ');
console.log(
  `[info] valid inputs: ${outcomes.valid.returned} returned, ${outcomes.valid.threw} threw; invalid (rate ${invalidRate}): ${outcomes.invalid.threw} threw, ${outcomes.invalid.returned} accepted`,
);
console.log(`[info] runs that hit errors, by code: ${codes || 'none'}`);
console.log(`[info] only object key order differed in ${info.keyOrderDiffers} runs`);
console.log(
  `[info] only list order differed: report ${order}; changedSampleIds=${info.changedSampleIdsOrderDiffers}`,
);
console.log(`[info] against ${against}, seed ${seed}, ${seconds}s`);

const example = details.counterexample?.[0];
if (!details.failed || example === undefined) {
  if (details.failed)
    console.log(`property failed without a counterexample: ${details.errorInstance}`);
  else console.log(`${details.numRuns} runs, 0 differences`);
  process.exit(details.failed ? 1 : 0);
}

const { diffs, ref, cand } = check(example);
console.log(`\n=== DIFFERENCE after ${firstFailureAt ?? '?'} runs (seed ${seed}) ===`);
if (details.errorInstance && !String(details.errorInstance).includes('returning false'))
  console.log(`(property threw: ${String(details.errorInstance)})`);
console.log(`Shrunk input (after ${details.numShrinks} shrinks):`);
if (example.corruption !== undefined) console.log(`Invalid on purpose: ${example.corruption}`);
console.log(JSON.stringify(example.input, null, 1));
for (const d of diffs) {
  console.log(`\n--- differs: ${d.what}`);
  console.log(`ref:  ${JSON.stringify(d.ref, null, 1)}`);
  console.log(`cand: ${JSON.stringify(d.cand, null, 1)}`);
}
if (ref.error || cand.error) {
  console.log(
    `\nref error:  ${JSON.stringify(ref.error)}\ncand error: ${JSON.stringify(cand.error)}`,
  );
}
console.log(
  `\nReproduce: npm run fuzz:merge -- --against ${against} --seed ${seed} --path "${details.counterexamplePath}" --invalid-rate ${invalidRate} --runs 1`,
);
console.log(`${firstFailureAt ?? details.numRuns} runs, differences found`);
process.exit(1);
