import { describe, expect, it } from 'vitest';
import {
  type AnnotationBackend,
  BackendRegistry,
  BUILTIN_BACKEND_FACTORIES,
  type RefreshMediaContext,
} from '../../../lib/backends/index.js';
import { createLabelStudioBackend } from '../../../lib/backends/labelstudio/index.js';
import { backendContext, backendTask } from '../../../lib/workflows/run-context.js';
import type { LabelStudioEmulator } from '../../emulators/labelstudio/index.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import {
  annotateRun,
  clock,
  DATASET,
  depsFor,
  REQUEST,
  seedDataset,
} from '../workflows/run-support.js';
import { useLabelStudioEmulator } from './labelstudio-support.js';

const aws = useLocalAws();
let ls: LabelStudioEmulator;

useLabelStudioEmulator((emulator) => {
  ls = emulator;
});

const WEEK_LATER = new Date(clock().getTime() + 7 * 24 * 3600 * 1000).toISOString();
const TASK = 'gt_review-00000-0000'; // s1

function lsTaskOf(sampleId: string) {
  const task = [...ls.state.tasks.values()].find((row) => row.data.sample_id === sampleId);
  if (task === undefined) throw new Error(`no Label Studio task shows ${sampleId}`);
  return task;
}

/** A run on the emulator with s1 annotated, and the backend as the sweeper would build it. */
async function annotatedRun(): Promise<{ local: LocalStore; backend: AnnotationBackend }> {
  const local = await aws.newStore();
  await seedDataset(local);
  const config = {
    defaultBackend: 'labelstudio',
    backends: { labelstudio: { url: ls.url, api_key: ls.legacyToken } },
  };
  const backends = new BackendRegistry({
    ...BUILTIN_BACKEND_FACTORIES,
    labelstudio: createLabelStudioBackend,
  });
  await annotateRun(depsFor(local.store, { backends, config }), {
    ...REQUEST,
    backend: 'labelstudio',
  });
  const s1 = lsTaskOf('s1');
  const prediction = ls.state.predictionsOf(s1.id)[0]?.result ?? [];
  await ls.annotator.submit(s1.id, prediction);
  const backend = createLabelStudioBackend({
    name: 'labelstudio',
    params: { url: ls.url, api_key: ls.legacyToken },
    objects: local.store.media,
    clock,
  });
  return { local, backend: await backend };
}

async function refreshArgs(local: LocalStore, media?: RefreshMediaContext['media']) {
  const run = await local.store.runs.get(DATASET, 'gt_review');
  const task = await local.store.tasks.get(DATASET, 'gt_review', TASK);
  const ctx = {
    ...backendContext(run),
    media: media ?? [{ sampleId: 's1', filepath: filepathOf(local) }],
  };
  return [ctx, backendTask(task)] as const;
}

const filepathOf = (local: LocalStore) => `s3://${local.store.media.bucket}/datasets/street/s1.jpg`;

describe('Label Studio: refreshing media links (emulated Label Studio)', () => {
  it('records when the uploaded links expire on each task', async () => {
    const { local } = await annotatedRun();
    const record = await local.store.tasks.get(DATASET, 'gt_review', TASK);
    expect(record.backendData).toMatchObject({ mediaExpiresAt: WEEK_LATER });
  });

  it('replaces a stale image link with a fresh one that loads, keeping the annotation', async () => {
    const { local, backend } = await annotatedRun();
    const s1 = lsTaskOf('s1');
    s1.data.image = 'http://expired.example.com/s1.jpg';
    s1.data.note = 'added by hand';
    const before = await backend.download(...(await refreshArgs(local)));

    const result = await backend.refreshMedia?.(...(await refreshArgs(local)));

    expect(result).toEqual({ expiresAt: WEEK_LATER });
    const image = String(lsTaskOf('s1').data.image);
    expect(image).toMatch(/datasets\/street\/s1\.jpg\?.*X-Amz-Signature=/);
    expect((await fetch(image)).status).toBe(200);
    expect(lsTaskOf('s1').data).toMatchObject({
      sample_id: 's1',
      annoflow_run: `${DATASET}/gt_review`,
      annoflow_page: 0,
      note: 'added by hand',
    });
    expect(ls.state.annotationsOf(s1.id)).toHaveLength(1);
    expect(await backend.download(...(await refreshArgs(local)))).toEqual(before);
    expect(ls.violations()).toEqual([]);
  });

  it('costs two requests per task: one read, one update', async () => {
    const { local, backend } = await annotatedRun();
    const args = await refreshArgs(local);
    const start = ls.calls.length;

    await backend.refreshMedia?.(...args);

    expect(ls.calls.slice(start)).toEqual(['api_tasks_retrieve', 'api_tasks_partial_update']);
  });

  it('refuses a context without the media of the task sample, changing nothing', async () => {
    const { local, backend } = await annotatedRun();
    const image = lsTaskOf('s1').data.image;

    await expect(
      backend.refreshMedia?.(
        ...(await refreshArgs(local, [{ sampleId: 's2', filepath: filepathOf(local) }])),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining("'s1'") });
    expect(lsTaskOf('s1').data.image).toBe(image);
    expect(ls.calls).not.toContain('api_tasks_partial_update');
  });

  it('reports a task Label Studio no longer has', async () => {
    const { local, backend } = await annotatedRun();
    ls.state.deleteTask(lsTaskOf('s1').id);

    await expect(backend.refreshMedia?.(...(await refreshArgs(local)))).rejects.toMatchObject({
      code: 'BACKEND_RESULT_MISSING',
    });
  });
});
