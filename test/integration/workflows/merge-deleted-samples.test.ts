import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { countCalls } from '../../../bench/call-counter.js';
import type { Sample } from '../../../lib/labels/index.js';
import type { MergeReport } from '../../../lib/merge/index.js';
import { sampleKey } from '../../../lib/store/index.js';
import {
  type MergedTask,
  mergeStagedTask,
  type TaskReport,
  taskReportSchema,
} from '../../../lib/workflows/index.js';
import { readJson } from '../../support/bucket.js';
import { detection, detections, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { ANNO_KEY, aroundFirstUpdateOf, planKeys, stagedTask, TASK } from './merge-support.js';
import { A, B, C, DATASET, depsFor, snapshot } from './run-support.js';

const aws = useLocalAws();
const S1 = sampleKey(DATASET, 's1').sk;
const S2 = sampleKey(DATASET, 's2').sk;

async function deleteSample(local: LocalStore, sampleId: string): Promise<void> {
  await local.clients.doc.send(
    new DeleteCommand({ TableName: local.tableName, Key: sampleKey(DATASET, sampleId) }),
  );
}

async function taskReport(local: LocalStore, merged: MergedTask): Promise<TaskReport> {
  return taskReportSchema.parse(await readJson(local, merged.reportKey));
}

/** Each field's counts are what the report's lists hold for it (`kept` has no list). */
function expectCountsMatchLists(report: MergeReport): void {
  for (const [field, entry] of Object.entries(report.fields)) {
    const changes = report.changes.filter((change) => change.field === field);
    const refused: Record<string, number> = {};
    for (const refusal of report.refused.filter((each) => each.field === field)) {
      refused[refusal.reason] = (refused[refusal.reason] ?? 0) + 1;
    }
    expect(entry, field).toEqual({
      added: changes.filter((change) => change.action === 'added').length,
      edited: changes.filter((change) => change.action === 'edited').length,
      deleted: changes.filter((change) => change.action === 'deleted').length,
      kept: entry.kept,
      refused,
      skipped: report.skipped.filter((each) => each.field === field).length,
      unexpected: report.unexpected.filter((each) => each.field === field).length,
    });
  }
}

/**
 * The task's merge when s1 (A relabelled with a refused box move, B deleted, a bicycle
 * added) is deleted after its page was planned: none of s1's changes landed, s2's deletion
 * of C did.
 */
function expectS1Skipped(done: TaskReport): void {
  const s1 = (labelId: string) => ({
    field: 'ground_truth',
    sampleId: 's1',
    labelId,
    reason: 'SAMPLE_NOT_FOUND',
  });
  expect(done).toMatchObject({ samplesChanged: 1, unexpected: null });
  expect(done.report.changes).toEqual([
    { field: 'ground_truth', sampleId: 's2', labelId: C, action: 'deleted' },
  ]);
  expect(done.report.skipped).toEqual([s1(A), s1(B), s1(expect.any(String))]);
  expect(done.report.refused).toEqual([
    { field: 'ground_truth', sampleId: 's1', labelId: A, reason: 'SPATIAL_EDIT_NOT_ALLOWED' },
  ]);
  expect(done.report.changedSampleIds).toEqual(['s2']);
  expectCountsMatchLists(done.report);
}

describe('Workflows: a sample deleted while its page is merged', () => {
  it.each([
    { pageSize: 100, pages: 1 },
    { pageSize: 1, pages: 2 },
  ])(
    'is skipped and reported SAMPLE_NOT_FOUND; the rest of the page is written (merge page of $pageSize)',
    async ({ pageSize, pages }) => {
      const { local, clients, store, input } = await stagedTask(aws);
      aroundFirstUpdateOf(clients, S1, { before: () => deleteSample(local, 's1') });

      const merged = await mergeStagedTask(depsFor(store, { mergePageSize: pageSize }), input);

      expect(merged).toMatchObject({
        pages,
        samplesChanged: 1,
        added: 0,
        edited: 0,
        deleted: 1,
        refused: 1,
        skipped: 3,
      });
      expectS1Skipped(await taskReport(local, merged));
      const samples = await snapshot(local.store);
      expect(samples.s1).toBeUndefined();
      expect(samples.s2).toMatchObject({
        version: 1,
        sample: { ground_truth: { detections: [] } },
      });
      const task = await local.store.tasks.get(DATASET, ANNO_KEY, TASK);
      expect(task).toMatchObject({ status: 'merged', mergedRevision: merged.revision });
      // The id map keeps what was recorded for s1: nothing was added to it.
      expect(task.idMap.ground_truth?.s1).toEqual([A, B]);
    },
  );

  it('is skipped again by a rerun after a crash mid-page, which ends in the report of one clean merge', async () => {
    const clean = await stagedTask(aws);
    aroundFirstUpdateOf(clean.clients, S1, { before: () => deleteSample(clean.local, 's1') });
    const cleanReport = await taskReport(
      clean.local,
      await mergeStagedTask(depsFor(clean.store), clean.input),
    );
    const { local, clients, store, input } = await stagedTask(aws);
    aroundFirstUpdateOf(clients, S1, { before: () => deleteSample(local, 's1') });
    aroundFirstUpdateOf(clients, S2, {
      after: async () => {
        throw new Error('Lambda timed out');
      },
    });
    await expect(mergeStagedTask(depsFor(store), input)).rejects.toThrow('Lambda timed out');
    expect(await planKeys(local)).toHaveLength(1);

    const rerun = await mergeStagedTask(depsFor(store), input);

    expect(await taskReport(local, rerun)).toEqual(cleanReport);
    expect((await snapshot(local.store)).s2?.version).toBe(1);
  });

  it('changes nothing on a retry of the finished merge, which answers the same', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    aroundFirstUpdateOf(clients, S1, { before: () => deleteSample(local, 's1') });
    const first = await mergeStagedTask(depsFor(store), input);
    const counter = await countCalls(clients);

    const again = await mergeStagedTask(depsFor(store), input);

    expect(again).toEqual(first);
    expect(counter.counts.get('dynamodb UpdateItem')).toBeUndefined();
    expect((await snapshot(local.store)).s2?.version).toBe(1);
  });

  it('loses to a version conflict in the same page: the plan is dropped and the retry plans without the sample', async () => {
    const { local, clients, store, input } = await stagedTask(aws);
    aroundFirstUpdateOf(clients, S1, { before: () => deleteSample(local, 's1') });
    aroundFirstUpdateOf(clients, S2, {
      before: async () => {
        await local.store.samples.updateFields(DATASET, 's2', { weather: 'foggy' }, 0);
      },
    });
    await expect(mergeStagedTask(depsFor(store), input)).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      details: { sampleId: 's2' },
    });
    expect(await planKeys(local)).toEqual([]);

    const retried = await mergeStagedTask(depsFor(store), input);

    // Planned with s1 already gone: the download's labels of s1 are skipped, as below.
    expect(retried).toMatchObject({ samplesChanged: 1, deleted: 1, refused: 0, skipped: 2 });
    expect((await snapshot(local.store)).s2).toMatchObject({
      version: 2,
      sample: { weather: 'foggy', ground_truth: { detections: [] } },
    });
  });
});

