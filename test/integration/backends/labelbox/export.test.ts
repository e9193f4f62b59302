import { afterEach, describe, expect, it } from 'vitest';
import type { UploadContext } from '../../../../lib/backends/backend.js';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import {
  LabelboxEmulator,
  type LabelboxEmulatorOptions,
} from '../../../emulators/labelbox/emulator.js';

let emulator: LabelboxEmulator | undefined;
afterEach(async () => {
  expect(emulator?.violations()).toEqual([]);
  await emulator?.stop();
  emulator = undefined;
});

const labelSchema: LabelSchema = {
  time_of_day: {
    type: 'classification',
    classes: ['day', 'night'],
    attributes: {},
    existingField: false,
  },
};
const ids = ['s1', 's2', 's3'];
const upload: UploadContext = {
  run: { dataset: 'street', annoKey: 'k', labelSchema },
  page: {
    index: 0,
    samples: ids.map((id) => ({
      id,
      filepath: `https://media.example/${id}.jpg`,
      media_type: 'image' as const,
      metadata: { width: 64, height: 48 },
      tags: [],
      fields: {},
    })),
  },
};

/** Three rows labelled and accepted on an emulator exporting as `options` say. */
async function labelled(options: LabelboxEmulatorOptions) {
  const lb = await new LabelboxEmulator(options).start();
  emulator = lb;
  const backend = labelboxBackend({
    objects: { bucket: 'media' } as never,
    params: {
      url: lb.url,
      api_key: lb.apiKey,
      export_poll_interval_ms: 0,
      data_row_poll_interval_ms: 0,
    },
    secrets: memorySecretStore(),
  });
  const [task] = (await backend.upload(upload)).tasks;
  if (!task) throw new Error('no task');
  for (const [i, globalKey] of ids.entries()) {
    const answer = i % 2 === 0 ? 'day' : 'night';
    await lb.submitLabel({
      projectId: task.backendTaskId,
      globalKey,
      classifications: [{ name: 'time_of_day', radio_answer: { name: answer, value: answer } }],
    });
    await lb.markDone(task.backendTaskId, globalKey);
  }
  return { backend, task, ctx: { run: upload.run } };
}

describe('Labelbox export: the result read as the SDK reads it', () => {
  it('reads a streamable export file by file, and a plain one from its result link, alike', async () => {
    const streamed = await labelled({ streamableExports: true, exportLinesPerFile: 2 });
    const fromStream = await streamed.backend.download(streamed.ctx, streamed.task);
    expect(await streamed.backend.status(streamed.ctx, streamed.task)).toMatchObject({
      state: 'completed',
    });
    const files = emulator?.calls.filter((call) => call === 'task.exportFileFromOffset');
    expect(files).toHaveLength(4); // 3 lines, 2 a file, for download and status
    await emulator?.stop();
    expect(emulator?.violations()).toEqual([]);

    const plain = await labelled({ streamableExports: false });
    const fromLink = await plain.backend.download(plain.ctx, plain.task);

    expect(emulator?.calls).not.toContain('task.exportFileFromOffset');
    expect(fromLink).toEqual(fromStream);
    expect(Object.keys(fromStream.time_of_day?.classifications ?? {})).toEqual(ids);
  });
});
