import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../lib/backends/index.js';
import { objectKeyOf } from '../../../lib/runs/index.js';
import type { Store } from '../../../lib/store/index.js';
import {
  cleanupRun,
  downloadTask,
  failAnnotate,
  finalizeLoad,
  mergeStagedTask,
  planLoad,
  prepareAnnotate,
  uploadPage,
} from '../../../lib/workflows/index.js';
import { listKeys } from '../../support/bucket.js';
import { useLocalAws } from '../../support/local-aws.js';
import {
  annotateFirstTask,
  annotateRun,
  CONFIG,
  DATASET,
  deliver,
  depsFor,
  flakyBackend,
  loadRun,
  REQUEST,
  seedDataset,
  snapshot,
} from './run-support.js';

const aws = useLocalAws();

/** The store, but its sample merges stop (as a killed Lambda would) after `limit` writes. */
function abortingAfter(store: Store, limit: number): Store {
  let writes = 0;
  const samples = new Proxy(store.samples, {
    get(target, property) {
      if (property === 'applyMerge') {
        return async (...args: Parameters<Store['samples']['applyMerge']>) => {
          writes += 1;
          if (writes > limit) throw new Error('Lambda timed out');
          return target.applyMerge(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...store, samples };
}

/** A snapshot with the bucket (unique per store) left out of each filepath. */
function sansBucket(samples: Awaited<ReturnType<typeof snapshot>>) {
  return Object.fromEntries(
    Object.entries(samples).map(([id, { version, sample }]) => [
      id,
      { version, sample: { ...sample, filepath: sample.filepath.replace(/^s3:\/\/[^/]+\//, '') } },
    ]),
  );
}

/** Task 0 becomes s1 and s2 both edited, so its merge writes two pages of one sample. */
async function twoSampleDelivery(local: Awaited<ReturnType<typeof aws.newStore>>) {
  await deliver(local, 'gt_review-00000', (manifest) => {
    const edited = annotateFirstTask(manifest);
    return {
      ...edited,
      samples: edited.samples.map((sample) =>
        sample.id === 's2' ? { ...sample, fields: { ground_truth: null } } : sample,
      ),
    };
  });
}

describe('Workflows: an aborted load', () => {
  it('ends, when run again, exactly as one clean load', async () => {
    const clean = await aws.newStore();
    await seedDataset(clean);
    await annotateRun(depsFor(clean.store, { mergePageSize: 1 }));
    await twoSampleDelivery(clean);
    const once = await loadRun(depsFor(clean.store, { mergePageSize: 1 }), {
      dataset: DATASET,
      annoKey: 'gt_review',
    });

    const local = await aws.newStore();
    await seedDataset(local);
    await annotateRun(depsFor(local.store, { mergePageSize: 1 }));
    await twoSampleDelivery(local);
    const aborting = depsFor(abortingAfter(local.store, 1), { mergePageSize: 1 });
    await expect(loadRun(aborting, { dataset: DATASET, annoKey: 'gt_review' })).rejects.toThrow(
      'Lambda timed out',
    );
    const half = await snapshot(local.store);
    expect([half.s1?.version, half.s2?.version]).toEqual([1, 0]);

    const rerun = await loadRun(depsFor(local.store, { mergePageSize: 1 }), {
      dataset: DATASET,
      annoKey: 'gt_review',
    });

    expect(sansBucket(await snapshot(local.store))).toEqual(
      sansBucket(await snapshot(clean.store)),
    );
    expect(rerun.merged).toEqual(once.merged);
    expect(rerun.finalized.counters).toEqual(once.finalized.counters);
    expect(rerun.finalized.counters).toMatchObject({ labelsDeleted: 2, labelsAdded: 1 });
    expect(await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000')).toEqual(
      await clean.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000'),
    );
  });
});

describe('Workflows: annotate refusals', () => {
  it('refuses a different annotate with a taken key and leaves the run alone', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    const before = await local.store.runs.get(DATASET, 'gt_review');

    const second = prepareAnnotate(deps, { ...REQUEST, labelField: 'weather', classes: undefined });

    await expect(second).rejects.toMatchObject({
      code: 'RUN_KEY_EXISTS',
      message: "Annotation run with key 'gt_review' already exists",
    });
    expect(await local.store.runs.get(DATASET, 'gt_review')).toEqual(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a page size over 5000', { pageSize: 5001 }, "at 'pageSize'"],
    ['an unknown option', { lableField: 'x' }, 'lableField'],
    ['both ids and tags', { sampleIds: ['s1'], tags: ['review'] }, "at 'tags'"],
    ['a bad dataset name', { dataset: 'no/slash' }, "at 'dataset'"],
    ['an unknown unexpected policy', { unexpected: 'prompt' }, "at 'unexpected'"],
  ])(
    'refuses %s with INVALID_INPUT naming the field and registers nothing',
    async (_name, change, where) => {
      const local = await aws.newStore();
      await seedDataset(local);

      const prepare = prepareAnnotate(depsFor(local.store), { ...REQUEST, ...change } as never);

      await expect(prepare).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(where),
      });
      expect(await local.store.runs.list(DATASET)).toEqual([]);
      expect(await listKeys(local, 'runs/')).toEqual([]);
    },
  );

  it('checks the schema before the key: a bad schema registers nothing, a bad key fails after it', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);

    await expect(
      prepareAnnotate(deps, {
        ...REQUEST,
        annoKey: 'not a key',
        labelField: 'weather',
        labelType: 'detections',
      }),
    ).rejects.toMatchObject({ code: 'LABEL_TYPE_MISMATCH' });
    await expect(prepareAnnotate(deps, { ...REQUEST, annoKey: 'not a key' })).rejects.toMatchObject(
      {
        code: 'INVALID_ANNO_KEY',
      },
    );
    await expect(prepareAnnotate(deps, { ...REQUEST, tags: ['nobody'] })).rejects.toMatchObject({
      code: 'EMPTY_COLLECTION',
    });
    expect(await local.store.runs.list(DATASET)).toEqual([]);
  });
});

describe('Workflows: annotate under the key of a deleted run (files backend)', () => {
  it("gives the new run an object key of its own: none of the deleted run's objects are its", async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    await local.store.runs.delete(DATASET, 'gt_review');
    const leftovers = await listKeys(local, 'runs/street/gt_review/');
    const samples = await snapshot(local.store);

    await annotateRun(deps);

    const run = await local.store.runs.get(DATASET, 'gt_review');
    expect(run.objectKey).toMatch(/^gt_review__[0-9a-z]+$/);
    expect(await listKeys(local, 'runs/street/gt_review/')).toEqual(leftovers);
    expect(await listKeys(local, `runs/street/${run.objectKey}/`)).toEqual([
      `runs/street/${run.objectKey}/pages/00000.json`,
      `runs/street/${run.objectKey}/pages/00001.json`,
      `runs/street/${run.objectKey}/tasks/gt_review-00000.json`,
      `runs/street/${run.objectKey}/tasks/gt_review-00001.json`,
    ]);
    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    expect(load.plan.taskIds).toEqual([]);
    expect(await snapshot(local.store)).toEqual(samples);
  });

  it('suffixes again when the suffixed key is taken too', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    await local.store.runs.delete(DATASET, 'gt_review');
    await annotateRun(deps);
    const second = objectKeyOf(await local.store.runs.get(DATASET, 'gt_review'));
    await local.store.runs.delete(DATASET, 'gt_review');

    await annotateRun(deps);

    // The same clock gives the same first suffix: the third run takes the next one.
    const third = objectKeyOf(await local.store.runs.get(DATASET, 'gt_review'));
    expect([second, third]).toEqual([
      expect.stringMatching(/^gt_review__[0-9a-z]+$/),
      `${second}_1`,
    ]);
  });
});

/**
 * A run whose first page's upload is held in the tool until `release()`: what happens to the
 * run meanwhile (another page fails it, it is deleted) meets an upload still under way.
 * `cleaned` lists the tool-side tasks the backend deleted.
 */
async function uploadHeldInTheTool() {
  const local = await aws.newStore();
  await seedDataset(local);
  const cleaned: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const slow = flakyBackend(Number.POSITIVE_INFINITY, cleaned);
  const deps = depsFor(local.store, {
    backends: new BackendRegistry().register('slow', async (input) => {
      const backend = await slow(input);
      return {
        ...backend,
        upload: async (ctx) => {
          await gate;
          return backend.upload(ctx);
        },
      };
    }),
    config: { ...CONFIG, backends: { ...CONFIG.backends, slow: {} } },
  });
  const { pages } = await prepareAnnotate(deps, { ...REQUEST, backend: 'slow' });
  const late = uploadPage(deps, { dataset: DATASET, annoKey: 'gt_review', page: pages[0] ?? 0 });
  // Handled by the test's own expectation; unhandled until then.
  late.catch(() => undefined);
  return { local, deps, cleaned, release, late };
}

describe('Workflows: a failed upload', () => {
  it('cleans up the tasks already made in the tool and marks the run failed with the reason', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const cleaned: string[] = [];
    const deps = depsFor(local.store, {
      backends: new BackendRegistry().register('flaky', flakyBackend(1, cleaned)),
      config: { ...CONFIG, backends: { ...CONFIG.backends, flaky: { url: 'https://tool' } } },
    });
    const request = { ...REQUEST, backend: 'flaky' };
    const { pages } = await prepareAnnotate(deps, request);
    await uploadPage(deps, { dataset: DATASET, annoKey: 'gt_review', page: pages[0] ?? 0 });
    const failing = uploadPage(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      page: pages[1] ?? 1,
    });
    await expect(failing).rejects.toThrow('tool refused page 1');

    // What the state machine's Catch hands on.
    const compensation = await failAnnotate(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      error: {
        Error: 'Error',
        Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'tool refused page 1' }),
      },
    });

    expect(compensation).toEqual({ status: 'failed', tasksCleaned: 1 });
    expect(cleaned).toEqual(['gt_review-00000']);
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
    const run = await local.store.runs.get(DATASET, 'gt_review');
    expect(run).toMatchObject({
      status: 'failed',
      backend: 'flaky',
      failure: { code: 'Error', message: 'tool refused page 1' },
      config: { params: { url: 'https://tool' } },
    });
    expect((await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000')).status).toBe(
      'deleted',
    );
    // The key stays taken (SEMANTICS §2.2), and a retried compensation changes nothing more.
    await expect(prepareAnnotate(deps, request)).rejects.toMatchObject({ code: 'RUN_KEY_EXISTS' });
    const again = await failAnnotate(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      error: { code: 'OTHER', message: 'later' },
    });
    expect(again.status).toBe('failed');
    expect((await local.store.runs.get(DATASET, 'gt_review')).failure?.message).toBe(
      'tool refused page 1',
    );
    // A failed run can be cleaned; its record stays.
    expect(await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' })).toMatchObject({
      status: 'cleaned',
    });
  });

  it('deletes the tasks of a page whose upload finishes after another page failed the run', async () => {
    const { local, deps, cleaned, release, late } = await uploadHeldInTheTool();
    // Another page failed meanwhile: its Catch compensated while this page was still uploading.
    const compensation = await failAnnotate(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      error: { code: 'BACKEND_REQUEST_FAILED', message: 'tool refused page 1' },
    });
    expect(compensation.tasksCleaned).toBe(0);
    release();

    await expect(late).rejects.toMatchObject({ code: 'INVALID_RUN_TRANSITION' });
    expect(cleaned).toEqual(['gt_review-00000']);
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
    expect((await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000')).status).toBe(
      'deleted',
    );
  });

  it('leaves no task record, and no tool-side task, of a page whose run is deleted while it uploads', async () => {
    const { local, cleaned, release, late } = await uploadHeldInTheTool();
    // DELETE /datasets/street/runs/gt_review while the page is in the tool's hands.
    await local.store.runs.delete(DATASET, 'gt_review');
    release();

    await expect(late).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    // A record left here would be taken for a task of the next run under this key.
    expect((await local.store.tasks.listByRun(DATASET, 'gt_review')).items).toEqual([]);
    expect(cleaned).toEqual(['gt_review-00000']);
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
  });

  it('deletes a page’s tool-side tasks when their records cannot be written', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    const { pages } = await prepareAnnotate(deps, REQUEST);
    const tasks = new Proxy(local.store.tasks, {
      get(target, property) {
        if (property === 'put')
          return async () => Promise.reject(new Error('DynamoDB unavailable'));
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const broken = depsFor({ ...local.store, tasks });

    const upload = uploadPage(broken, {
      dataset: DATASET,
      annoKey: 'gt_review',
      page: pages[0] ?? 0,
    });

    await expect(upload).rejects.toThrow('DynamoDB unavailable');
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
    // The retry uploads and records the page.
    await uploadPage(deps, { dataset: DATASET, annoKey: 'gt_review', page: pages[0] ?? 0 });
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toHaveLength(1);
  });

  it('refuses to upload pages of a run that is not uploading', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    const { prepared } = await annotateRun(deps);

    await expect(
      uploadPage(deps, {
        dataset: DATASET,
        annoKey: 'gt_review',
        page: prepared.pages[0] ?? 0,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_RUN_TRANSITION' });
  });
});

describe('Workflows: cleanup', () => {
  it('deletes the tool-side tasks, marks the run cleaned and keeps merged labels', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    const cleaned = await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    const again = await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(cleaned).toEqual({ status: 'cleaned', tasksCleaned: 2 });
    expect(again.status).toBe('cleaned');
    expect(await listKeys(local, 'runs/street/gt_review/tasks/')).toEqual([]);
    expect((await snapshot(local.store)).s1?.version).toBe(1);
    // Deleting the record afterwards leaves labels alone.
    await local.store.runs.delete(DATASET, 'gt_review');
    expect((await snapshot(local.store)).s1?.version).toBe(1);
  });
});

describe('Workflows: finalize with cleanup, retried after a crash before `cleaned`', () => {
  it('keeps the counters and the load report of the clean run', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = depsFor(local.store);
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await deliver(local, 'gt_review-00001');
    const plan = await planLoad(deps, { dataset: DATASET, annoKey: 'gt_review' });
    for (const taskId of plan.taskIds) {
      const staged = await downloadTask(deps, { dataset: DATASET, annoKey: 'gt_review', taskId });
      await mergeStagedTask(deps, {
        dataset: DATASET,
        annoKey: 'gt_review',
        taskId,
        stagedKey: staged.stagedKey,
      });
    }
    const input = {
      dataset: DATASET,
      annoKey: 'gt_review',
      loadId: plan.loadId,
      taskIds: plan.taskIds,
      cleanup: true,
    };

    // The Lambda dies after the tool-side cleanup, before the run is marked `cleaned`.
    const runs = new Proxy(local.store.runs, {
      get(target, property) {
        if (property === 'transition') {
          return async (...args: Parameters<Store['runs']['transition']>) => {
            if (args[1] === 'cleaned') throw new Error('Lambda timed out');
            return target.transition(...args);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    await expect(finalizeLoad(depsFor({ ...local.store, runs }), input)).rejects.toThrow(
      'Lambda timed out',
    );
    const before = (await local.store.runs.get(DATASET, 'gt_review')).counters;
    expect(before).toMatchObject({ labelsAdded: 1, labelsDeleted: 1, tasksCompleted: 2 });

    const retried = await finalizeLoad(deps, input);

    expect(retried.status).toBe('cleaned');
    expect(retried.totals).toMatchObject({ added: 1, deleted: 1 });
    expect(retried.counters).toEqual(before);
  });
});
