import { z } from 'zod';
import { isAnnoflowError } from '../errors/index.js';
import type { RunRecord } from '../runs/record.js';
import { datasetNameSchema } from '../store/keys.js';
import { now, type WorkflowDeps } from './deps.js';
import { parseStepInput } from './inputs.js';
import { requireStatus, runTasks } from './run-context.js';

export const awaitCompletionInputSchema = z.strictObject({
  dataset: datasetNameSchema,
  annoKey: z.string().min(1),
  taskToken: z.string().min(1),
});
export type AwaitCompletionInput = z.input<typeof awaitCompletionInputSchema>;

/** What a waiting `AnnotateWorkflow` resumes with. */
export interface CompletionOutput {
  readonly dataset: string;
  readonly annoKey: string;
  readonly status: RunRecord['status'];
  readonly tasks: number;
  /** The run was deleted while the workflow waited (see {@link releaseWaiting}). */
  readonly deleted?: true;
}

const FINISHED_TASK = new Set(['completed', 'merged', 'deleted']);
/** A run in these statuses will see no more work: a waiting workflow must not wait forever. */
const OVER = new Set(['cleaned', 'failed']);

/**
 * `AnnotateWorkflow`'s optional last step (`waitForCompletion`): parks the workflow's task
 * token on the run. Every finished task (a webhook, a load) calls {@link wakeIfFinished},
 * which sends the token success once all tasks are finished; so does this step itself, in
 * case they finished before the token was stored. Idempotent: storing the same token again
 * writes nothing, and a token already sent is not sent twice.
 */
export async function awaitCompletion(
  deps: WorkflowDeps,
  input: AwaitCompletionInput,
): Promise<{ waiting: boolean }> {
  const { dataset, annoKey, taskToken } = parseStepInput(
    awaitCompletionInputSchema,
    input,
    'await completion',
  );
  let run = await deps.store.runs.get(dataset, annoKey);
  requireStatus(run, ['annotating', 'loading', 'loaded'], 'wait for');
  if (run.waiting?.taskToken !== taskToken) {
    run = await deps.store.runs.setWaiting(
      run,
      { taskToken, since: now(deps).toISOString() },
      now(deps),
    );
  }
  const woken = await wakeIfFinished(deps, run);
  return { waiting: !woken };
}

/**
 * Sends the waiting workflow's token success when every task of the run is finished (or
 * the run is over), then clears it. Returns whether the wait is over. Safe to call from
 * concurrent webhooks: Step Functions accepts a token once, and a lost race to clear it is
 * only a record that is cleared already.
 */
export async function wakeIfFinished(deps: WorkflowDeps, run: RunRecord): Promise<boolean> {
  const waiting = run.waiting;
  if (waiting === undefined || deps.engine === undefined) return false;
  let tasks = 0;
  if (!OVER.has(run.status)) {
    for await (const page of runTasks(deps.store, run.dataset, run.annoKey)) {
      for (const task of page) {
        if (!FINISHED_TASK.has(task.status)) return false;
        tasks += 1;
      }
    }
    if (tasks === 0) return false;
  }
  const output: CompletionOutput = {
    dataset: run.dataset,
    annoKey: run.annoKey,
    status: run.status,
    tasks,
  };
  await deps.engine.sendTaskSuccess(waiting.taskToken, output);
  try {
    await deps.store.runs.setWaiting(run, undefined, now(deps));
  } catch (error) {
    // Another caller changed the run meanwhile; the next one to look clears the token.
    if (!(isAnnoflowError(error) && error.code === 'VERSION_CONFLICT')) throw error;
  }
  return true;
}

/**
 * A run deleted while a workflow waits on it: nothing will ever finish it, so the wait ends
 * now (`deleted: true`), rather than at Step Functions' one-year limit.
 */
export async function releaseWaiting(deps: WorkflowDeps, run: RunRecord): Promise<void> {
  if (run.waiting === undefined || deps.engine === undefined) return;
  const output: CompletionOutput = {
    dataset: run.dataset,
    annoKey: run.annoKey,
    status: run.status,
    tasks: 0,
    deleted: true,
  };
  await deps.engine.sendTaskSuccess(run.waiting.taskToken, output);
}
