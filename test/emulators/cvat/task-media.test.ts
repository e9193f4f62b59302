import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4 } from '../../support/media.js';
import { adminCall } from './admin-client.js';
import { type CvatEmulator, startCvatEmulator } from './index.js';

let cvat: CvatEmulator;
let storageId: number;
beforeAll(async () => {
  cvat = await startCvatEmulator();
  storageId = cvat.addCloudStorage({
    resource: 'media',
    read: async (file) => (file === 'clips/v1.mp4' ? mp4(64, 48, 10) : undefined),
  });
}, 60_000);
afterAll(() => cvat.stop());

const call = (method: string, path: string, body?: unknown) => adminCall(cvat, method, path, body);

async function videoTask(data: Record<string, unknown>) {
  const created = await call('POST', '/api/tasks', { name: 'clip', segment_size: 2 });
  const id = Number(created.body.id);
  const attached = await call('POST', `/api/tasks/${id}/data`, {
    image_quality: 70,
    server_files: ['clips/v1.mp4'],
    cloud_storage_id: storageId,
    ...data,
  });
  return { id, attached };
}

describe('CVAT emulator: task media', () => {
  it('reads server_files from the cloud storage and shows the selected video frames', async () => {
    const { id, attached } = await videoTask({
      start_frame: 1,
      stop_frame: 8,
      frame_filter: 'step=3',
    });
    expect(attached.status).toBe(202);
    // 0-based frames 1, 4, 7.
    expect((await call('GET', `/api/tasks/${id}/data/meta`)).body).toMatchObject({
      size: 3,
      start_frame: 1,
      stop_frame: 7,
      frame_filter: 'step=3',
    });
    // No `overlap` given: a video's jobs share min(5, segment_size / 2) frames, as in CVAT.
    expect(cvat.annotator.jobs(id).map((job) => [job.start_frame, job.stop_frame])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(cvat.violations()).toEqual([]);
  });

  it('describes the storage it holds', async () => {
    expect((await call('GET', `/api/cloudstorages/${storageId}`)).body).toMatchObject({
      id: storageId,
      provider_type: 'AWS_S3_BUCKET',
      resource: 'media',
    });
    expect((await call('GET', '/api/cloudstorages/999')).status).toBe(404);
    expect(cvat.violations()).toEqual([]);
  });

  it.each([
    { why: 'a frame_filter other than step=N', data: { frame_filter: 'every=2' } },
    { why: 'a stop_frame before start_frame', data: { start_frame: 5, stop_frame: 2 } },
    { why: 'a start_frame past the end', data: { start_frame: 10 } },
    { why: 'an unknown cloud storage', data: { cloud_storage_id: 999 } },
    { why: 'a file the storage lacks', data: { server_files: ['clips/none.mp4'] } },
  ])('refuses $why', async ({ data }) => {
    const { id, attached } = await videoTask(data);
    expect(attached.status).toBe(400);
    expect(cvat.annotator.jobs(id)).toEqual([]);
  });
});
