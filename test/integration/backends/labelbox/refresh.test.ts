import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RefreshMediaContext } from '../../../../lib/backends/index.js';
import { createLabelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import { backendContext, backendTask } from '../../../../lib/workflows/run-context.js';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';
import { useLocalAws } from '../../../support/local-aws.js';
import { annotateRun, clock, DATASET, seedDataset } from '../../workflows/run-support.js';
import { labelboxDeps, NEW_FIELDS } from './support.js';

const aws = useLocalAws();
let emulator: LabelboxEmulator;

beforeEach(async () => {
  emulator = await new LabelboxEmulator().start();
});
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
});

const WEEK_LATER = new Date(clock().getTime() + 7 * 24 * 3600 * 1000).toISOString();
const STALE = 'http://expired.example.com/media.jpg';

/** A run of two tasks on the emulator, s1 of the first labelled, and the sweeper's backend. */
async function annotated() {
  const local = await aws.newStore();
  await seedDataset(local);
  await annotateRun(labelboxDeps(local, emulator, memorySecretStore()), NEW_FIELDS);
  const task = await local.store.tasks.get(DATASET, 'lb', 'lb-00000');
  await emulator.submitLabel({
    projectId: task.backendTaskId,
    globalKey: 's1',
    classifications: [{ name: 'time_of_day', radio_answer: { name: 'night', value: 'night' } }],
  });
  const backend = await createLabelboxBackend({
    name: 'labelbox',
    params: {
      url: emulator.url,
      api_key: emulator.apiKey,
      export_poll_interval_ms: 0,
      data_row_poll_interval_ms: 0,
    },
    objects: local.store.media,
    clock,
  });
  const run = await local.store.runs.get(DATASET, 'lb');
  const media = (ids: readonly string[]): RefreshMediaContext => ({
    ...backendContext(run),
    media: ids.map((id) => ({
      sampleId: id,
      filepath: `s3://${local.store.media.bucket}/datasets/street/${id}.jpg`,
    })),
  });
  return { local, backend, task: backendTask(task), ctx: backendContext(run), media };
}

function rowOf(globalKey: string) {
  const row = emulator.state.dataRowByGlobalKey(globalKey);
  if (row === undefined) throw new Error(`no data row ${globalKey}`);
  return row;
}

describe('Labelbox: refreshing media links (emulated Labelbox)', () => {
  it('records when the uploaded links expire on each task', async () => {
    const { task } = await annotated();
    expect(task.backendData).toMatchObject({ mediaExpiresAt: WEEK_LATER });
  });

  it("points the task's data rows at fresh links that load, keeping rows and labels", async () => {
    const { backend, task, ctx, media } = await annotated();
    for (const id of task.sampleIds) rowOf(id).rowData = STALE;
    const ids = task.sampleIds.map((id) => rowOf(id).id);
    const before = await backend.download(ctx, task);
    expect(JSON.stringify(before)).toContain('night');

    const result = await backend.refreshMedia?.(media(task.sampleIds), task);

    expect(result).toEqual({ expiresAt: WEEK_LATER });
    for (const id of task.sampleIds) {
      expect(rowOf(id).rowData).toMatch(
        new RegExp(`datasets/street/${id}\\.jpg\\?.*X-Amz-Signature=`),
      );
      expect((await fetch(rowOf(id).rowData)).status).toBe(200);
    }
    expect(task.sampleIds.map((id) => rowOf(id).id)).toEqual(ids);
    expect(await backend.download(ctx, task)).toEqual(before);
  });

  it('costs a dataset lookup, one listing per 500 rows and one update per row, none per label', async () => {
    const { backend, task, media } = await annotated();
    const start = emulator.calls.length;

    await backend.refreshMedia?.(media(task.sampleIds), task);

    expect(emulator.calls.slice(start)).toEqual([
      'dataset',
      'datasetDataRows',
      'updateDataRow',
      'updateDataRow',
    ]);
  });

  it('leaves the rows of samples the context does not name as they are', async () => {
    const { backend, task, media } = await annotated();
    const [first, second] = task.sampleIds as [string, string];
    rowOf(second).rowData = STALE;

    await backend.refreshMedia?.(media([first]), task);

    expect(rowOf(second).rowData).toBe(STALE);
  });

  it('reports a task whose dataset Labelbox no longer has', async () => {
    const { backend, task, media } = await annotated();
    emulator.state.datasets.clear();

    await expect(backend.refreshMedia?.(media(task.sampleIds), task)).rejects.toMatchObject({
      code: 'BACKEND_RESULT_MISSING',
    });
  });
});
