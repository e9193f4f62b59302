import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../../lib/store/index.js';
import { oid } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const AT = '2026-01-01T00:00:00.000Z';

function task(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    dataset: 'd',
    annoKey: 'review',
    taskId: 't1',
    backend: 'cvat',
    backendTaskId: '42',
    status: 'open',
    sampleIds: ['s1', 's2'],
    idMap: { ground_truth: { s1: [oid(1), oid(2)], s2: [] } },
    backendData: { jobIds: [7, 8] },
    createdAt: AT,
    updatedAt: AT,
    ...overrides,
  };
}

describe('TaskRepository', () => {
  it('puts a task and gets it back with its id map', async () => {
    const { store } = await aws.newStore();

    await store.tasks.put(task());

    expect(await store.tasks.get('d', 'review', 't1')).toEqual(task());
  });

  it('replaces a task on a repeated put (uploads retry)', async () => {
    const { store } = await aws.newStore();
    await store.tasks.put(task());

    await store.tasks.put(task({ status: 'completed', mergedRevision: 'r3' }));

    expect(await store.tasks.get('d', 'review', 't1')).toMatchObject({
      status: 'completed',
      mergedRevision: 'r3',
    });
  });

  it('marks an open task completed, touching nothing else of it', async () => {
    const { store } = await aws.newStore();
    await store.tasks.put(task());

    expect(await store.tasks.markCompleted(task(), '2026-02-02T00:00:00.000Z')).toBe(true);

    expect(await store.tasks.get('d', 'review', 't1')).toEqual(
      task({ status: 'completed', updatedAt: '2026-02-02T00:00:00.000Z' }),
    );
  });

  it('leaves a task a load merged since the caller read it open', async () => {
    const { store } = await aws.newStore();
    const merged = task({ status: 'merged', mergedRevision: 'r1' });
    await store.tasks.put(merged);

    expect(await store.tasks.markCompleted(task(), AT)).toBe(false);

    expect(await store.tasks.get('d', 'review', 't1')).toEqual(merged);
  });

  it('marks a task deleted, keeping what a merge recorded on it; once only', async () => {
    const { store } = await aws.newStore();
    const merged = task({ status: 'merged', mergedRevision: 'r1' });
    await store.tasks.put(merged);

    expect(await store.tasks.markDeleted(task(), '2026-03-03T00:00:00.000Z')).toBe(true);
    expect(await store.tasks.markDeleted(task(), '2026-04-04T00:00:00.000Z')).toBe(false);

    expect(await store.tasks.get('d', 'review', 't1')).toEqual({
      ...merged,
      status: 'deleted',
      updatedAt: '2026-03-03T00:00:00.000Z',
    });
  });

  it('records a merge: id map, revision and status merged, keeping the rest as stored', async () => {
    const { store } = await aws.newStore();
    await store.tasks.put(task({ status: 'completed' }));
    // Refreshed media since the caller read the task: not undone.
    await store.tasks.setBackendData(task(), { jobIds: [9] }, '2026-02-02T00:00:00.000Z');
    const idMap = { ground_truth: { s1: [oid(1)], s2: [oid(3)] } };

    await store.tasks.recordMerge(task(), {
      idMap,
      mergedRevision: 'r1',
      mergedReportKey: 'runs/d/review/report-r1.json',
      updatedAt: '2026-03-03T00:00:00.000Z',
    });

    expect(await store.tasks.get('d', 'review', 't1')).toEqual(
      task({
        status: 'merged',
        idMap,
        mergedRevision: 'r1',
        mergedReportKey: 'runs/d/review/report-r1.json',
        backendData: { jobIds: [9] },
        updatedAt: '2026-03-03T00:00:00.000Z',
      }),
    );
  });

  it('records a merge on a task deleted meanwhile, which stays deleted', async () => {
    const { store } = await aws.newStore();
    await store.tasks.put(task({ status: 'completed' }));
    await store.tasks.markDeleted(task(), '2026-02-02T00:00:00.000Z');

    await store.tasks.recordMerge(task(), {
      idMap: task().idMap,
      mergedRevision: 'r1',
      mergedReportKey: 'runs/d/review/report-r1.json',
      updatedAt: '2026-03-03T00:00:00.000Z',
    });

    expect(await store.tasks.get('d', 'review', 't1')).toMatchObject({
      status: 'deleted',
      mergedRevision: 'r1',
    });
  });

  it('refuses to record a merge or backend data on a task that does not exist', async () => {
    const { store } = await aws.newStore();
    const merge = {
      idMap: task().idMap,
      mergedRevision: 'r1',
      mergedReportKey: 'k',
      updatedAt: AT,
    };

    await expect(store.tasks.recordMerge(task(), merge)).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });
    await expect(store.tasks.setBackendData(task(), {}, AT)).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });
    await expect(store.tasks.listByRun('d', 'review')).resolves.toMatchObject({ items: [] });
  });

  it('reports a missing task as TASK_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.tasks.get('d', 'review', 'nope')).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
      message: "Annotation run 'review' of dataset 'd' has no task 'nope'",
    });
  });

  it('lists a run’s tasks page by page, and only that run’s', async () => {
    const { store } = await aws.newStore();
    for (const id of ['t1', 't2', 't3'])
      await store.tasks.put(task({ taskId: id, backendTaskId: id }));
    await store.tasks.put(task({ annoKey: 'other', taskId: 'x', backendTaskId: 'x' }));

    const first = await store.tasks.listByRun('d', 'review', { limit: 2 });
    const second = await store.tasks.listByRun('d', 'review', { limit: 2, cursor: first.cursor });

    expect(first.items.map((t) => t.taskId)).toEqual(['t1', 't2']);
    expect(second.items.map((t) => t.taskId)).toEqual(['t3']);
  });

  it('finds a task by the backend’s task id through the GSI', async () => {
    const { store } = await aws.newStore();
    await store.tasks.put(task());
    await store.tasks.put(task({ taskId: 't2', backendTaskId: '43' }));
    await store.tasks.put(task({ taskId: 't3', backend: 'labelstudio', backendTaskId: '42' }));

    const found = await store.tasks.findByBackendTaskId('cvat', '42');

    expect(found).toEqual([task()]);
  });

  it('finds nothing for an unknown backend task id', async () => {
    const { store } = await aws.newStore();

    expect(await store.tasks.findByBackendTaskId('cvat', 'nope')).toEqual([]);
  });

  it('keeps a backend name with # from forging another backend’s lookup key', async () => {
    const { store } = await aws.newStore();
    // Unescaped, both would be TASK#a#b#c.
    await store.tasks.put(task({ taskId: 't1', backend: 'a#b', backendTaskId: 'c' }));
    await store.tasks.put(task({ taskId: 't2', backend: 'a', backendTaskId: 'b#c' }));

    expect((await store.tasks.findByBackendTaskId('a', 'b#c')).map((t) => t.taskId)).toEqual([
      't2',
    ]);
  });

  it('refuses a task that fails its schema, naming the field', async () => {
    const { store } = await aws.newStore();

    await expect(
      store.tasks.put(task({ status: 'finished' as TaskRecord['status'] })),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'status'"),
    });
  });

  it('refuses a task too large for an item as ITEM_TOO_LARGE, writing nothing', async () => {
    const { store } = await aws.newStore();
    const sampleIds = Array.from({ length: 20_000 }, (_, i) => `sample-${i}-${'x'.repeat(10)}`);

    await expect(store.tasks.put(task({ sampleIds }))).rejects.toMatchObject({
      code: 'ITEM_TOO_LARGE',
      message: expect.stringMatching(
        /^Task 't1' of run 'review' is \d+ KB; a task holds at most 350 KB/,
      ),
    });
    await expect(store.tasks.get('d', 'review', 't1')).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });
  });
});
