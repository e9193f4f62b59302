import { afterEach, describe, expect, it } from 'vitest';
import type { UploadContext } from '../../../../lib/backends/backend.js';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import {
  LabelboxEmulator,
  type LabelboxEmulatorOptions,
} from '../../../emulators/labelbox/emulator.js';

let emulator: LabelboxEmulator;
const start = async (options: LabelboxEmulatorOptions = {}) => {
  emulator = await new LabelboxEmulator(options).start();
  return emulator;
};
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
});

const labelSchema: LabelSchema = {
  boxes: { type: 'detections', classes: ['car'], attributes: {}, existingField: false },
};

function page(annoKey: string, ids: readonly string[]): UploadContext {
  const samples = ids.map((id, i) => ({
    id,
    filepath: `https://media.example/${i}.jpg`,
    media_type: 'image' as const,
    metadata: { width: 640, height: 480 },
    tags: [],
    fields: {},
  }));
  return { run: { dataset: 'street', annoKey, labelSchema }, page: { index: 0, samples } };
}

const backend = (params: Record<string, unknown> = {}) =>
  labelboxBackend({
    objects: { bucket: 'media' } as never,
    params: {
      url: emulator.url,
      api_key: emulator.apiKey,
      data_row_poll_interval_ms: 0,
      ...params,
    },
    secrets: memorySecretStore(),
  });

const importCalls = () =>
  emulator.calls.filter((call) =>
    [
      'uploadFile',
      'upsertDataRows',
      'user',
      'user.createdTasks',
      'failedDataRowImports',
      'successesfulDataRowImports',
    ].includes(call),
  );

describe('Labelbox backend: data rows made as the SDK makes them', () => {
  it('imports a page through a chunk file, a manifest and an upsertDataRows task it polls', async () => {
    await start({ importPolls: 2 });

    const { tasks } = await backend().upload(page('k', ['s1', 's2', 's3']));

    expect(importCalls()).toEqual([
      'uploadFile',
      'uploadFile',
      'upsertDataRows',
      'user',
      'user.createdTasks',
      'user.createdTasks',
      'user.createdTasks',
      'failedDataRowImports',
      'successesfulDataRowImports',
    ]);
    const batch = [
      ...(emulator.state.projects.get(String(tasks[0]?.backendTaskId))?.batches.values() ?? []),
    ];
    const keys = batch[0]?.dataRowIds.map((id) => emulator.state.dataRows.get(id)?.globalKey);
    expect(keys).toEqual(['s1', 's2', 's3']);
    expect(emulator.dataRow('s2').rowData).toBe('https://media.example/1.jpg');
  });

  it('refuses the upload naming the global keys the import refused', async () => {
    await start();
    await backend().upload(page('first', ['s1', 's2']));

    const error = await backend()
      .upload(page('second', ['s1', 's2', 's3']))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: expect.stringMatching(
        /^Labelbox refused 2 data row\(s\) of dataset \S+: s1 \(Global key s1 is already in use/,
      ),
      details: { globalKeys: ['s1', 's2'] },
    });
  });

  it('gives up as BACKEND_UNAVAILABLE when the import is still running after data_row_timeout_ms', async () => {
    await start({ importPolls: Number.POSITIVE_INFINITY });

    await expect(
      backend({ data_row_poll_interval_ms: 5, data_row_timeout_ms: 30 }).upload(page('k', ['s1'])),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringMatching(
        /^Labelbox data row import \S+ into dataset \S+ did not finish in 30 ms$/,
      ),
    });
    expect(emulator.counts()).toMatchObject({ dataRows: 0, projects: 0 });
  });

  it('fails the upload as BACKEND_REQUEST_FAILED when Labelbox fails the import, making nothing', async () => {
    await start({ importEnds: 'FAILED' });

    const error = await backend()
      .upload(page('k', ['s1', 's2']))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: expect.stringMatching(
        /^Labelbox data row import \S+ into dataset \S+ ended FAILED: s1 \(Data row import failed\), s2 /,
      ),
      details: { status: 'FAILED' },
    });
    expect(emulator.counts()).toMatchObject({ dataRows: 0, projects: 0 });
  });

  it('fails the upload as BACKEND_REQUEST_FAILED when the import task disappears while polled', async () => {
    await start({ importPolls: 1, importEnds: 'LOST' });

    await expect(backend().upload(page('k', ['s1']))).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: expect.stringMatching(/^Labelbox data row import \S+ into dataset \S+ disappeared$/),
    });
    expect(emulator.counts()).toMatchObject({ dataRows: 0, projects: 0 });
  });

  it('uploads on retry after a failed import, making each row once', async () => {
    await start({ importEnds: 'FAILED' });
    await expect(backend().upload(page('k', ['s1', 's2']))).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
    });
    emulator.importEnds = 'COMPLETE';

    const { tasks } = await backend().upload(page('k', ['s1', 's2']));

    expect(emulator.counts()).toMatchObject({ datasets: 1, dataRows: 2, projects: 1 });
    expect(tasks[0]?.sampleIds).toEqual(['s1', 's2']);
  });

  it('adopts on retry the rows an import made after the first attempt gave up on it', async () => {
    await start({ importPolls: Number.POSITIVE_INFINITY });
    const slow = backend({ data_row_poll_interval_ms: 5, data_row_timeout_ms: 30 });
    await expect(slow.upload(page('k', ['s1', 's2']))).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    emulator.finishImports();
    const before = importCalls().length;

    const { tasks } = await backend().upload(page('k', ['s1', 's2']));

    expect(importCalls().slice(before)).toEqual([]);
    expect(emulator.counts()).toMatchObject({ datasets: 1, dataRows: 2, projects: 1 });
    expect(tasks[0]?.sampleIds).toEqual(['s1', 's2']);
  });

  it('adopts on retry the rows its own import was refused because the first attempt’s import made them meanwhile', async () => {
    await start({ importPolls: Number.POSITIVE_INFINITY });
    const slow = backend({ data_row_poll_interval_ms: 5, data_row_timeout_ms: 30 });
    await expect(slow.upload(page('k', ['s1', 's2']))).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
    });
    // The retry's import finishes, after the first one, which Labelbox was still working on.
    emulator.importPolls = 0;

    const { tasks } = await backend().upload(page('k', ['s1', 's2']));

    const imports = [...emulator.state.importTasks.values()];
    expect(imports.map((task) => [task.created.length, task.failed.length])).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(emulator.counts()).toMatchObject({ datasets: 1, dataRows: 2, projects: 1 });
    expect(tasks[0]?.sampleIds).toEqual(['s1', 's2']);
  });
});
