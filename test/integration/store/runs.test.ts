import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { REDACTED } from '../../../lib/config/index.js';
import { createRunRecord, type RunRecord } from '../../../lib/runs/index.js';
import { runKey, type TaskRecord } from '../../../lib/store/index.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

const T0 = new Date('2026-01-01T00:00:00.000Z');
const T1 = new Date('2026-01-01T01:00:00.000Z');

function run(annoKey: string, dataset = 'd'): RunRecord {
  return createRunRecord({
    annoKey,
    dataset,
    backend: 'cvat',
    config: { labelSchema: {}, params: { url: 'https://cvat.example', password: 'hunter2' } },
    now: T0,
  });
}

function task(annoKey: string, taskId: string): TaskRecord {
  return {
    dataset: 'd',
    annoKey,
    taskId,
    backend: 'cvat',
    backendTaskId: `cvat-${taskId}`,
    status: 'open',
    sampleIds: ['s1'],
    idMap: {},
    createdAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
  };
}

async function rawRun(local: LocalStore, annoKey: string) {
  const output = await local.clients.doc.send(
    new GetCommand({ TableName: local.tableName, Key: runKey('d', annoKey) }),
  );
  return output.Item;
}

describe('RunRepository', () => {
  it('creates a run record and reads it back, credentials redacted', async () => {
    const { store } = await aws.newStore();

    await store.runs.create(run('review'));

    const stored = await store.runs.get('d', 'review');
    expect(stored).toEqual(run('review'));
    expect(stored.config.params.password).toBe(REDACTED);
  });

  it('refuses a second run with the same key as RUN_KEY_EXISTS, keeping the first', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('review'));
    const other = { ...run('review'), backend: 'labelstudio' };

    await expect(store.runs.create(other)).rejects.toMatchObject({
      name: 'AnnotationRunError',
      code: 'RUN_KEY_EXISTS',
      message: "Annotation run with key 'review' already exists",
    });
    expect((await store.runs.get('d', 'review')).backend).toBe('cvat');
  });

  it('lets exactly one of two concurrent creates with one key win', async () => {
    const { store } = await aws.newStore();

    const results = await Promise.allSettled([
      store.runs.create(run('review')),
      store.runs.create(run('review')),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses an invalid run key as INVALID_ANNO_KEY', async () => {
    const { store } = await aws.newStore();

    await expect(store.runs.create({ ...run('ok'), annoKey: 'not-valid' })).rejects.toMatchObject({
      code: 'INVALID_ANNO_KEY',
    });
  });

  it('reports an unknown run as RUN_NOT_FOUND with FiftyOne’s text', async () => {
    const { store } = await aws.newStore();

    await expect(store.runs.get('d', 'nope')).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: "Dataset has no annotation run key 'nope'",
    });
  });

  it('lists a dataset’s runs sorted by key, and only that dataset’s', async () => {
    const { store } = await aws.newStore();
    for (const key of ['b', 'a', 'c']) await store.runs.create(run(key));
    await store.runs.create(run('x', 'other'));

    const runs = await store.runs.list('d');

    expect(runs.map((r) => r.annoKey)).toEqual(['a', 'b', 'c']);
  });

  it('moves a run to its next status conditionally, bumping the version', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));

    const uploading = await store.runs.transition(created, 'uploading', undefined, T1);

    expect(uploading).toMatchObject({ status: 'uploading', version: 1 });
    expect(uploading.updatedAt).toBe(T1.toISOString());
    expect(await store.runs.get('d', 'review')).toEqual(uploading);
  });

  it('treats a move to the current status as a no-op write', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));

    expect(await store.runs.transition(created, 'registered')).toBe(created);
    expect((await store.runs.get('d', 'review')).version).toBe(0);
  });

  it('refuses an illegal transition as INVALID_RUN_TRANSITION, writing nothing', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));

    await expect(store.runs.transition(created, 'loaded')).rejects.toMatchObject({
      code: 'INVALID_RUN_TRANSITION',
    });
    expect(await store.runs.get('d', 'review')).toEqual(created);
  });

  it('refuses a transition from a stale record as VERSION_CONFLICT', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));
    await store.runs.transition(created, 'uploading');

    const stale = store.runs.transition(created, 'failed', { code: 'X', message: 'boom' });

    await expect(stale).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { expectedVersion: 0, actualVersion: 1, actualStatus: 'uploading' },
    });
    expect((await store.runs.get('d', 'review')).status).toBe('uploading');
  });

  it('sets a run’s counters conditionally on its version, and writes nothing for equal ones', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));
    const counters = { ...created.counters, tasks: 3, labelsAdded: 7 };

    const updated = await store.runs.setCounters(created, counters, T1);
    const same = await store.runs.setCounters(updated, { ...counters });
    const stale = store.runs.setCounters(created, { ...counters, tasks: 4 });

    expect(updated).toMatchObject({ counters, version: 1, updatedAt: T1.toISOString() });
    expect(same).toBe(updated);
    await expect(stale).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    expect(await store.runs.get('d', 'review')).toEqual(updated);
    await expect(store.runs.setCounters(updated, { ...counters, tasks: -1 })).rejects.toMatchObject(
      { code: 'INVALID_INPUT' },
    );
  });

  it('reports a transition of a deleted run as RUN_NOT_FOUND', async () => {
    const { store } = await aws.newStore();
    const created = await store.runs.create(run('review'));
    await store.runs.delete('d', 'review');

    await expect(store.runs.transition(created, 'uploading')).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
  });

  it('renames a run, moving its tasks with it', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('old'));
    await store.tasks.put(task('old', 't1'));
    await store.tasks.put(task('old', 't2'));

    const renamed = await store.runs.rename('d', 'old', 'new');

    expect(renamed).toMatchObject({ annoKey: 'new', version: 1 });
    expect(await store.runs.get('d', 'new')).toEqual(renamed);
    await expect(store.runs.get('d', 'old')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect((await store.tasks.listByRun('d', 'new')).items.map((t) => t.taskId)).toEqual([
      't1',
      't2',
    ]);
    expect((await store.tasks.listByRun('d', 'old')).items).toEqual([]);
    expect(await store.tasks.findByBackendTaskId('cvat', 'cvat-t1')).toMatchObject([
      { annoKey: 'new', taskId: 't1' },
    ]);
  });

  it('keeps the object key through renames, the old key for a run from before object keys', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('legacy'));
    await store.runs.create(createRunRecord({ ...run('chosen'), objectKey: 'chosen__x', now: T0 }));

    const legacy = await store.runs.rename('d', 'legacy', 'legacy_2');
    const twice = await store.runs.rename('d', 'legacy_2', 'legacy_3');
    const chosen = await store.runs.rename('d', 'chosen', 'chosen_2');

    expect([legacy.objectKey, twice.objectKey, chosen.objectKey]).toEqual([
      'legacy',
      'legacy',
      'chosen__x',
    ]);
    expect((await store.runs.get('d', 'legacy_3')).objectKey).toBe('legacy');
  });

  it('finishes a rename that stopped after its first step when asked again', async () => {
    const local = await aws.newStore();
    const { store } = local;
    const old = await store.runs.create(run('old'));
    await store.tasks.put(task('old', 't1'));
    // Step 1 of an interrupted rename: the copy under the new key, marked as ours.
    await local.clients.doc.send(
      new PutCommand({
        TableName: local.tableName,
        Item: {
          ...runKey('d', 'new'),
          entity: 'run',
          ...old,
          annoKey: 'new',
          version: 1,
          renamedFrom: `old@${old.createdAt}`,
        },
      }),
    );

    const renamed = await store.runs.rename('d', 'old', 'new');

    expect(renamed.annoKey).toBe('new');
    expect(await rawRun(local, 'old')).toBeUndefined();
    expect((await store.tasks.listByRun('d', 'new')).items).toHaveLength(1);
  });

  it('returns the renamed run when a finished rename is repeated', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('old'));
    const first = await store.runs.rename('d', 'old', 'new');

    expect(await store.runs.rename('d', 'old', 'new')).toEqual(first);
  });

  it('refuses to rename onto a key another run holds, changing neither', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('a'));
    await store.runs.create({ ...run('b'), backend: 'labelbox' });

    await expect(store.runs.rename('d', 'a', 'b')).rejects.toMatchObject({
      code: 'RUN_KEY_EXISTS',
      message: "A annotation run with key 'b' already exists",
    });
    expect((await store.runs.get('d', 'a')).backend).toBe('cvat');
    expect((await store.runs.get('d', 'b')).backend).toBe('labelbox');
  });

  it('refuses to rename a run to its own key, as FiftyOne does', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('a'));

    await expect(store.runs.rename('d', 'a', 'a')).rejects.toMatchObject({
      code: 'RUN_KEY_EXISTS',
    });
  });

  it('refuses to rename an unknown run as RUN_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.runs.rename('d', 'nope', 'new')).rejects.toMatchObject({
      code: 'RUN_NOT_FOUND',
    });
  });

  it('refuses an invalid new key, keeping the run', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('a'));

    await expect(store.runs.rename('d', 'a', 'bad key')).rejects.toMatchObject({
      code: 'INVALID_ANNO_KEY',
    });
    expect((await store.runs.get('d', 'a')).annoKey).toBe('a');
  });

  it('deletes a run with its tasks', async () => {
    const { store } = await aws.newStore();
    await store.runs.create(run('review'));
    await store.tasks.put(task('review', 't1'));

    await store.runs.delete('d', 'review');

    await expect(store.runs.get('d', 'review')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    expect((await store.tasks.listByRun('d', 'review')).items).toEqual([]);
    expect(await store.tasks.findByBackendTaskId('cvat', 'cvat-t1')).toEqual([]);
  });

  it('reports deleting an unknown run as RUN_NOT_FOUND', async () => {
    const { store } = await aws.newStore();

    await expect(store.runs.delete('d', 'nope')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});
