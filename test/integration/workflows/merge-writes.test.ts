import { describe, expect, it } from 'vitest';
import { countCalls } from '../../../bench/call-counter.js';
import { sampleKey } from '../../../lib/store/index.js';
import { mergeStagedTask } from '../../../lib/workflows/index.js';
import { useLocalAws } from '../../support/local-aws.js';
import { beforeFirstUpdateOf, planKeys, stagedTask, watchSampleGets } from './merge-support.js';
import { DATASET, depsFor, snapshot } from './run-support.js';

const aws = useLocalAws();

describe('Workflows: a page merge’s sample writes', () => {
  it.each([
    { pageSize: 100, pages: 1 },
    { pageSize: 1, pages: 2 },
  ])(
    'write each changed sample with one UpdateItem and no GetItem of it (merge page of $pageSize)',
    async ({ pageSize, pages }) => {
      const { clients, store, input } = await stagedTask(aws);
      const counter = await countCalls(clients);
      const sampleGets = watchSampleGets(clients);

      const merged = await mergeStagedTask(depsFor(store, { mergePageSize: pageSize }), input);

      expect(merged).toMatchObject({ samplesChanged: 2, pages });
      expect(sampleGets).toEqual([]);
      expect(counter.counts.get('dynamodb BatchGetItem')?.calls).toBe(pages);
      // Two samples, and the task's merge record.
      expect(counter.counts.get('dynamodb UpdateItem')?.calls).toBe(3);
      expect(counter.counts.get('dynamodb PutItem')).toBeUndefined();
    },
  );

  it('fails the page with VERSION_CONFLICT when a sample changed between plan and write; the retry plans again', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      await local.store.samples.updateFields(DATASET, 's1', { weather: 'foggy' }, 0);
    });
    // One sample a page: s2's write waits for page 1, so the conflict stops it.
    const deps = depsFor(store, { mergePageSize: 1 });

    await expect(mergeStagedTask(deps, input)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { sampleId: 's1', expectedVersion: 0, actualVersion: 1 },
    });
    expect(await planKeys(local)).toEqual([]);

    await expect(mergeStagedTask(deps, input)).resolves.toMatchObject({ samplesChanged: 2 });
    const samples = await snapshot(local.store);
    expect(samples.s1).toMatchObject({ version: 2, sample: { weather: 'foggy' } });
    expect(samples.s1?.sample.ground_truth).toMatchObject({
      detections: [expect.objectContaining({ label: 'truck' }), expect.anything()],
    });
    expect(samples.s2).toMatchObject({ version: 1, sample: { ground_truth: { detections: [] } } });
  });

  it('reads a sample before writing it only when its page’s plan comes from S3 (a rerun)', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    const deps = depsFor(store, { mergePageSize: 1 });
    // The first attempt stops at s1's write: page 0 (s1) planned and saved, page 1 (s2) not.
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      throw new Error('Lambda timed out');
    });
    await expect(mergeStagedTask(deps, input)).rejects.toThrow('Lambda timed out');
    expect(await planKeys(local)).toHaveLength(1);
    const sampleGets = watchSampleGets(clients);

    await expect(mergeStagedTask(deps, input)).resolves.toMatchObject({ samplesChanged: 2 });

    expect(sampleGets).toEqual([sampleKey(DATASET, 's1').sk]);
  });
});

describe('Workflows: a task the tool deleted while its merge ran', () => {
  it('stays deleted, with the merge recorded on it, so a rerun writes nothing', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    const deps = depsFor(store);
    // A verified task.deleted delivery lands while the merge writes its samples.
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      const task = await local.store.tasks.get(DATASET, input.annoKey, input.taskId);
      await local.store.tasks.markDeleted(task, '2026-05-05T00:00:00.000Z');
    });

    const merged = await mergeStagedTask(deps, input);

    const task = await local.store.tasks.get(DATASET, input.annoKey, input.taskId);
    expect(task).toMatchObject({ status: 'deleted', mergedRevision: merged.revision });
    const before = await snapshot(local.store);
    await expect(mergeStagedTask(deps, input)).resolves.toMatchObject({ samplesChanged: 2 });
    expect(await snapshot(local.store)).toEqual(before);
  });
});

describe('Workflows: a VERSION_CONFLICT after part of a page was written', () => {
  it('ends, after the retry, as one clean merge that saw the concurrent edit', async () => {
    // Clean: the concurrent edit of s2 lands before the merge plans.
    const clean = await stagedTask(aws);
    await clean.local.store.samples.updateFields(DATASET, 's2', { weather: 'foggy' }, 0);
    const once = await mergeStagedTask(depsFor(clean.store), clean.input);

    // Conflicted: one page (s1, s2); s2 is edited between plan and write, s1 is written.
    const { local, clients, store, input } = await stagedTask(aws);
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's2').sk, async () => {
      await local.store.samples.updateFields(DATASET, 's2', { weather: 'foggy' }, 0);
    });
    const deps = depsFor(store);
    await expect(mergeStagedTask(deps, input)).rejects.toMatchObject({ code: 'VERSION_CONFLICT' });
    const retried = await mergeStagedTask(deps, input);

    const samples = await snapshot(local.store);
    const clean1 = (await snapshot(clean.local.store)).s1;
    expect(samples.s1?.sample.ground_truth).toEqual(clean1?.sample.ground_truth);
    // The task's report and id map are those of one merge: s1's changes are not lost, and
    // the id map names the bicycle that is on s1.
    expect(retried).toEqual(once);
    const task = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000');
    const s1 = samples.s1?.sample.ground_truth as { detections: Array<{ id: string }> } | undefined;
    const onS1 = (s1?.detections ?? []).map((label) => label.id);
    expect(onS1).not.toEqual([]);
    for (const id of onS1) expect(task.idMap.ground_truth?.s1).toContain(id);
  });
});

describe('Workflows: a run deleted while one of its tasks merges', () => {
  it('fails the merge with TASK_NOT_FOUND and leaves no task record of the deleted run', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    // DELETE …/runs/gt_review lands after the merge read the run, before it records the task.
    beforeFirstUpdateOf(clients, sampleKey(DATASET, 's1').sk, async () => {
      await local.store.runs.delete(DATASET, 'gt_review');
    });

    await expect(mergeStagedTask(depsFor(store), input)).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });

    // A record left here would be taken for a task of the next run under this key.
    expect((await local.store.tasks.listByRun(DATASET, 'gt_review')).items).toEqual([]);
  });
});
