import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { BackendRegistry, BUILTIN_BACKEND_FACTORIES } from '../../../lib/backends/index.js';
import { createLabelStudioBackend } from '../../../lib/backends/labelstudio/index.js';
import { sampleKey } from '../../../lib/store/keys.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { sweepRuns } from '../../../lib/workflows/index.js';
import type { LabelStudioEmulator } from '../../emulators/labelstudio/index.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { annotateRun, clock, DATASET, REQUEST, seedDataset } from '../workflows/run-support.js';
import { useLabelStudioEmulator } from './labelstudio-support.js';

const aws = useLocalAws();
let ls: LabelStudioEmulator;

useLabelStudioEmulator((emulator) => {
  ls = emulator;
});

const DAY = 24 * 3600 * 1000;
const STALE = 'http://expired.example.com/image.jpg';
const S1_TASK = 'gt_review-00000-0000';

/** Deletes a sample from the dataset, as deleting its item does: labels and media go with it. */
async function deleteSample(local: LocalStore, sampleId: string): Promise<void> {
  await local.clients.doc.send(
    new DeleteCommand({ TableName: local.tableName, Key: sampleKey(DATASET, sampleId) }),
  );
}

/** Each sample's image link in Label Studio, by sample id. */
function images(): Record<string, unknown> {
  return Object.fromEntries(
    [...ls.state.tasks.values()].map((task) => [task.data.sample_id, task.data.image]),
  );
}

/** Every task's link made stale, so a refresh shows as a changed link. */
function staleLinks(): void {
  for (const task of ls.state.tasks.values()) task.data.image = STALE;
}

/**
 * A Label Studio run (one task per sample, s1 to s4) whose links near expiry, with s1
 * deleted from the dataset; the clock moves with `advance`.
 */
async function runWithDeletedSample() {
  const local = await aws.newStore();
  await seedDataset(local);
  let time = clock().getTime();
  const deps: WorkflowDeps = {
    store: local.store,
    backends: new BackendRegistry({
      ...BUILTIN_BACKEND_FACTORIES,
      labelstudio: createLabelStudioBackend,
    }),
    config: {
      defaultBackend: 'labelstudio',
      backends: { labelstudio: { url: ls.url, api_key: ls.legacyToken } },
    },
    clock: () => new Date(time),
  };
  await annotateRun(deps, { ...REQUEST, backend: 'labelstudio' });
  await deleteSample(local, 's1');
  staleLinks();
  const advance = (ms: number) => {
    time += ms;
  };
  advance(6.5 * DAY);
  return { local, deps, advance };
}

const patches = () => ls.calls.filter((call) => call === 'api_tasks_partial_update').length;

describe('Sweeper on Label Studio: a task whose sample was deleted', () => {
  it('stops refreshing it, reporting the reason once, without asking Label Studio', async () => {
    const { deps } = await runWithDeletedSample();

    const result = await sweepRuns(deps);

    expect(result.refreshStopped).toEqual([
      { dataset: DATASET, annoKey: 'gt_review', taskId: S1_TASK, reason: 'SAMPLES_DELETED' },
    ]);
    expect(result.refreshFailed).toEqual([]);
    expect(images().s1).toBe(STALE);
  });

  it('records on the task why its media is no longer refreshed', async () => {
    const { local, deps } = await runWithDeletedSample();

    await sweepRuns(deps);

    const task = await local.store.tasks.get(DATASET, 'gt_review', S1_TASK);
    expect(task.backendData?.mediaRefreshStopped).toEqual({
      reason: 'SAMPLES_DELETED',
      sampleIds: ['s1'],
      at: deps.clock?.().toISOString(),
    });
  });

  it('still refreshes the other tasks of the same sweep', async () => {
    const { deps } = await runWithDeletedSample();

    const result = await sweepRuns(deps);

    expect(result.mediaRefreshed).toBe(3);
    const { s1: _s1, ...others } = images();
    for (const image of Object.values(others)) {
      expect(image).toMatch(/X-Amz-Signature=/);
    }
  });

  it('skips it on later sweeps, while the other tasks are refreshed again', async () => {
    const { deps, advance } = await runWithDeletedSample();
    await sweepRuns(deps);
    const before = patches();

    advance(6.5 * DAY);
    const later = await sweepRuns(deps);

    expect(later).toMatchObject({ mediaRefreshed: 3, refreshStopped: [], refreshFailed: [] });
    expect(patches() - before).toBe(3);
    expect(images().s1).toBe(STALE);
  });
});
