import { now, type WorkflowDeps } from './deps.js';
import type { StartedExecution, WorkflowEngine, WorkflowName } from './engine.js';

/** Why an execution was started: a user through the API, or a task the tool finished. */
export type StartedBy =
  | { readonly by: 'api' }
  | { readonly by: 'task'; readonly backendTaskId: string; readonly revision: string };

/**
 * Starts `workflow` for a run and records the execution on the run, so the run's executions
 * can be listed (`GET …/runs/{annoKey}/executions`) — Step Functions cannot list them by
 * run. Only a start that started something is recorded: a duplicate start (same name) was
 * recorded by the first. A crash between the start and the record loses the record, not
 * the execution.
 */
export async function startRunExecution(
  deps: WorkflowDeps & { readonly engine: WorkflowEngine },
  run: { readonly dataset: string; readonly annoKey: string },
  workflow: WorkflowName,
  name: string,
  input: unknown,
  startedBy: StartedBy,
): Promise<StartedExecution> {
  const started = await deps.engine.start(workflow, name, input);
  if (started.started) {
    await deps.store.executions.record({
      dataset: run.dataset,
      annoKey: run.annoKey,
      workflow,
      executionArn: started.executionArn,
      executionName: name,
      startDate: started.startDate ?? now(deps).toISOString(),
      startedBy: startedBy.by,
      ...(startedBy.by === 'task'
        ? { backendTaskId: startedBy.backendTaskId, revision: startedBy.revision }
        : {}),
    });
  }
  return started;
}
