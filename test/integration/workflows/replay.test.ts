import { describe, expect, it } from 'vitest';
import { detection, detections } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';
import {
  A,
  annotateFirstTask,
  annotateRun,
  DATASET,
  deliver,
  depsFor,
  loadRun,
  redeliverWithoutBicycle,
  seedDataset,
  snapshot,
} from './run-support.js';

const aws = useLocalAws();

const TASK_0 = 'street/gt_review/gt_review-00000';
const TASK_1 = 'street/gt_review/gt_review-00001';

async function deliveredRun() {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps = depsFor(local.store);
  await annotateRun(deps);
  await deliver(local, 'gt_review-00000', annotateFirstTask);
  await deliver(local, 'gt_review-00001', (manifest) => ({
    ...manifest,
    samples: manifest.samples.map((sample) =>
      sample.id === 's4'
        ? {
            ...sample,
            fields: {
              ground_truth: detections({
                _cls: 'Detection',
                label: 'car',
                bounding_box: [0, 0, 1, 1],
              }),
            },
          }
        : sample,
    ),
  }));
  return { local, deps };
}

function sansBucket(samples: Awaited<ReturnType<typeof snapshot>>) {
  return Object.fromEntries(
    Object.entries(samples).map(([id, { version, sample }]) => [
      id,
      { version, sample: { ...sample, filepath: sample.filepath.replace(/^s3:\/\/[^/]+\//, '') } },
    ]),
  );
}

describe('Workflows: replayed completions', () => {
  it('gives, for every completion replayed 5× in a shuffled order, the dataset of one delivery each', async () => {
    const once = await deliveredRun();
    await loadRun(once.deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId: TASK_0 });
    await loadRun(once.deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId: TASK_1 });

    const replayed = await deliveredRun();
    const events = [...Array(5).fill(TASK_0), ...Array(5).fill(TASK_1)] as string[];
    // A fixed shuffle (seeded LCG), so a failure reproduces.
    let seed = 7;
    for (let index = events.length - 1; index > 0; index -= 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const other = seed % (index + 1);
      [events[index], events[other]] = [events[other] as string, events[index] as string];
    }
    for (const backendTaskId of events) {
      await loadRun(replayed.deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId });
    }

    expect(sansBucket(await snapshot(replayed.local.store))).toEqual(
      sansBucket(await snapshot(once.local.store)),
    );
    const run = await replayed.local.store.runs.get(DATASET, 'gt_review');
    expect(run.status).toBe('loaded');
    expect(run.counters).toEqual((await once.local.store.runs.get(DATASET, 'gt_review')).counters);
    expect(run.counters).toMatchObject({ labelsAdded: 2, labelsEdited: 1, labelsDeleted: 1 });
  });

  it('merges a later delivery of a task against the first: labels it added are now edited or deleted', async () => {
    const { local, deps } = await deliveredRun();
    await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review', backendTaskId: TASK_0 });
    const first = await snapshot(local.store);

    // The annotator sends task 0 again: the bicycle they added is gone, A is a car again.
    await redeliverWithoutBicycle(local);
    const second = await loadRun(deps, {
      dataset: DATASET,
      annoKey: 'gt_review',
      backendTaskId: TASK_0,
    });

    const samples = await snapshot(local.store);
    expect(samples.s1?.sample.ground_truth).toEqual(detections(detection(A, 'car')));
    expect(samples.s1?.version).toBe((first.s1?.version ?? 0) + 1);
    expect(second.merged[0]).toMatchObject({ added: 0, edited: 1, deleted: 1 });
  });
});
