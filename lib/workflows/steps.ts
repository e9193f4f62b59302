import { z } from 'zod';
import {
  AnnoflowError,
  BackendError,
  parseInput,
  StoreError,
  VersionConflictError,
} from '../errors/index.js';
import { CorruptStoreDataError } from '../store/corrupt-data-error.js';
import type { WorkflowDeps } from './deps.js';

// Each step validates its own input; the dispatcher only routes.
type Step = (deps: WorkflowDeps, input: never) => Promise<unknown>;

/**
 * The steps each workflow's function serves, by the name its state machine passes. One
 * function per workflow (not per step): its states share a cold start and a memory size
 * suited to the workflow, and its role holds only that workflow's permissions.
 *
 * Each step's module is imported by its first invocation, not at the cold start: a bundled
 * function then parses (and builds the schemas of) the steps its sandbox runs, not all of
 * them (bench/README.md, "bench/bundle").
 */
export const WORKFLOW_STEPS = {
  annotate: {
    prepareAnnotate: async () => (await import('./prepare-annotate.js')).prepareAnnotate,
    uploadPage: async () => (await import('./upload-page.js')).uploadPage,
    openRun: async () => (await import('./open-run.js')).openRun,
    failAnnotate: async () => (await import('./fail-annotate.js')).failAnnotate,
    awaitCompletion: async () => (await import('./await-completion.js')).awaitCompletion,
  },
  load: {
    planLoad: async () => (await import('./plan-load.js')).planLoad,
    downloadTask: async () => (await import('./download-task.js')).downloadTask,
    mergeStagedTask: async () => (await import('./merge-staged-task.js')).mergeStagedTask,
    finalizeLoad: async () => (await import('./finalize-load.js')).finalizeLoad,
  },
  cleanup: {
    cleanupRun: async () => (await import('./cleanup-run.js')).cleanupRun,
  },
} as const satisfies Record<string, Record<string, () => Promise<Step>>>;

export type WorkflowFunction = keyof typeof WORKFLOW_STEPS;

/** What a state machine's Task passes: the step's name and its input (ids and S3 keys). */
export function stepEventSchema<F extends WorkflowFunction>(fn: F) {
  const names = Object.keys(WORKFLOW_STEPS[fn]) as [string, ...string[]];
  return z.object({ step: z.enum(names), input: z.unknown() });
}

/**
 * Runs the step an event names.
 *
 * @throws InvalidInputError `INVALID_INPUT` for an event naming no step of `fn`; anything
 *   the step throws: `Annoflow.Transient` for what may pass if tried again, an annoflow
 *   error under its stable code, anything else under its class name (what the state
 *   machine's Retry/Catch match and what the execution reports).
 */
export async function runStep(
  fn: WorkflowFunction,
  deps: WorkflowDeps,
  event: unknown,
): Promise<unknown> {
  try {
    const { step, input } = parseInput(stepEventSchema(fn), event, `${fn} workflow step`);
    const load = (WORKFLOW_STEPS[fn] as Record<string, () => Promise<Step>>)[step];
    const run = await (load as () => Promise<Step>)();
    return await run(deps, input as never);
  } catch (error) {
    throw asStepError(error);
  }
}

/**
 * The error name a state machine's `Retry` matches on (`TRANSIENT_ERROR`). A state machine
 * cannot tell a throttled SDK call from a bad request by Lambda's `errorType` alone, so the
 * step says it: anything that is not one of annoflow's own lasting errors may pass if tried
 * again (throttling, timeouts, a tool briefly down), as may a lost version race or an
 * incomplete batch write. Lasting errors keep their class name and go to `Catch`.
 */
export const TRANSIENT_ERROR = 'Annoflow.Transient';

export class TransientStepError extends Error {
  override name = TRANSIENT_ERROR;
}

export function isTransient(error: unknown): boolean {
  if (error instanceof VersionConflictError) return true;
  if (error instanceof StoreError && error.code === 'BATCH_WRITE_INCOMPLETE') return true;
  if (error instanceof BackendError && error.code === 'BACKEND_UNAVAILABLE') return true;
  if (error instanceof AnnoflowError || error instanceof CorruptStoreDataError) return false;
  return true;
}

/**
 * A lasting annoflow error as the state machine sees it: its name is the error's stable code
 * (`BACKEND_REQUEST_FAILED`, …), so the execution's `error`, the Catch output and the failed
 * run's reason carry the code users look up, not a class name like `BackendError`.
 */
export class LastingStepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = code;
  }
}

function asStepError(error: unknown): unknown {
  if (isTransient(error)) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new TransientStepError(message, { cause: error });
  }
  if (error instanceof AnnoflowError) {
    return new LastingStepError(error.code, error.message, { cause: error });
  }
  return error;
}
