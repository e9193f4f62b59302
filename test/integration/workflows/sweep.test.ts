import { describe, expect, it } from 'vitest';
import { createFilesBackend } from '../../../lib/backends/files/index.js';
import { BackendRegistry } from '../../../lib/backends/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { sweepRuns } from '../../../lib/workflows/index.js';
import { useLocalAws } from '../../support/local-aws.js';
import { useLocalWorkflows } from '../../support/local-workflows.js';
import {
  annotateFirstTask,
  annotateRun,
  CONFIG,
  clock,
  DATASET,
  deliver,
  REQUEST,
  seedDataset,
} from './run-support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();

/** The files backend, and a copy of it whose tool is down (every status call fails). */
function registry(): BackendRegistry {
  return new BackendRegistry().register('down', ({ objects }) => ({
    ...createFilesBackend({ objects }),
    status: async () => {
      throw new Error('tool unreachable');
    },
  }));
}

async function openRun(options: { autoLoad: boolean; backend?: string }) {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps: WorkflowDeps = {
    store: local.store,
    backends: registry(),
    config: { ...CONFIG, backends: { files: {}, down: {} } },
    clock,
    engine: workflows.engine,
  };
  await annotateRun(deps, {
    ...REQUEST,
    autoLoad: options.autoLoad,
    ...(options.backend ? { backend: options.backend } : {}),
  });
  return { local, deps };
}

const statuses = async (deps: WorkflowDeps) =>
  (await deps.store.tasks.listByRun(DATASET, 'gt_review')).items.map((task) => task.status);

describe('Sweeper: finished tasks nobody announced', () => {
  it('finds a finished task whose webhook was lost and handles it as the webhook would', async () => {
    const { local, deps } = await openRun({ autoLoad: true });
    await deliver(local, 'gt_review-00000', annotateFirstTask); // no notification reaches us
    const result = await sweepRuns(deps);
    expect(result).toMatchObject({ runs: 1, tasksChecked: 2, failed: [] });
    expect(result.events.map((event) => [event.backendTaskId, event.outcome])).toEqual([
      ['street/gt_review/gt_review-00000', 'load-started'],
    ]);
    expect(await statuses(deps)).toEqual(['completed', 'open']);
  });

  it('starts one load however often it sweeps an unchanged task', async () => {
    const { local, deps } = await openRun({ autoLoad: true });
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    const first = await sweepRuns(deps);
    const second = await sweepRuns(deps);
    expect(first.events).toHaveLength(1);
    expect(second).toMatchObject({ tasksChecked: 1, events: [] });
  });

  it('only records the task when the run loads on request', async () => {
    const { local, deps } = await openRun({ autoLoad: false });
    await deliver(local, 'gt_review-00001');
    const result = await sweepRuns(deps);
    expect(result.events.map((event) => event.outcome)).toEqual(['recorded']);
  });

  it('reports a run whose tool cannot be asked and sweeps the others', async () => {
    const down = await openRun({ autoLoad: true, backend: 'down' });
    const result = await sweepRuns(down.deps);
    expect(result.failed).toEqual([
      { dataset: DATASET, annoKey: 'gt_review', error: 'tool unreachable' },
    ]);
    expect(await statuses(down.deps)).toEqual(['open', 'open']);
  });
});