describe('Workflows: a sample replaced while its page is merged, back at the planned version', () => {
  // s2 was planned at version 0 (C deleted); ingest then writes it whole again, with a label
  // E the run never saw. The plan's write would put back s2's old labels minus C, losing E.
  const E = oid(0xe);

  it.each([
    { how: 're-ingested', deleteFirst: false },
    { how: 'deleted and re-created', deleteFirst: true },
  ])(
    '$how: the plan loses with VERSION_CONFLICT and the retry merges into the new sample',
    async ({ deleteFirst }) => {
      const { local, clients, store, input } = await stagedTask(aws);
      const before = (await snapshot(local.store)).s2?.sample as Sample;
      aroundFirstUpdateOf(clients, S2, {
        before: async () => {
          if (deleteFirst) await deleteSample(local, 's2');
          await local.store.samples.put(DATASET, {
            ...before,
            weather: 'foggy',
            ground_truth: detections(detection(C, 'car'), detection(E, 'truck')),
          });
        },
      });
      await expect(mergeStagedTask(depsFor(store), input)).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
        details: { sampleId: 's2', replaced: true },
      });
      expect(await planKeys(local)).toEqual([]);

      await mergeStagedTask(depsFor(store), input);

      // C was recorded and not returned: deleted. E was never uploaded: kept.
      expect((await snapshot(local.store)).s2).toMatchObject({
        version: 1,
        sample: { weather: 'foggy', ground_truth: { detections: [{ id: E, label: 'truck' }] } },
      });
    },
  );
});

describe('Workflows: a sample deleted before its page is planned', () => {
  it('has the labels downloaded for it reported skipped SAMPLE_NOT_FOUND, as before', async () => {
    const { local, store, input } = await stagedTask(aws);
    await deleteSample(local, 's1');

    const merged = await mergeStagedTask(depsFor(store), input);

    expect(merged).toMatchObject({ samplesChanged: 1, deleted: 1, refused: 0, skipped: 2 });
    const done = await taskReport(local, merged);
    // B is not among them: the annotator deleted it, so it was not downloaded.
    expect(done.report.skipped).toEqual([
      { field: 'ground_truth', sampleId: 's1', labelId: A, reason: 'SAMPLE_NOT_FOUND' },
      {
        field: 'ground_truth',
        sampleId: 's1',
        labelId: expect.any(String),
        reason: 'SAMPLE_NOT_FOUND',
      },
    ]);
    expect(done.report.changedSampleIds).toEqual(['s2']);
    expectCountsMatchLists(done.report);
  });
});
