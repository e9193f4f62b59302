import { describe, expect, it } from 'vitest';
import type { TaskManifest } from '../../../lib/backends/files/index.js';
import { objectKeyOf } from '../../../lib/runs/index.js';
import { pageKey } from '../../../lib/workflows/keys.js';
import { receiveFilesResults } from '../../../lib/workflows/receive-files-results.js';
import { listKeys, readJson } from '../../support/bucket.js';
import { detection, detections } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';
import { s3Record } from '../../support/s3-records.js';
import {
  A,
  annotateFirstTask,
  annotateRun,
  B,
  C,
  D,
  DATASET,
  deliver,
  depsFor,
  loadRun,
  REQUEST,
  seedDataset,
  snapshot,
} from './run-support.js';

const aws = useLocalAws();

async function annotated() {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps = depsFor(local.store);
  const annotate = await annotateRun(deps);
  return { local, deps, annotate };
}

describe('Workflows: annotate (prepare → upload pages → open)', () => {
  it('pages the selection to S3, uploads each page as a task and opens the run', async () => {
    const { local, annotate } = await annotated();

    expect(annotate.prepared.pages).toEqual([0, 1]);
    expect(await readJson(local, 'runs/street/gt_review/pages/00001.json')).toEqual({
      index: 1,
      sampleIds: ['s3', 's4'],
    });
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([
      'runs/street/gt_review/tasks/gt_review-00000.json',
      'runs/street/gt_review/tasks/gt_review-00001.json',
    ]);
    expect(annotate.uploads.map((upload) => upload.taskIds)).toEqual([
      ['gt_review-00000'],
      ['gt_review-00001'],
    ]);
    expect(annotate.opened).toEqual({ status: 'annotating', tasks: 2 });

    const run = await local.store.runs.get(DATASET, 'gt_review');
    expect(run).toMatchObject({
      status: 'annotating',
      backend: 'files',
      counters: { tasks: 2, tasksCompleted: 0 },
      config: {
        labelSchema: {
          ground_truth: {
            type: 'detections',
            classes: ['car', 'person', 'truck', 'bicycle'],
            existingField: true,
            allowSpatialEdits: false,
          },
        },
        requestFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    const task = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000');
    expect(task).toMatchObject({
      status: 'open',
      backend: 'files',
      backendTaskId: 'street/gt_review/gt_review-00000',
      sampleIds: ['s1', 's2'],
      idMap: { ground_truth: { s1: [A, expect.any(String)], s2: [C] } },
    });
  });

  it('selects samples by tag or by id', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);

    const byTag = await annotateRun(deps, { ...REQUEST, annoKey: 'tagged', tags: ['review'] });
    const byId = await annotateRun(deps, {
      ...REQUEST,
      annoKey: 'picked',
      sampleIds: ['s4', 's2'],
    });

    expect(
      await readJson(local, pageKey(DATASET, 'tagged', byTag.prepared.pages[1] ?? -1)),
    ).toEqual({
      index: 1,
      sampleIds: ['s3'],
    });
    expect(await readJson(local, pageKey(DATASET, 'picked', byId.prepared.pages[0] ?? -1))).toEqual(
      {
        index: 0,
        sampleIds: ['s4', 's2'],
      },
    );
  });

  it('continues the same run when the same request is retried', async () => {
    const { local, deps, annotate } = await annotated();
    const { prepareAnnotate } = await import('../../../lib/workflows/index.js');
    const local2 = await aws.newStore();
    await seedDataset(local2);
    const deps2 = depsFor(local2.store);

    // A retry of prepare after it registered the run (the state machine's Retry).
    const first = await prepareAnnotate(deps2, REQUEST);
    const again = await prepareAnnotate(deps2, REQUEST);

    expect(again.pages).toEqual(first.pages);
    expect((await local2.store.runs.get(DATASET, 'gt_review')).status).toBe('uploading');
    // Once the run is open, the same request is a second annotate with a taken key.
    await expect(prepareAnnotate(deps, REQUEST)).rejects.toMatchObject({ code: 'RUN_KEY_EXISTS' });
    expect(annotate.opened.status).toBe('annotating');
    expect((await local.store.runs.get(DATASET, 'gt_review')).status).toBe('annotating');
  });
});

describe('Workflows: load (plan → download → merge → finalize)', () => {
  it('merges a finished task exactly as the merge semantics say and keeps the run annotating', async () => {
    const { local, deps } = await annotated();
    await deliver(local, 'gt_review-00000', annotateFirstTask);

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(load.plan.taskIds).toEqual(['gt_review-00000']);
    const samples = await snapshot(local.store);
    const gt = samples.s1?.sample.ground_truth as { detections: Array<Record<string, unknown>> };
    // A relabelled, its box kept (spatial edits are off); B deleted; the bicycle added.
    expect(gt.detections).toEqual([
      detection(A, 'truck'),
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'bicycle',
        bounding_box: [0.3, 0.3, 0.1, 0.1],
      },
    ]);
    expect(samples.s1?.version).toBe(1);
    expect(samples.s2).toMatchObject({
      version: 0,
      sample: { ground_truth: detections(detection(C, 'car')) },
    });
    expect(samples.s3).toMatchObject({ version: 0 });

    expect(load.merged).toEqual([
      expect.objectContaining({
        taskId: 'gt_review-00000',
        added: 1,
        edited: 1,
        deleted: 1,
        refused: 1,
        samplesChanged: 1,
      }),
    ]);
    const report = (await readJson(local, load.finalized.reportKey)) as Record<string, unknown>;
    expect(load.finalized.reportKey).toBe(`runs/street/gt_review/reports/${load.plan.loadId}.json`);
    expect(report).toMatchObject({
      loadId: load.plan.loadId,
      totals: { added: 1, edited: 1, deleted: 1, refused: 1, unexpected: 0 },
      fields: {
        ground_truth: { added: 1, edited: 1, deleted: 1, refused: { SPATIAL_EDIT_NOT_ALLOWED: 1 } },
      },
      tasks: [{ taskId: 'gt_review-00000', merged: true }],
    });
    const taskReport = (await readJson(local, load.merged[0]?.reportKey ?? '')) as {
      report: { refused: unknown[] };
    };
    expect(taskReport.report.refused).toEqual([
      expect.objectContaining({ sampleId: 's1', labelId: A, reason: 'SPATIAL_EDIT_NOT_ALLOWED' }),
    ]);

    const run = await local.store.runs.get(DATASET, 'gt_review');
    expect(run.status).toBe('annotating');
    expect(run.counters).toEqual({
      tasks: 2,
      tasksCompleted: 1,
      labelsAdded: 1,
      labelsEdited: 1,
      labelsDeleted: 1,
      labelsRefused: 1,
      unexpected: 0,
    });
    const task = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000');
    expect(task.status).toBe('merged');
    // The added bicycle is recorded, so a later load edits it instead of adding it again;
    // B stays recorded as uploaded (SEMANTICS §6.3.4: added ids are appended, none removed).
    expect(task.idMap.ground_truth?.s1).toEqual([A, B, gt.detections[1]?.id]);
  });

  it('changes nothing when the same load runs again', async () => {
    const { local, deps } = await annotated();
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    const first = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    const before = await snapshot(local.store);
    const runBefore = await local.store.runs.get(DATASET, 'gt_review');

    const again = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(await snapshot(local.store)).toEqual(before);
    expect(again.plan).toEqual(first.plan);
    expect(again.merged).toEqual(first.merged);
    expect(again.finalized.counters).toEqual(first.finalized.counters);
    expect((await local.store.runs.get(DATASET, 'gt_review')).counters).toEqual(runBefore.counters);
  });

  it('gives a box pasted onto a sample of another merge page an id of its own, as one page would', async () => {
    // The annotator copies s1's box A onto s2 (it arrives there with A's id).
    const pasteA = (manifest: TaskManifest): TaskManifest => ({
      ...manifest,
      samples: manifest.samples.map((sample) =>
        sample.id === 's2'
          ? {
              ...sample,
              fields: { ground_truth: detections(detection(C, 'car'), detection(A, 'car')) },
            }
          : sample,
      ),
    });
    const loadedWith = async (mergePageSize: number) => {
      const local = await aws.newStore();
      await seedDataset(local);
      const deps = depsFor(local.store, { mergePageSize });
      await annotateRun(deps);
      await deliver(local, 'gt_review-00000', pasteA);
      await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
      const samples = await snapshot(local.store);
      return Object.fromEntries(
        Object.entries(samples).map(([id, { version, sample }]) => [
          id,
          { version, labels: sample.ground_truth },
        ]),
      );
    };

    // One sample a page: s1 and s2 merge apart.
    const paged = await loadedWith(1);

    const s2 = paged.s2?.labels as { detections: Array<{ id: string }> } | undefined;
    const ids = s2?.detections ?? [];
    expect(ids.map((label) => label.id)).toEqual([C, expect.not.stringMatching(A)]);
    expect(ids[1]?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(paged).toEqual(await loadedWith(100));
  });

  it('loads only the finished task a webhook names, and ends loaded when every task is merged', async () => {
    const { local, deps } = await annotated();
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await deliver(local, 'gt_review-00001');

    const one = await loadRun(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      backendTaskId: 'street/gt_review/gt_review-00001',
    });
    expect(one.plan.taskIds).toEqual(['gt_review-00001']);
    expect(one.finalized.status).toBe('annotating');
    // An unchanged delivery writes nothing.
    const afterOne = await snapshot(local.store);
    expect(afterOne.s3).toMatchObject({
      version: 0,
      sample: { ground_truth: detections(detection(D, 'person')) },
    });
    expect(afterOne.s1?.version).toBe(0);

    const all = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    expect(all.plan.taskIds).toEqual(['gt_review-00000', 'gt_review-00001']);
    expect(all.finalized.status).toBe('loaded');
    expect(all.finalized.counters).toMatchObject({ tasks: 2, tasksCompleted: 2, labelsAdded: 1 });
    expect((await snapshot(local.store)).s1?.version).toBe(1);
  });

  it('never reads an open task as an empty download', async () => {
    const { local, deps } = await annotated();

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    const { downloadTask } = await import('../../../lib/workflows/index.js');

    expect(load.plan.taskIds).toEqual([]);
    expect(load.finalized.status).toBe('annotating');
    await expect(
      downloadTask(deps, { dataset: DATASET, annoKey: 'gt_review', taskId: 'gt_review-00000' }),
    ).rejects.toMatchObject({ code: 'BACKEND_RESULT_MISSING' });
    const samples = await snapshot(local.store);
    expect(Object.values(samples).map((each) => each.version)).toEqual([0, 0, 0, 0]);
  });

  it('cleans up after a complete load when asked, keeping labels and the run record', async () => {
    const { local, deps } = await annotated();
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await deliver(local, 'gt_review-00001');

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review', cleanup: true });

    expect(load.finalized.status).toBe('cleaned');
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
    expect((await snapshot(local.store)).s1?.version).toBe(1);
    expect((await local.store.runs.get(DATASET, 'gt_review')).counters.labelsAdded).toBe(1);
  });
});

