import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createFilesBackend } from '../../../lib/backends/files/index.js';
import {
  BackendRegistry,
  guardBackend,
  type RefreshMediaContext,
} from '../../../lib/backends/index.js';
import { BackendError } from '../../../lib/errors/index.js';
import type { Sample } from '../../../lib/labels/index.js';
import { createStore } from '../../../lib/store/index.js';
import { sampleKey, sweepResumeKey, taskKey } from '../../../lib/store/keys.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { sweepRuns } from '../../../lib/workflows/index.js';
import { detections } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { useLocalWorkflows } from '../../support/local-workflows.js';
import { jpeg } from '../../support/media.js';
import {
  annotateFirstTask,
  annotateRun,
  CONFIG,
  clock,
  DATASET,
  deliver,
  REQUEST,
  seedDataset,
} from './run-support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();

/** The files backend, and a copy of it whose tool is down (every status call fails). */
function registry(): BackendRegistry {
  return new BackendRegistry().register('down', ({ objects }) => ({
    ...createFilesBackend({ objects }),
    status: async () => {
      throw new Error('tool unreachable');
    },
  }));
}

async function openRun(options: { autoLoad: boolean; backend?: string; clock?: () => Date }) {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps: WorkflowDeps = {
    store: local.store,
    backends: registry(),
    config: { ...CONFIG, backends: { files: {}, down: {} } },
    clock: options.clock ?? clock,
    engine: workflows.engine,
  };
  await annotateRun(deps, {
    ...REQUEST,
    autoLoad: options.autoLoad,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  return { local, deps };
}

const statuses = async (deps: WorkflowDeps) =>
  (await deps.store.tasks.listByRun(DATASET, 'gt_review')).items.map((task) => task.status);

describe('Sweeper: finished tasks nobody announced', () => {
  it('finds a finished task whose webhook was lost and handles it as the webhook would', async () => {
    const { local, deps } = await openRun({ autoLoad: true });
    await deliver(local, 'gt_review-00000', annotateFirstTask); // no notification reaches us
    const result = await sweepRuns(deps);
    expect(result).toMatchObject({ runs: 1, tasksChecked: 2, failed: [] });
    expect(result.events.map((event) => [event.backendTaskId, event.outcome])).toEqual([
      ['street/gt_review/gt_review-00000', 'load-started'],
    ]);
    expect(await statuses(deps)).toEqual(['completed', 'open']);
  });

  it('starts one load however often it sweeps an unchanged task', async () => {
    const { local, deps } = await openRun({ autoLoad: true });
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    const first = await sweepRuns(deps);
    const second = await sweepRuns(deps);
    expect(first.events).toHaveLength(1);
    expect(second).toMatchObject({ tasksChecked: 1, events: [] });
  });

  it.each([
    { marked: '2026-02-02T01:00:00.000Z', loads: 1, case: 'over an hour ago: its load is started' },
    { marked: '2026-02-02T02:55:00.000Z', loads: 0, case: 'minutes ago: its load may be running' },
  ])('asks again about a task marked completed $case', async ({ marked, loads }) => {
    // A run of its own day: its load's execution name is no other test's (one engine a file).
    const { local, deps } = await openRun({
      autoLoad: true,
      clock: () => new Date('2026-02-02T03:04:05.000Z'),
    });
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    // A webhook recorded the task finished, and then failed to start its load.
    const task = await deps.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000');
    await deps.store.tasks.markCompleted(task, marked);

    const result = await sweepRuns(deps);

    expect(result.taskFailed).toEqual([]);
    expect(result.events.filter((event) => event.outcome === 'load-started')).toHaveLength(loads);
    expect(result.tasksChecked).toBe(1 + loads);
  });

  it('only records the task when the run loads on request', async () => {
    const { local, deps } = await openRun({ autoLoad: false });
    await deliver(local, 'gt_review-00001');
    const result = await sweepRuns(deps);
    expect(result.events.map((event) => event.outcome)).toEqual(['recorded']);
  });

  it('reports each task a tool cannot be asked about, and leaves them open', async () => {
    const down = await openRun({ autoLoad: true, backend: 'down' });
    const result = await sweepRuns(down.deps);
    expect(result.taskFailed).toEqual([
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId: 'gt_review-00000',
        error: 'tool unreachable',
      },
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId: 'gt_review-00001',
        error: 'tool unreachable',
      },
    ]);
    expect(result.failed).toEqual([]);
    expect(await statuses(down.deps)).toEqual(['open', 'open']);
  });

  it('reports a run whose backend cannot be made, and sweeps the others', async () => {
    const { local, deps } = await openRun({ autoLoad: true });
    await deps.store.runs.create({
      ...(await deps.store.runs.get(DATASET, 'gt_review')),
      annoKey: 'gone_tool',
      backend: 'uninstalled',
    });
    await deliver(local, 'gt_review-00000', annotateFirstTask);

    const result = await sweepRuns(deps);

    expect(result.failed).toEqual([
      { dataset: DATASET, annoKey: 'gone_tool', error: expect.stringContaining('uninstalled') },
    ]);
    expect(result.events.map((event) => event.backendTaskId)).toEqual([
      'street/gt_review/gt_review-00000',
    ]);
  });

  it('refreshes no media for a backend without expiring links', async () => {
    const { deps } = await openRun({ autoLoad: true });
    const result = await sweepRuns(deps);
    expect(result).toMatchObject({ mediaRefreshed: 0, refreshFailed: [] });
  });
});

