import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { AnnotationBackend, BackendContext, UploadPage } from '../../../lib/backends/index.js';
import { createLabelStudioBackend } from '../../../lib/backends/labelstudio/index.js';
import type { BackendObjectStore } from '../../../lib/backends/object-store.js';
import type { LabelStudioEmulator } from '../../emulators/labelstudio/index.js';
import { detection, detections, oid } from '../../support/builders.js';
import { useLabelStudioEmulator } from './labelstudio-support.js';

const noBucket: BackendObjectStore = {
  bucket: 'unused',
  put: () => Promise.reject(new Error('unexpected put')),
  stat: () => Promise.reject(new Error('unexpected stat')),
  read: () => Promise.reject(new Error('unexpected read')),
  delete: () => Promise.reject(new Error('unexpected delete')),
  presignGet: () => Promise.reject(new Error('unexpected presign')),
};

const CTX: BackendContext = {
  run: {
    dataset: 'street',
    annoKey: 'upload',
    labelSchema: {
      ground_truth: { type: 'detections', classes: ['car'], attributes: {}, existingField: true },
    },
  },
};

function page(index: number, ids: string[]): UploadPage {
  return {
    index,
    samples: ids.map((id, i) => ({
      id,
      filepath: `https://media.example.com/${id}.jpg`,
      media_type: 'image' as const,
      metadata: { width: 64, height: 48 },
      tags: [],
      fields: { ground_truth: detections(detection(oid(index * 100 + i + 1), 'car')) },
    })),
  };
}

let ls: LabelStudioEmulator;
const backendFor = (params: Record<string, unknown> = {}): Promise<AnnotationBackend> =>
  Promise.resolve(
    createLabelStudioBackend({
      name: 'labelstudio',
      params: { url: ls.url, api_key: ls.legacyToken, ...params },
      objects: noBucket,
    }),
  );

useLabelStudioEmulator((emulator) => {
  ls = emulator;
});

describe('Label Studio upload (emulated Label Studio)', () => {
  it('rewrites nothing when a page is uploaded again: same tasks, one prediction each', async () => {
    const backend = await backendFor();

    const first = await backend.upload({ ...CTX, page: page(0, ['s1', 's2']) });
    const again = await backend.upload({ ...CTX, page: page(0, ['s1', 's2']) });

    expect(again).toEqual(first);
    expect(ls.state.tasks.size).toBe(2);
    expect(ls.state.predictions.size).toBe(2);
    expect(ls.violations()).toEqual([]);
  });

  it('puts concurrently uploaded pages into one project', async () => {
    const backend = await backendFor();

    const results = await Promise.all(
      [0, 1, 2].map((index) =>
        backend.upload({ ...CTX, page: page(index, [`a${index}`, `b${index}`]) }),
      ),
    );

    const projects = new Set(
      results.flatMap((result) => result.tasks.map((task) => task.backendData?.projectId)),
    );
    expect(projects.size).toBe(1);
    expect(ls.state.projects.size).toBe(1);
    expect(ls.state.tasks.size).toBe(6);
    expect(ls.violations()).toEqual([]);
  });

  it('reads a task listing to its end, which Label Studio marks with a 404', async () => {
    const backend = await backendFor({ page_size: 1 });

    const uploaded = await backend.upload({ ...CTX, page: page(0, ['s1', 's2']) });

    expect(uploaded.tasks.map((task) => task.sampleIds)).toEqual([['s1'], ['s2']]);
    expect(ls.answers).toContainEqual({ operationId: 'api_tasks_list', status: 404 });
    expect(ls.violations()).toEqual([]);
  });

  it('pairs tasks with samples by sample id, not by the order Label Studio lists them', async () => {
    const backend = await backendFor();
    ls.state.reverseTaskListing = true;
    const uploaded = await backend.upload({ ...CTX, page: page(0, ['s1', 's2']) });
    const [t1, t2] = uploaded.tasks;

    expect(ls.state.tasks.get(Number(t1?.backendTaskId))?.data.sample_id).toBe('s1');
    expect(ls.state.tasks.get(Number(t2?.backendTaskId))?.data.sample_id).toBe('s2');
  });

  it('refuses a sample whose media Label Studio cannot load, before creating anything', async () => {
    const backend = await backendFor();
    const bad = page(0, ['s1']);
    const sample = bad.samples[0];
    if (sample) sample.filepath = '/local/disk/s1.jpg';

    await expect(backend.upload({ ...CTX, page: bad })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect(ls.isEmpty()).toBe(true);
  });

  it('fails with a typed error, naming the call, when the key is refused', async () => {
    const backend = await backendFor({ api_key: 'wrong' });

    await expect(backend.upload({ ...CTX, page: page(0, ['s1']) })).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      details: { status: 401, method: 'GET', path: '/api/projects/' },
    });
  });
});

describe('Label Studio client against a broken server', () => {
  it('turns an answer that is not Label Studio’s shape into a typed error', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "seven"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const backend = createLabelStudioBackend({
        name: 'labelstudio',
        params: { url: `http://127.0.0.1:${port}`, api_key: 'k' },
        objects: noBucket,
      });
      const task = { taskId: 't', backendTaskId: '7', sampleIds: ['s1'] };

      await expect((await backend).status(CTX, task)).rejects.toMatchObject({
        code: 'BACKEND_RESPONSE_INVALID',
        details: { path: '/api/tasks/7/' },
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses params without a URL or key, naming the param', () => {
    expect(() =>
      createLabelStudioBackend({
        name: 'labelstudio',
        params: { url: 'http://x' },
        objects: noBucket,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('api_key'),
      }),
    );
  });
});
