import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import { BackendRegistry } from '../../../lib/backends/index.js';
import { createRunRecord } from '../../../lib/runs/index.js';
import { createStore, type StoreClients } from '../../../lib/store/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { executionName } from '../../../lib/workflows/engine.js';
import {
  INTENT_GRACE_MS,
  type StartedBy,
  startRunExecution,
} from '../../../lib/workflows/start-execution.js';
import { request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';
import { useLocalWorkflows } from '../../support/local-workflows.js';
import { CONFIG } from './run-support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();

const RUN = { dataset: 'd', annoKey: 'review' };
const BY_TASK: StartedBy = { by: 'task', backendTaskId: 'task-7', revision: 'r1' };
const T0 = new Date('2026-01-02T03:04:05.000Z').getTime();

/**
 * Fault injection on the real store: the first `crashes` writes of an execution record
 * (`X#…` items) fail as a process dying after StartExecution would leave them: never written.
 */
function crashBeforeRecording(clients: StoreClients, crashes: number): void {
  let left = crashes;
  clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: Record<string, unknown> };
      const sk = input.Item?.sk;
      const text = typeof sk === 'string' ? sk : (sk as { S?: string } | undefined)?.S;
      if (context.commandName?.startsWith('Put') && text?.startsWith('X#') && left > 0) {
        left -= 1;
        throw new Error('process died before recording the execution');
      }
      return next(args);
    },
    { step: 'initialize', name: 'crashBeforeRecording' },
  );
}

/** A run on a fresh table; `crashes` record writes fail; the clock moves with `advance`. */
async function runWith(options: { crashes?: number } = {}) {
  const local = await aws.newStore();
  const clients = aws.newClients();
  crashBeforeRecording(clients, options.crashes ?? 0);
  const store = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
  await store.runs.create(
    createRunRecord({
      ...RUN,
      backend: 'files',
      config: { labelSchema: {}, params: {} },
      now: new Date(T0),
    }),
  );
  let time = T0;
  const deps: WorkflowDeps & { engine: typeof workflows.engine } = {
    store,
    backends: new BackendRegistry(),
    config: CONFIG,
    clock: () => new Date(time),
    engine: workflows.engine,
  };
  const api: ApiDeps = { store, mediaBucket: local.bucket, workflows: deps };
  const listed = async () => {
    const answer = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/executions', {
      params: RUN,
    });
    expect(answer.status).toBe(200);
    return answer.body.items as Array<Record<string, unknown>>;
  };
  const start = (name: string) =>
    startRunExecution(deps, RUN, 'load', name, { ...RUN, backendTaskId: 'task-7' }, BY_TASK);
  return {
    store,
    deps,
    listed,
    start,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

const uniqueName = () => executionName('load', [RUN, Math.random()]);

/** An intent whose start never came: as a process that died before StartExecution leaves it. */
async function intendWithoutStart(
  run: Awaited<ReturnType<typeof runWith>>,
  name: string,
): Promise<void> {
  await run.store.executions.intend({
    ...RUN,
    workflow: 'load',
    executionArn: await workflows.engine.executionArnOf('load', name),
    executionName: name,
    startedBy: 'api',
    requestedAt: new Date(T0).toISOString(),
  });
}

describe('Execution records: every started execution is listed once', () => {
  it('lists an execution whose process died right after StartExecution', async () => {
    const run = await runWith({ crashes: 1 });
    const name = uniqueName();

    await expect(run.start(name)).rejects.toThrow('process died before recording');

    expect((await workflows.executions('load')).map((each) => each.name)).toContain(name);
    expect(await run.listed()).toEqual([
      expect.objectContaining({
        executionName: name,
        workflow: 'load',
        startedBy: 'task',
        backendTaskId: 'task-7',
        revision: 'r1',
        status: expect.stringMatching(/^(RUNNING|SUCCEEDED)$/),
      }),
    ]);
  });

  it('lists such an execution once however often the listing settles it', async () => {
    const run = await runWith({ crashes: 1 });
    const name = uniqueName();
    await run.start(name).catch(() => undefined);

    await run.listed();
    const again = await run.listed();

    expect(again.map((each) => each.executionName)).toEqual([name]);
    expect(await run.store.executions.listIntents(RUN.dataset, RUN.annoKey)).toEqual([]);
  });

  it('records the execution when a start that died before recording is retried', async () => {
    const run = await runWith({ crashes: 1 });
    const name = uniqueName();
    await run.start(name).catch(() => undefined);

    const retried = await run.start(name);

    expect(retried.started).toBe(false);
    const { items } = await run.store.executions.listByRun(RUN.dataset, RUN.annoKey);
    expect(items.map((each) => each.executionName)).toEqual([name]);
  });

  it('records a duplicate start of a recorded execution as the same one record', async () => {
    const run = await runWith();
    const name = uniqueName();

    const first = await run.start(name);
    await workflows.settled();
    const duplicate = await run.start(name);

    expect([first.started, duplicate.started]).toEqual([true, false]);
    expect((await run.listed()).map((each) => each.executionName)).toEqual([name]);
  });

  it('lists nothing for a start that never came, keeping its intent while it may be in flight', async () => {
    const run = await runWith();
    const name = uniqueName();
    await intendWithoutStart(run, name);

    run.advance(INTENT_GRACE_MS);
    const listed = await run.listed();

    expect(listed).toEqual([]);
    expect(await run.store.executions.listIntents(RUN.dataset, RUN.annoKey)).toHaveLength(1);
  });

  it('drops the intent of a start that never came once the grace period is over', async () => {
    const run = await runWith();
    const name = uniqueName();
    await intendWithoutStart(run, name);

    run.advance(INTENT_GRACE_MS + 1);
    const listed = await run.listed();

    expect(listed).toEqual([]);
    expect(await run.store.executions.listIntents(RUN.dataset, RUN.annoKey)).toEqual([]);
  });

  it('leaves no intent behind a start that was recorded', async () => {
    const run = await runWith();

    await run.start(uniqueName());

    expect(await run.store.executions.listIntents(RUN.dataset, RUN.annoKey)).toEqual([]);
  });
});
