import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadContext } from '../../../../lib/backends/backend.js';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';

let emulator: LabelboxEmulator;
beforeEach(async () => {
  emulator = await new LabelboxEmulator().start();
});
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
});

const labelSchema: LabelSchema = {
  boxes: { type: 'detections', classes: ['car'], attributes: {}, existingField: false },
};

function page(annoKey: string, count: number): UploadContext {
  const samples = Array.from({ length: count }, (_, i) => ({
    id: `sample${String(i).padStart(4, '0')}`,
    filepath: `https://media.example/${i}.jpg`,
    media_type: 'image' as const,
    metadata: { width: 640, height: 480 },
    tags: [],
    fields: {},
  }));
  return { run: { dataset: 'street', annoKey, labelSchema }, page: { index: 0, samples } };
}

const backend = () =>
  labelboxBackend({
    objects: { bucket: 'media' } as never,
    params: { url: emulator.url, api_key: emulator.apiKey, data_row_poll_interval_ms: 0 },
    secrets: memorySecretStore(),
  });

describe('Labelbox backend: upload', () => {
  it('adopts every data row of a page larger than one API page when retried', async () => {
    const first = await backend().upload(page('big', 600));
    const again = await backend().upload(page('big', 600));

    expect(again).toEqual(first);
    expect(emulator.counts()).toMatchObject({ datasets: 1, dataRows: 600, projects: 1 });
    expect(emulator.calls.filter((call) => call === 'datasetDataRows')).toHaveLength(3);
    expect(first.tasks[0]?.backendData).toMatchObject({ sizes: { sample0599: [640, 480] } });
  });

  it('refuses a sample already in another open Labelbox run: global keys are organization-wide', async () => {
    await backend().upload(page('first', 2));

    await expect(backend().upload(page('second', 2))).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: expect.stringContaining('Global key sample0000 is already in use'),
    });
  });

  it('refuses an existing field even if asked directly, with FiftyOne’s error', async () => {
    const ctx = page('existing', 1);
    const existing = {
      ...ctx,
      run: { ...ctx.run, labelSchema: { boxes: { ...labelSchema.boxes, existingField: true } } },
    };

    await expect(backend().upload(existing as UploadContext)).rejects.toMatchObject({
      code: 'EXISTING_FIELD_UNSUPPORTED',
    });
    expect(emulator.counts()).toMatchObject({ datasets: 0, projects: 0 });
  });

  it('makes nothing for an empty page', async () => {
    expect(await backend().upload(page('empty', 0))).toEqual({ tasks: [] });
    expect(emulator.counts()).toMatchObject({ datasets: 0 });
  });
});