describe('Workflows: run options carried from annotate to load', () => {
  it('stores backend params with credentials redacted and hands the rest to every later step', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);

    await annotateRun(deps, {
      ...REQUEST,
      backendParams: { api_key: 'sk-secret', media_url_expires_in: 3600 },
    });

    const run = await local.store.runs.get(DATASET, 'gt_review');
    expect(run.config.params).toEqual({ api_key: '***', media_url_expires_in: 3600 });
    const manifest = (await readJson(
      local,
      'runs/street/gt_review/tasks/gt_review-00001.json',
    )) as { samples: Array<{ mediaUrl: string }> };
    expect(manifest.samples[0]?.mediaUrl).toContain('X-Amz-Expires=3600');
  });

  it('loads into destField: every delivered label is new there, the annotated field untouched', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps, { ...REQUEST, destField: 'gt_edited' });
    await deliver(local, 'gt_review-00000', annotateFirstTask);

    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    const samples = await snapshot(local.store);
    expect(samples.s1?.sample.ground_truth).toEqual(
      detections(detection(A, 'car'), detection(B, 'person')),
    );
    const edited = samples.s1?.sample.gt_edited as { detections: Array<Record<string, unknown>> };
    expect(edited.detections.map((label) => label.label)).toEqual(['truck', 'bicycle']);
    expect(samples.s2?.sample.gt_edited).toEqual(detections(detection(C, 'car')));
    expect((await local.store.datasets.get(DATASET)).schema.sampleFields).toMatchObject({
      gt_edited: 'Detections',
    });
  });

  it('returns labels of unexpected types in the task report and writes none of them', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    const nose = {
      _cls: 'Keypoint',
      id: '0000000000000000000000f1',
      label: 'car',
      points: [[0.5, 0.5]],
    };
    await deliver(local, 'gt_review-00000', (manifest) => ({
      ...manifest,
      samples: manifest.samples.map((sample) =>
        sample.id === 's2'
          ? { ...sample, fields: { ground_truth: detections(detection(C, 'car'), nose) } }
          : sample,
      ),
    }));

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(load.merged[0]).toMatchObject({ unexpected: 1, added: 0, samplesChanged: 0 });
    const report = (await readJson(local, load.merged[0]?.reportKey ?? '')) as Record<
      string,
      unknown
    >;
    expect(report.unexpected).toEqual({
      ground_truth: { keypoints: { s2: { [nose.id]: expect.objectContaining({ label: 'car' }) } } },
    });
    expect((await snapshot(local.store)).s2?.version).toBe(0);
    expect(load.finalized.counters.unexpected).toBe(1);
  });
});

