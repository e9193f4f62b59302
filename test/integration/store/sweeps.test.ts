import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { sweepResumeKey } from '../../../lib/store/keys.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

describe('SweepRepository', () => {
  it('has no resume point until a sweep saves one', async () => {
    const { store } = await aws.newStore();

    expect(await store.sweeps.getResumePoint()).toBeUndefined();
  });

  it('keeps the position a sweep saved, the last save winning', async () => {
    const { store } = await aws.newStore();
    await store.sweeps.saveResumePoint({ dataset: 'a', annoKey: 'run1' });
    const saved = await store.sweeps.saveResumePoint({
      dataset: 'b',
      annoKey: 'run2',
      taskId: 'run2-00003',
    });

    expect(await store.sweeps.getResumePoint()).toEqual(saved);
    expect(saved).toMatchObject({ dataset: 'b', annoKey: 'run2', taskId: 'run2-00003' });
  });

  it('clears the point a sweep began at, but not one another sweep saved since', async () => {
    const { store } = await aws.newStore();
    const begun = await store.sweeps.saveResumePoint({ dataset: 'a', annoKey: 'run1' });
    const since = await store.sweeps.saveResumePoint({ dataset: 'a', annoKey: 'run1' });

    expect(await store.sweeps.clearResumePoint(begun)).toBe(false);
    expect(await store.sweeps.getResumePoint()).toEqual(since);
    expect(await store.sweeps.clearResumePoint(since)).toBe(true);
    expect(await store.sweeps.getResumePoint()).toBeUndefined();
    expect(await store.sweeps.clearResumePoint(since)).toBe(false);
  });

  it('refuses a position no sweep could reach', async () => {
    const { store } = await aws.newStore();

    await expect(
      store.sweeps.saveResumePoint({ dataset: 'a#b', annoKey: 'run1' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      store.sweeps.saveResumePoint({ dataset: 'a', annoKey: 'not a key' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('reports an item that is not a resume point as corrupt', async () => {
    const local = await aws.newStore();
    await local.clients.doc.send(
      new PutCommand({
        TableName: local.tableName,
        Item: { ...sweepResumeKey(), dataset: 'a' },
      }),
    );

    await expect(local.store.sweeps.getResumePoint()).rejects.toMatchObject({
      name: 'CorruptStoreDataError',
    });
  });
});
