/**
 * The load side of the benchmark run, free of the stand-ins so the measured worker bundles
 * nothing but the SDK clients and the workflow steps.
 */
import { BackendRegistry } from '../lib/backends/index.js';
import type { Store, StoreClientOptions } from '../lib/store/index.js';
import {
  downloadTask,
  finalizeLoad,
  mergeStagedTask,
  planLoad,
  type WorkflowDeps,
} from '../lib/workflows/index.js';

export const DATASET = 'bench';
export const ANNO_KEY = 'bench_review';

/** Where a measured process finds the run: the stand-ins' endpoints and the resources. */
export interface RunLocation {
  readonly clientOptions: StoreClientOptions;
  readonly tableName: string;
  readonly bucket: string;
}

export function workflowDeps(store: Store): WorkflowDeps {
  return {
    store,
    backends: new BackendRegistry(),
    config: { defaultBackend: 'files', backends: { files: {} } },
  };
}

export interface LoadTimings {
  readonly tasks: number;
  readonly planMs: number;
  readonly downloadMs: number;
  readonly mergeMs: number;
  readonly finalizeMs: number;
  readonly labelsAdded: number;
  readonly labelsEdited: number;
}

/**
 * LoadWorkflow, step by step. `onStep` runs after each step (e.g. to read peak RSS). The
 * steps are timed one by one, as each is its own Lambda invocation.
 */
export async function load(
  deps: WorkflowDeps,
  onStep: (step: 'plan' | 'download' | 'merge' | 'finalize') => void = () => {},
): Promise<LoadTimings> {
  const ref = { dataset: DATASET, annoKey: ANNO_KEY };
  let start = performance.now();
  const plan = await planLoad(deps, ref);
  const planMs = performance.now() - start;
  onStep('plan');
  let downloadMs = 0;
  let mergeMs = 0;
  for (const taskId of plan.taskIds) {
    start = performance.now();
    const staged = await downloadTask(deps, { ...ref, taskId });
    downloadMs += performance.now() - start;
    onStep('download');
    start = performance.now();
    await mergeStagedTask(deps, { ...ref, taskId, stagedKey: staged.stagedKey });
    mergeMs += performance.now() - start;
    onStep('merge');
  }
  start = performance.now();
  const finalized = await finalizeLoad(deps, {
    ...ref,
    loadId: plan.loadId,
    taskIds: plan.taskIds,
  });
  const finalizeMs = performance.now() - start;
  onStep('finalize');
  return {
    tasks: plan.taskIds.length,
    planMs,
    downloadMs,
    mergeMs,
    finalizeMs,
    labelsAdded: finalized.totals.added,
    labelsEdited: finalized.totals.edited,
  };
}