/**
 * A run of four one-sample tasks on the files backend, whose status calls are recorded (as
 * `annoKey/taskId`) and fail for the tasks named in `failing`: a tool that answers badly for
 * some tasks, or is down.
 */
async function probedRun(
  failing: string[],
  failure: (taskId: string) => Error = (taskId) => new Error(`no answer for ${taskId}`),
) {
  const local = await aws.newStore();
  await seedDataset(local);
  const asked: string[] = [];
  const backends = new BackendRegistry().register('probed', ({ objects }) => {
    const files = createFilesBackend({ objects });
    return {
      ...files,
      status: async (ctx, task) => {
        asked.push(`${ctx.run.annoKey}/${task.taskId}`);
        if (failing.includes(task.taskId)) throw failure(task.taskId);
        return files.status(ctx, task);
      },
    };
  });
  const deps: WorkflowDeps = {
    store: local.store,
    backends,
    config: { ...CONFIG, backends: { probed: {} } },
    clock,
    engine: workflows.engine,
  };
  await annotateRun(deps, { ...REQUEST, backend: 'probed', pageSize: 1 });
  return { local, deps, asked };
}

const taskIds = (entries: Array<{ taskId: string }>) => entries.map((entry) => entry.taskId);

describe('Sweeper: a task the tool cannot answer for', () => {
  it('asks about every task past ones the tool refuses each time, since it is up', async () => {
    const refused = (taskId: string) =>
      new BackendError('BACKEND_REQUEST_FAILED', `the tool refused ${taskId}: 404`, { taskId });
    const run = await probedRun(['gt_review-00000', 'gt_review-00001', 'gt_review-00002'], refused);
    await deliver(run.local, 'gt_review-00003');

    const result = await sweepRuns(run.deps);

    expect(run.asked).toHaveLength(4);
    expect(taskIds(result.taskFailed)).toHaveLength(3);
    expect(result.failed).toEqual([]);
    expect(result.events.map((event) => event.backendTaskId)).toEqual([
      'street/gt_review/gt_review-00003',
    ]);
  });

  it("does not keep the run's later tasks from being found finished", async () => {
    const run = await probedRun(['gt_review-00000']);
    await deliver(run.local, 'gt_review-00001');
    await deliver(run.local, 'gt_review-00003');

    const result = await sweepRuns(run.deps);

    expect(result.taskFailed).toEqual([
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId: 'gt_review-00000',
        error: 'no answer for gt_review-00000',
      },
    ]);
    expect(result.failed).toEqual([]);
    expect(result.events.map((event) => [event.backendTaskId, event.outcome])).toEqual([
      ['street/gt_review/gt_review-00001', 'recorded'],
      ['street/gt_review/gt_review-00003', 'recorded'],
    ]);
    expect(await statuses(run.deps)).toEqual(['open', 'completed', 'open', 'completed']);
  });

  it('passes over failures an answer breaks up, however many', async () => {
    const run = await probedRun(['gt_review-00000', 'gt_review-00001', 'gt_review-00003']);

    const result = await sweepRuns(run.deps);

    expect(run.asked).toHaveLength(4);
    expect(taskIds(result.taskFailed)).toEqual([
      'gt_review-00000',
      'gt_review-00001',
      'gt_review-00003',
    ]);
    expect(result.failed).toEqual([]);
  });

  it('leaves the rest of the run to the next sweep after 3 failures in a row, reported once', async () => {
    const run = await probedRun(['gt_review-00000', 'gt_review-00001', 'gt_review-00002']);
    await deliver(run.local, 'gt_review-00003');

    const result = await sweepRuns(run.deps);

    expect(run.asked).toEqual([
      'gt_review/gt_review-00000',
      'gt_review/gt_review-00001',
      'gt_review/gt_review-00002',
    ]);
    expect(taskIds(result.taskFailed)).toHaveLength(3);
    expect(result.failed).toEqual([
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        error:
          '3 tasks in a row could not be checked (last: no answer for gt_review-00002); ' +
          'the rest of the run waits for the next sweep',
      },
    ]);
    expect(result.events).toEqual([]);
    expect(await statuses(run.deps)).toEqual(['open', 'open', 'open', 'open']);
  });
});

