/**
 * The steps of annoflow's workflows (ARCHITECTURE "The flow of one run"), as plain async
 * functions on the store and the backends. Each takes what Step Functions passes (ids and S3
 * keys, ≤ 32 KiB), validates it, and is idempotent; the state machines and handlers call them.
 *
 * - AnnotateWorkflow: {@link prepareAnnotate} → Map {@link uploadPage} → {@link openRun};
 *   on failure {@link failAnnotate}.
 * - LoadWorkflow: {@link planLoad} → Map {@link downloadTask} → Map {@link mergeStagedTask}
 *   → {@link finalizeLoad}.
 * - CleanupWorkflow: {@link cleanupRun}.
 */
export * from './await-completion.js';
export * from './cleanup-run.js';
export * from './deps.js';
export * from './download-task.js';
export * from './engine.js';
export * from './fail-annotate.js';
export * from './finalize-load.js';
export * from './inputs.js';
export * from './keys.js';
export * from './merge-staged-task.js';
export * from './open-run.js';
export * from './plan-load.js';
export * from './prepare-annotate.js';
export * from './receive-files-results.js';
export * from './receive-webhook.js';
export * from './refresh-task-media.js';
export * from './steps.js';
export * from './sweep-runs.js';
export * from './upload-page.js';
