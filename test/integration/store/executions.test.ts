import { describe, expect, it } from 'vitest';
import { createRunRecord } from '../../../lib/runs/index.js';
import type { ExecutionIntent, ExecutionRecord } from '../../../lib/store/index.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const T0 = new Date('2026-01-01T00:00:00.000Z');

function execution(annoKey: string, name: string, startDate: string): ExecutionRecord {
  return {
    dataset: 'd',
    annoKey,
    workflow: 'load',
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:LoadWorkflow:${name}`,
    executionName: name,
    startDate,
    startedBy: 'task',
    backendTaskId: 'cvat-7',
    revision: 'job-3@2026-01-01T00:00:00Z',
  };
}

async function storeWithRun(annoKey = 'review') {
  const { store } = await aws.newStore();
  await store.runs.create(
    createRunRecord({
      annoKey,
      dataset: 'd',
      backend: 'cvat',
      config: { labelSchema: {}, params: {} },
      now: T0,
    }),
  );
  return store;
}

describe('Store: the executions of a run', () => {
  it('lists a run’s executions newest first', async () => {
    const store = await storeWithRun();
    await store.executions.record(execution('review', 'load-a', '2026-01-01T00:00:02.000Z'));
    await store.executions.record(execution('review', 'load-b', '2026-01-01T00:00:03.000Z'));
    await store.executions.record(execution('review', 'load-c', '2026-01-01T00:00:01.000Z'));

    const { items } = await store.executions.listByRun('d', 'review');
    expect(items.map((item) => item.executionName)).toEqual(['load-b', 'load-a', 'load-c']);
  });

  it('records the same execution once however often it is recorded', async () => {
    const store = await storeWithRun();
    const once = execution('review', 'load-a', '2026-01-01T00:00:02.000Z');
    await store.executions.record(once);
    await store.executions.record(once);

    expect((await store.executions.listByRun('d', 'review')).items).toEqual([once]);
  });

  it('pages through a run’s executions with a cursor', async () => {
    const store = await storeWithRun();
    for (let i = 0; i < 3; i += 1) {
      await store.executions.record(
        execution('review', `load-${i}`, `2026-01-01T00:00:0${i}.000Z`),
      );
    }
    const first = await store.executions.listByRun('d', 'review', { limit: 2 });
    const rest = await store.executions.listByRun('d', 'review', {
      limit: 2,
      ...(first.cursor ? { cursor: first.cursor } : {}),
    });
    expect([...first.items, ...rest.items].map((item) => item.executionName)).toEqual([
      'load-2',
      'load-1',
      'load-0',
    ]);
    expect(rest.cursor).toBeUndefined();
  });

  it('does not list executions as tasks, nor tasks as executions', async () => {
    const store = await storeWithRun();
    await store.executions.record(execution('review', 'load-a', '2026-01-01T00:00:02.000Z'));
    expect((await store.tasks.listByRun('d', 'review')).items).toEqual([]);
  });

  it('refuses a record with a name Step Functions would not accept, naming the field', async () => {
    const store = await storeWithRun();
    await expect(
      store.executions.record(execution('review', 'load#forged', '2026-01-01T00:00:02.000Z')),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('executionName'),
    });
  });

  it('moves a run’s executions with it when the run is renamed', async () => {
    const store = await storeWithRun('old');
    await store.executions.record(execution('old', 'load-a', '2026-01-01T00:00:02.000Z'));
    await store.runs.rename('d', 'old', 'new');

    expect((await store.executions.listByRun('d', 'old')).items).toEqual([]);
    expect((await store.executions.listByRun('d', 'new')).items).toMatchObject([
      { annoKey: 'new', executionName: 'load-a' },
    ]);
  });

  it('deletes a run’s executions with the run', async () => {
    const store = await storeWithRun();
    await store.executions.record(execution('review', 'load-a', '2026-01-01T00:00:02.000Z'));
    await store.runs.delete('d', 'review');
    expect((await store.executions.listByRun('d', 'review')).items).toEqual([]);
  });

  it('does not list a start not yet recorded (an intent) as an execution', async () => {
    const store = await storeWithRun();
    await store.executions.intend(intent('review', 'load-a'));

    expect((await store.executions.listByRun('d', 'review')).items).toEqual([]);
    expect(await store.executions.listIntents('d', 'review')).toEqual([intent('review', 'load-a')]);
  });

  it('turns an intent into its execution record when completed', async () => {
    const store = await storeWithRun();
    await store.executions.intend(intent('review', 'load-a'));

    await store.executions.complete(execution('review', 'load-a', '2026-01-01T00:00:02.000Z'));

    expect(await store.executions.listIntents('d', 'review')).toEqual([]);
    expect((await store.executions.listByRun('d', 'review')).items).toHaveLength(1);
  });

  it('moves a run’s intents with it when the run is renamed', async () => {
    const store = await storeWithRun('old');
    await store.executions.intend(intent('old', 'load-a'));
    await store.runs.rename('d', 'old', 'new');

    expect(await store.executions.listIntents('d', 'old')).toEqual([]);
    expect(await store.executions.listIntents('d', 'new')).toEqual([intent('new', 'load-a')]);
  });

  it('deletes a run’s intents with the run, so none is settled into a later run of its key', async () => {
    const store = await storeWithRun();
    await store.executions.intend(intent('review', 'load-a'));
    await store.runs.delete('d', 'review');
    expect(await store.executions.listIntents('d', 'review')).toEqual([]);
  });
});

function intent(annoKey: string, name: string): ExecutionIntent {
  const { startDate: _startDate, ...rest } = execution(annoKey, name, T0.toISOString());
  return { ...rest, requestedAt: T0.toISOString() };
}