describe('Workflows: a run renamed after a load', () => {
  it('loads again under its new key, counting the merges made under its old one', async () => {
    const { local, deps } = await annotated();
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    await local.store.runs.rename(DATASET, 'gt_review', 'renamed');
    await deliver(local, 'gt_review-00001');

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'renamed' });

    expect(load.plan.taskIds).toEqual(['gt_review-00000', 'gt_review-00001']);
    expect(load.merged.map((task) => task.added)).toEqual([1, 0]);
    expect(load.finalized.status).toBe('loaded');
    expect(load.finalized.counters).toMatchObject({ tasks: 2, tasksCompleted: 2, labelsAdded: 1 });
    expect((await snapshot(local.store)).s1?.version).toBe(1);
  });

  it('shares nothing with a new run under its old key: its manifests stay, each run loads only its own deliveries', async () => {
    const { local, deps } = await annotated();
    await local.store.runs.rename(DATASET, 'gt_review', 'renamed');
    const manifestKeys = await listKeys(local, 'runs/street/gt_review/tasks/');
    const manifests = await Promise.all(manifestKeys.map((key) => readJson(local, key)));

    await annotateRun(deps);

    const fresh = objectKeyOf(await local.store.runs.get(DATASET, 'gt_review'));
    expect(fresh).not.toBe('gt_review');
    expect(objectKeyOf(await local.store.runs.get(DATASET, 'renamed'))).toBe('gt_review');
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual(manifestKeys);
    expect(await Promise.all(manifestKeys.map((key) => readJson(local, key)))).toEqual(manifests);
    const manifest = (await readJson(
      local,
      `runs/street/${fresh}/tasks/gt_review-00001.json`,
    )) as TaskManifest;
    expect(manifest).toMatchObject({
      annoKey: 'gt_review',
      resultKey: `runs/street/${fresh}/results/gt_review-00001.json`,
    });

    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await deliver(local, 'gt_review-00001', (sent) => sent, fresh);
    const notified = await receiveFilesResults(deps, {
      Records: [
        s3Record(
          'ObjectCreated:Put',
          local.bucket,
          'runs/street/gt_review/results/gt_review-00000.json',
        ),
        s3Record(
          'ObjectCreated:Put',
          local.bucket,
          `runs/street/${fresh}/results/gt_review-00001.json`,
        ),
      ],
    });
    expect(notified.events.map((event) => [event.annoKey, event.outcome])).toEqual([
      ['renamed', 'recorded'],
      ['gt_review', 'recorded'],
    ]);

    const renamed = await loadRun(deps, { dataset: DATASET, annoKey: 'renamed' });
    const again = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(renamed.plan.taskIds).toEqual(['gt_review-00000']);
    expect(renamed.merged.map((task) => task.added)).toEqual([1]);
    expect(again.plan.taskIds).toEqual(['gt_review-00001']);
    expect(again.merged.map((task) => task.added)).toEqual([0]);
  });
});
