import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
  vi.restoreAllMocks();
  await emulator.stop();
});

const labelSchema: LabelSchema = {
  boxes: { type: 'detections', classes: ['car'], attributes: {}, existingField: false },
};
const ctx: UploadContext = {
  run: { dataset: 'street', annoKey: 'k', labelSchema },
  page: {
    index: 0,
    samples: [
      {
        id: 's1',
        filepath: 'https://media.example/1.jpg',
        media_type: 'image' as const,
        metadata: { width: 640, height: 480 },
        tags: [],
        fields: {},
      },
    ],
  },
};
const backend = () =>
  labelboxBackend({
    objects: { bucket: 'media' } as never,
    params: { url: emulator.url, api_key: emulator.apiKey, data_row_poll_interval_ms: 0 },
    secrets: memorySecretStore(),
  });

describe('Labelbox upload retried after connecting its ontology failed', () => {
  it('connects the ontology it made, so cleanup leaves none behind', async () => {
    const realFetch = globalThis.fetch;
    let failed = false;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (!failed && body.includes('connectOntology(')) {
        failed = true;
        return new Response('{"message":"rate limited"}', { status: 429 });
      }
      return realFetch(input, init);
    });
    await expect(backend().upload(ctx)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    const result = await backend().upload(ctx); // the workflow's retry
    const [task] = result.tasks;
    if (!task) throw new Error('no task');
    await backend().cleanup({ run: { dataset: 'street', annoKey: 'k', labelSchema } } as never, [
      task,
    ]);
    expect(emulator.counts()).toMatchObject({ ontologies: 0, projects: 0, datasets: 0 });
  });
});