/** A dataset of four unlabelled images, s1-s4. */
async function seedImages(local: LocalStore, dataset: string): Promise<void> {
  await local.store.datasets.create(dataset, {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections' },
  });
  const samples: Sample[] = [];
  for (const id of ['s1', 's2', 's3', 's4']) {
    await local.store.media.put(`datasets/${dataset}/${id}.jpg`, jpeg(64, 48), 'image/jpeg');
    samples.push({
      id,
      filepath: `s3://${local.bucket}/datasets/${dataset}/${id}.jpg`,
      media_type: 'image',
      metadata: { width: 64, height: 48 },
      tags: [],
      ground_truth: detections(),
    });
  }
  await local.store.samples.batchPut(dataset, samples);
}

/**
 * Four runs of two tasks each, in the sweep's order alley/first, alley/second, street/first,
 * street/second, on a files backend that records each status call as `dataset/taskId` (task
 * ids start with their run's key).
 */
async function fourRuns() {
  const local = await aws.newStore();
  const asked: string[] = [];
  const backends = new BackendRegistry().register('probed', ({ objects }) => {
    const files = createFilesBackend({ objects });
    return {
      ...files,
      status: async (ctx, task) => {
        asked.push(`${ctx.run.dataset}/${task.taskId}`);
        return files.status(ctx, task);
      },
    };
  });
  const deps: WorkflowDeps = {
    store: local.store,
    backends,
    config: { ...CONFIG, backends: { probed: {} } },
    clock,
    engine: workflows.engine,
  };
  for (const dataset of ['street', 'alley']) {
    await seedImages(local, dataset);
    for (const annoKey of ['second', 'first']) {
      await annotateRun(deps, { ...REQUEST, dataset, annoKey, backend: 'probed' });
    }
  }
  /** Status calls since the last `take`. */
  const take = () => asked.splice(0);
  /** Time that runs out once `calls` status calls have been made since the last `take`. */
  const budget = (calls: number) => () => (asked.length < calls ? 60_000 : 0);
  return { local, deps, take, budget };
}

const tasksOf = (dataset: string, annoKey: string) => [
  `${dataset}/${annoKey}-00000`,
  `${dataset}/${annoKey}-00001`,
];

