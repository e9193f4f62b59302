import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadContext } from '../../../../lib/backends/backend.js';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';
import { useLocalAws } from '../../../support/local-aws.js';
import { annotateRun, loadRun } from '../../workflows/run-support.js';
import { labelboxDeps } from './support.js';

let emulator: LabelboxEmulator;
beforeEach(async () => {
  emulator = await new LabelboxEmulator().start();
});
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
});

const labelSchema: LabelSchema = {
  'frames.vehicles': { type: 'detections', classes: ['car'], attributes: {}, existingField: false },
  'frames.scene': {
    type: 'classification',
    classes: ['day', 'night'],
    attributes: {},
    existingField: false,
  },
};
const ctx = { run: { dataset: 'clips', annoKey: 'v', labelSchema } };
const page: UploadContext = {
  ...ctx,
  page: {
    index: 0,
    samples: [
      {
        id: 'clip1',
        filepath: 'https://media.example/clip1.mp4',
        media_type: 'video',
        metadata: { frame_width: 320, frame_height: 240, total_frame_count: 2 },
        tags: [],
        fields: {},
        frames: {
          '1': { id: 'f'.repeat(24), fields: {} },
          '2': { id: 'e'.repeat(24), fields: {} },
        },
      },
    ],
  },
};
const cls = (value: string) => [{ name: 'class_name', radio_answer: { name: value, value } }];

describe('Labelbox backend: videos', () => {
  it('uploads a video as a VIDEO data row and loads a track frame by frame', async () => {
    const backend = labelboxBackend({
      objects: { bucket: 'media' } as never,
      params: {
        url: emulator.url,
        api_key: emulator.apiKey,
        export_poll_interval_ms: 0,
        data_row_poll_interval_ms: 0,
      },
      secrets: memorySecretStore(),
    });
    const { tasks } = await backend.upload(page);
    const task = tasks[0];
    if (!task) throw new Error('no task');
    expect(emulator.dataRow('clip1').mediaType).toBe('VIDEO');
    const ontology = emulator.state.ontologies.get(task.backendData?.ontologyId as string);
    expect(ontology?.normalized.classifications[0]).toMatchObject({
      name: 'frames.scene',
      scope: 'index',
    });

    const box = (left: number) => ({
      track: 'car-1',
      name: 'frames.vehicles',
      annotation_kind: 'ImageBoundingBox' as const,
      bounding_box: { top: 60, left, height: 120, width: 160 },
      classifications: cls('car'),
    });
    await emulator.submitVideoLabel({
      projectId: task.backendTaskId,
      globalKey: 'clip1',
      frames: {
        '1': {
          objects: [box(0)],
          classifications: [{ name: 'frames.scene', radio_answer: { name: 'day', value: 'day' } }],
        },
        '2': { objects: [box(160)] },
      },
    });
    await emulator.markDone(task.backendTaskId, 'clip1');

    expect(await backend.status(ctx, task)).toMatchObject({ state: 'completed' });
    const annotations = await backend.download(ctx, task);
    const frames = annotations['frames.vehicles']?.detections?.clip1 as Record<
      string,
      Record<string, object>
    >;
    expect(Object.values(frames['1'] ?? {})).toEqual([
      expect.objectContaining({ label: 'car', index: 1, bounding_box: [0, 0.25, 0.5, 0.5] }),
    ]);
    expect(Object.values(frames['2'] ?? {})).toEqual([
      expect.objectContaining({ label: 'car', index: 1, bounding_box: [0.5, 0.25, 0.5, 0.5] }),
    ]);
    const scene = annotations['frames.scene']?.classifications?.clip1 as Record<
      string,
      Record<string, object>
    >;
    expect(Object.values(scene['1'] ?? {})).toEqual([expect.objectContaining({ label: 'day' })]);
  });
});

describe('Labelbox backend: a video run through the workflow steps', () => {
  const aws = useLocalAws();

  it('merges a track into a new frame-level field, frame by frame', async () => {
    const local = await aws.newStore();
    await local.store.datasets.create('clips', { mediaType: 'video', sampleFields: {} });
    await local.store.samples.batchPut('clips', [
      {
        id: 'clip1',
        filepath: 'https://media.example/clip1.mp4',
        media_type: 'video',
        metadata: { frame_width: 320, frame_height: 240, total_frame_count: 2 },
        tags: [],
        frames: { '1': { id: 'f'.repeat(24) }, '2': { id: 'e'.repeat(24) } },
      },
    ]);
    const deps = labelboxDeps(local, emulator, memorySecretStore());
    await annotateRun(deps, {
      dataset: 'clips',
      annoKey: 'v',
      backend: 'labelbox',
      labelSchema: { 'frames.vehicles': { type: 'detections', classes: ['car'] } },
    });
    const task = await local.store.tasks.get('clips', 'v', 'v-00000');
    const box = (left: number) => ({
      track: 'car-1',
      name: 'frames.vehicles',
      annotation_kind: 'ImageBoundingBox' as const,
      bounding_box: { top: 60, left, height: 120, width: 160 },
      classifications: cls('car'),
    });
    await emulator.submitVideoLabel({
      projectId: task.backendTaskId,
      globalKey: 'clip1',
      frames: { '1': { objects: [box(0)] }, '2': { objects: [box(160)] } },
    });
    await emulator.markDone(task.backendTaskId, 'clip1');

    await loadRun(deps, { dataset: 'clips', annoKey: 'v' });

    const [stored] = (await local.store.samples.list('clips', { limit: 10 })).items;
    const frames = stored?.sample.frames as Record<string, Record<string, unknown>>;
    const track = (frame: string) =>
      (frames[frame]?.vehicles as { detections?: Array<Record<string, unknown>> } | undefined)
        ?.detections;
    expect(track('1')).toEqual([
      expect.objectContaining({ label: 'car', bounding_box: [0, 0.25, 0.5, 0.5] }),
    ]);
    expect(track('2')).toEqual([
      expect.objectContaining({ label: 'car', bounding_box: [0.5, 0.25, 0.5, 0.5] }),
    ]);
    // One track: the merge's track reconciliation (SEMANTICS §6.7) keeps one index for it.
    expect(track('2')?.[0]?.index).toBe(track('1')?.[0]?.index);
  });
});
