/**
 * Differential fuzzing of the merge: the working tree's `mergeAnnotations` against the one in
 * `lib/` at a git ref, on the random inputs of the invariants' property tests. A dev tool, not
 * part of `npm test`: run it before changing the merge in ways meant to keep its behaviour.
 *
 *   npm run fuzz:merge -- --against <git-ref> [--runs N] [--seed S] [--path P]
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
import { mergeInputs } from '../unit/merge/build-run.js';
import { compare, info, type Merge, runMerge } from './compare.js';

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
if (!against || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error(
    'usage: tsx test/fuzz/merge-differential.ts --against <git-ref> [--runs N] [--seed S] [--path P]',
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
function check(input: MergeInput) {
  const ref = runMerge(reference.merge, input);
  const cand = runMerge(candidate, input);
  const diffs = compare(ref, cand, counting);
  if (counting) checked += 1;
  return { diffs, ref, cand };
}

const t0 = Date.now();
const params: fc.Parameters<[MergeInput]> = { seed, numRuns: runs, endOnFailure: false };
if (replayPath !== undefined) params.path = replayPath;
const details = fc.check(
  fc.property(mergeInputs(), (input) => {
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
console.log(JSON.stringify(example, null, 1));
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
  `\nReproduce: npm run fuzz:merge -- --against ${against} --seed ${seed} --path "${details.counterexamplePath}" --runs 1`,
);
console.log(`${firstFailureAt ?? details.numRuns} runs, differences found`);
process.exit(1);