describe('Sweeper: a sweep that runs out of time', () => {
  it('stops between runs, and the next sweep begins there and wraps round to the rest', async () => {
    const world = await fourRuns();

    const first = await sweepRuns(world.deps, { remainingMs: world.budget(4) });
    const firstAsked = world.take();
    const saved = await world.deps.store.sweeps.getResumePoint();
    const second = await sweepRuns(world.deps);
    const secondAsked = world.take();

    expect(firstAsked).toEqual([...tasksOf('alley', 'first'), ...tasksOf('alley', 'second')]);
    expect(first).toMatchObject({
      runs: 2,
      complete: false,
      stoppedAt: { dataset: 'street', annoKey: 'first' },
    });
    expect(first.startedAt).toBeUndefined();
    expect(saved).toMatchObject({ dataset: 'street', annoKey: 'first' });
    expect(secondAsked).toEqual([
      ...tasksOf('street', 'first'),
      ...tasksOf('street', 'second'),
      ...tasksOf('alley', 'first'),
      ...tasksOf('alley', 'second'),
    ]);
    expect(second).toMatchObject({
      runs: 4,
      tasksChecked: 8,
      complete: true,
      startedAt: { dataset: 'street', annoKey: 'first' },
    });
    expect(second.stoppedAt).toBeUndefined();
  });

  it('stops part-way through a run, and the next sweep begins at the task it stopped before', async () => {
    const world = await fourRuns();

    const first = await sweepRuns(world.deps, { remainingMs: world.budget(3) });
    world.take();
    const second = await sweepRuns(world.deps, { remainingMs: world.budget(100) });

    expect(first).toMatchObject({
      complete: false,
      stoppedAt: { dataset: 'alley', annoKey: 'second', taskId: 'second-00001' },
    });
    expect(world.take()).toEqual([
      'alley/second-00001',
      ...tasksOf('street', 'first'),
      ...tasksOf('street', 'second'),
      ...tasksOf('alley', 'first'),
      'alley/second-00000',
    ]);
    expect(second).toMatchObject({ runs: 4, tasksChecked: 8, complete: true });
  });

  it('keeps moving when every sweep runs out of time, reaching every task', async () => {
    const world = await fourRuns();
    const asked = new Set<string>();

    for (let sweep = 0; sweep < 3; sweep += 1) {
      const result = await sweepRuns(world.deps, { remainingMs: world.budget(3) });
      expect(result.complete).toBe(false);
      for (const call of world.take()) asked.add(call);
    }

    expect(asked.size).toBe(8);
  });

  it('clears the resume point once a sweep gets all the way round, so the next begins at the beginning', async () => {
    const world = await fourRuns();
    await sweepRuns(world.deps, { remainingMs: world.budget(4) });
    await sweepRuns(world.deps);
    world.take();

    const third = await sweepRuns(world.deps);

    expect(await world.deps.store.sweeps.getResumePoint()).toBeUndefined();
    expect(third.startedAt).toBeUndefined();
    expect(world.take().slice(0, 2)).toEqual(tasksOf('alley', 'first'));
  });

  it('begins at the beginning when its resume point cannot be read, and replaces it', async () => {
    const world = await fourRuns();
    await world.local.clients.doc.send(
      new PutCommand({
        TableName: world.local.tableName,
        Item: { ...sweepResumeKey(), dataset: 'street' },
      }),
    );

    const result = await sweepRuns(world.deps, { remainingMs: world.budget(2) });

    expect(result.startedAt).toBeUndefined();
    expect(world.take()).toEqual(tasksOf('alley', 'first'));
    expect(await world.deps.store.sweeps.getResumePoint()).toMatchObject({
      dataset: 'alley',
      annoKey: 'second',
    });
  });

  it('saves no resume point when the time lasts', async () => {
    const world = await fourRuns();

    const result = await sweepRuns(world.deps, { remainingMs: world.budget(100) });

    expect(result).toMatchObject({ runs: 4, complete: true });
    expect(await world.deps.store.sweeps.getResumePoint()).toBeUndefined();
  });
});

const DAY = 24 * 3600 * 1000;
const START = clock().getTime();

/**
 * The files backend with expiring links, as Label Studio's and Labelbox's are: each refresh
 * is recorded, a task named in `failing` cannot be refreshed, and links last 7 days from the
 * (movable) clock. Guarded as a user's module is, so its results are checked.
 */
async function expiringRun(options: { failing?: string[]; badResult?: boolean } = {}) {
  const local = await aws.newStore();
  await seedDataset(local);
  let time = START;
  const refreshed: Array<{ taskId: string; media: RefreshMediaContext['media'] }> = [];
  const backends = new BackendRegistry().register('expiring', ({ objects }) =>
    guardBackend(
      {
        ...createFilesBackend({ objects }),
        refreshMedia: async (ctx: RefreshMediaContext, task) => {
          if (options.failing?.includes(task.taskId)) throw new Error('tool refused the update');
          refreshed.push({ taskId: task.taskId, media: ctx.media });
          if (options.badResult) return { expiresAt: 'next week' };
          return { expiresAt: new Date(time + 7 * DAY).toISOString() };
        },
      },
      'expiring',
    ),
  );
  const deps: WorkflowDeps = {
    store: local.store,
    backends,
    config: { ...CONFIG, backends: { expiring: {} } },
    clock: () => new Date(time),
    engine: workflows.engine,
  };
  await annotateRun(deps, { ...REQUEST, backend: 'expiring' });
  const setExpiry = async (taskId: string, value: string | undefined) => {
    const task = await local.store.tasks.get(DATASET, 'gt_review', taskId);
    const { mediaExpiresAt: _old, ...rest } = task.backendData ?? {};
    await local.store.tasks.put({
      ...task,
      backendData: value === undefined ? rest : { ...rest, mediaExpiresAt: value },
    });
  };
  // As recorded before expiries were: the files backend now records one at upload.
  await setExpiry('gt_review-00000', undefined);
  await setExpiry('gt_review-00001', undefined);
  const expiries = async () =>
    (await local.store.tasks.listByRun(DATASET, 'gt_review')).items.map(
      (task) => task.backendData?.mediaExpiresAt,
    );
  return {
    local,
    deps,
    refreshed,
    setExpiry,
    expiries,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

const at = (ms: number) => new Date(START + ms).toISOString();

describe('Sweeper: media links that outlive a 7-day run', () => {
  it.each([
    ['none on record (a task recorded before expiries were)', true, undefined],
    ['already expired', true, at(-DAY)],
    ['expiring within the day', true, at(DAY - 60_000)],
    ['expiring in a little over a day', false, at(DAY + 60_000)],
    ['never expiring', false, 'never'],
  ])('with links %s, refreshes them: %s', async (_what, refreshes, expiry) => {
    const run = await expiringRun();
    await run.setExpiry('gt_review-00000', expiry);
    await run.setExpiry('gt_review-00001', 'never');

    const result = await sweepRuns(run.deps);

    expect(result.mediaRefreshed).toBe(refreshes ? 1 : 0);
    expect(run.refreshed.map((each) => each.taskId)).toEqual(refreshes ? ['gt_review-00000'] : []);
    expect((await run.expiries())[0]).toBe(refreshes ? at(7 * DAY) : expiry);
  });

  it("hands the backend the paths of the task's samples", async () => {
    const run = await expiringRun();
    await sweepRuns(run.deps);
    const bucket = run.local.store.media.bucket;
    expect(run.refreshed[0]?.media).toEqual([
      { sampleId: 's1', filepath: `s3://${bucket}/datasets/street/s1.jpg` },
      { sampleId: 's2', filepath: `s3://${bucket}/datasets/street/s2.jpg` },
    ]);
  });

  it('refreshes a task once, then again only when its new links near expiry', async () => {
    const run = await expiringRun();
    await sweepRuns(run.deps);
    expect(await run.expiries()).toEqual([at(7 * DAY), at(7 * DAY)]);

    run.advance(15 * 60_000);
    const second = await sweepRuns(run.deps);
    run.advance(6 * DAY);
    const later = await sweepRuns(run.deps);

    expect(second.mediaRefreshed).toBe(0);
    expect(later.mediaRefreshed).toBe(2);
    expect(run.refreshed).toHaveLength(4);
  });

  it('reports a task whose refresh failed and still refreshes the others', async () => {
    const run = await expiringRun({ failing: ['gt_review-00000'] });

    const result = await sweepRuns(run.deps);

    expect(result.refreshFailed).toEqual([
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId: 'gt_review-00000',
        error: 'tool refused the update',
      },
    ]);
    expect(result.mediaRefreshed).toBe(1);
    expect(await run.expiries()).toEqual([undefined, at(7 * DAY)]);
  });

  it('refuses a refresh result that is not an expiry time, recording nothing', async () => {
    const run = await expiringRun({ badResult: true });

    const result = await sweepRuns(run.deps);

    expect(result.refreshFailed.map((each) => each.error)).toEqual([
      expect.stringContaining("backend 'expiring'.refreshMedia()"),
      expect.stringContaining("backend 'expiring'.refreshMedia()"),
    ]);
    expect(await run.expiries()).toEqual([undefined, undefined]);
  });

  it('refreshes at most the given number of tasks a sweep, leaving the rest to the next', async () => {
    const run = await expiringRun();

    const first = await sweepRuns(run.deps, { maxMediaRefreshes: 1 });
    const second = await sweepRuns(run.deps, { maxMediaRefreshes: 1 });

    expect([first.mediaRefreshed, second.mediaRefreshed]).toEqual([1, 1]);
    expect(run.refreshed.map((each) => each.taskId)).toEqual([
      'gt_review-00000',
      'gt_review-00001',
    ]);
  });

  it('does not refresh a task the tool reports finished', async () => {
    const run = await expiringRun();
    await deliver(run.local, 'gt_review-00000', annotateFirstTask);

    await sweepRuns(run.deps);

    expect(run.refreshed.map((each) => each.taskId)).toEqual(['gt_review-00001']);
  });

  it('hands the backend only the samples still in the dataset', async () => {
    const run = await expiringRun();
    await deleteSample(run.local, 's1');

    await sweepRuns(run.deps);

    expect(run.refreshed[0]).toEqual({
      taskId: 'gt_review-00000',
      media: [{ sampleId: 's2', filepath: `s3://${run.local.bucket}/datasets/street/s2.jpg` }],
    });
  });

  it('stops a task whose samples were all deleted without asking the backend, and skips it after', async () => {
    const run = await expiringRun();
    await deleteSample(run.local, 's1');
    await deleteSample(run.local, 's2');

    const first = await sweepRuns(run.deps);
    run.advance(7 * DAY);
    const later = await sweepRuns(run.deps);

    expect(first.refreshStopped).toEqual([
      {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId: 'gt_review-00000',
        reason: 'SAMPLES_DELETED',
      },
    ]);
    expect(later.refreshStopped).toEqual([]);
    expect(run.refreshed.map((each) => each.taskId)).toEqual([
      'gt_review-00001',
      'gt_review-00001',
    ]);
  });
});

describe('Sweeper: a run deleted mid-sweep', () => {
  it('leaves no task record of the run when it is deleted while a task of it is refreshed', async () => {
    const run = await expiringRun();
    // The sweep's own connection: DELETE …/runs/gt_review lands after the refresh re-read
    // task 0, before it writes the new expiry (a put or an update of the task).
    const clients = aws.newClients();
    const store = createStore(clients, {
      tableName: run.local.tableName,
      bucket: run.local.bucket,
    });
    const task0 = taskKey(DATASET, 'gt_review', 'gt_review-00000').sk;
    let deleted = false;
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Item?: { sk?: unknown }; Key?: { sk?: unknown } };
        const sk = (input.Item ?? input.Key)?.sk;
        const write = ['PutItemCommand', 'UpdateItemCommand'].includes(context.commandName ?? '');
        if (!deleted && write && (sk === task0 || (sk as { S?: unknown })?.S === task0)) {
          deleted = true;
          await run.local.store.runs.delete(DATASET, 'gt_review');
        }
        return next(args);
      },
      { step: 'initialize' },
    );

    const result = await sweepRuns({ ...run.deps, store });

    // A record left here would be taken for a task of the next run under this key.
    expect((await run.local.store.tasks.listByRun(DATASET, 'gt_review')).items).toEqual([]);
    expect(result.refreshFailed.map((each) => [each.taskId, each.error])).toEqual([
      ['gt_review-00000', expect.stringContaining('has no task')],
      ['gt_review-00001', expect.stringContaining('has no task')],
    ]);
  });
});

/** Deletes a sample from the dataset (its item), as the task's sweep will then find it. */
async function deleteSample(local: LocalStore, sampleId: string): Promise<void> {
  await local.clients.doc.send(
    new DeleteCommand({ TableName: local.tableName, Key: sampleKey(DATASET, sampleId) }),
  );
}
