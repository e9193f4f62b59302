import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackendContext } from '../../../lib/backends/index.js';
import { createLabelStudioBackend } from '../../../lib/backends/labelstudio/index.js';
import type { BackendObjectStore } from '../../../lib/backends/object-store.js';
import { LabelStudioEmulator, labelStudioContract } from '../../emulators/labelstudio/index.js';
import { detection, detections, oid } from '../../support/builders.js';

const noBucket = {
  bucket: 'unused',
  presignGet: () => Promise.reject(new Error('unexpected presign')),
} as unknown as BackendObjectStore;

const A = oid(0xa);
const CTX: BackendContext = {
  run: {
    dataset: 'street',
    annoKey: 'emu',
    labelSchema: {
      ground_truth: {
        type: 'detections',
        classes: ['car', 'truck'],
        attributes: {},
        existingField: true,
      },
    },
  },
};

let ls: LabelStudioEmulator;
beforeAll(() => labelStudioContract(), 60_000);
afterEach(async () => {
  await ls.close();
});

async function call(method: string, path: string, body?: unknown, token = ls.legacyToken) {
  const response = await fetch(`${ls.url}${path}`, {
    method,
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: response.status === 204 ? undefined : await response.json(),
  };
}

/** A run with one sample whose box A is uploaded as a prediction. */
async function uploaded() {
  const backend = await createLabelStudioBackend({
    name: 'labelstudio',
    params: { url: ls.url, api_key: ls.legacyToken },
    objects: noBucket,
  });
  const { tasks } = await backend.upload({
    ...CTX,
    page: {
      index: 0,
      samples: [
        {
          id: 's1',
          filepath: 'https://media.example.com/s1.jpg',
          media_type: 'image',
          metadata: { width: 64, height: 48 },
          tags: [],
          fields: { ground_truth: detections(detection(A, 'car')) },
        },
      ],
    },
  });
  const [task] = tasks;
  if (task === undefined) throw new Error('no task');
  const prediction = ls.state.predictionsOf(Number(task.backendTaskId))[0]?.result ?? [];
  const relabel = (label: string) =>
    prediction.map((item) => ({
      ...item,
      value: { ...(item.value as object), rectanglelabels: [label] },
    }));
  return { backend, task, lsTaskId: Number(task.backendTaskId), relabel };
}

const labelsOf = (
  annotations: Awaited<ReturnType<Awaited<ReturnType<typeof uploaded>>['backend']['download']>>,
) =>
  Object.values(annotations.ground_truth?.detections?.s1 ?? {}).map(
    (label) => (label as { label: string }).label,
  );

describe('Label Studio emulator', () => {
  it('answers a request the published schema refuses with a 500 and records why', async () => {
    ls = await LabelStudioEmulator.start();
    const project = await call('POST', '/api/projects/', { title: 'proj' });

    const broken = await call(
      'POST',
      `/api/projects/${(project.body as { id: number }).id}/import`,
      [{ nodata: 1 }],
    );

    expect(project.status).toBe(201);
    expect(broken.status).toBe(500);
    expect(ls.violations()).toEqual([
      expect.stringContaining("must have required property 'data'"),
    ]);
  });

  it('holds the client to the schema: a project title needs 3 characters', async () => {
    ls = await LabelStudioEmulator.start();

    expect((await call('POST', '/api/projects/', { title: 'p' })).status).toBe(500);
    expect(ls.violations()).toEqual([
      expect.stringContaining('must NOT have fewer than 3 characters'),
    ]);
  });

  it('serves paths with and without their trailing slash', async () => {
    ls = await LabelStudioEmulator.start();

    expect((await call('GET', '/api/version')).status).toBe(200);
    expect((await call('GET', '/api/version/')).status).toBe(200);
    expect(ls.violations()).toEqual([]);
  });

  it('refuses legacy tokens where the organization turned them off, and takes personal access tokens', async () => {
    ls = await LabelStudioEmulator.start({ legacyTokens: false });
    const refreshed = await fetch(`${ls.url}/api/token/refresh/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh: ls.personalAccessToken }),
    });
    const { access } = (await refreshed.json()) as { access: string };

    expect((await call('GET', '/api/projects/')).status).toBe(401);
    const bearer = await fetch(`${ls.url}/api/projects/`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(bearer.status).toBe(200);
    expect(ls.violations()).toEqual([]);
  });
});

describe('Label Studio annotator (through the backend)', () => {
  it('loads the predictions of a task nobody annotated yet', async () => {
    ls = await LabelStudioEmulator.start();
    const { backend, task } = await uploaded();

    expect(await backend.status(CTX, task)).toMatchObject({ state: 'open' });
    expect(labelsOf(await backend.download(CTX, task))).toEqual(['car']);
  });

  it('loads the latest update of an annotation, and an update is a new revision', async () => {
    ls = await LabelStudioEmulator.start();
    const { backend, task, lsTaskId, relabel } = await uploaded();
    const annotationId = await ls.annotator.submit(lsTaskId, relabel('car'));
    const before = await backend.status(CTX, task);

    await ls.annotator.update(annotationId, relabel('truck'));

    const after = await backend.status(CTX, task);
    expect(after.state).toBe('completed');
    expect(after.updatedAt).not.toBe(before.updatedAt);
    expect(labelsOf(await backend.download(CTX, task))).toEqual(['truck']);
    expect(ls.violations()).toEqual([]);
  });

  it('reopens a task whose only annotation is cancelled, and loads the other annotator’s', async () => {
    ls = await LabelStudioEmulator.start();
    const { backend, task, lsTaskId, relabel } = await uploaded();
    const first = await ls.annotator.submit(lsTaskId, relabel('truck'));

    await ls.annotator.cancel(first);
    expect((await backend.status(CTX, task)).state).toBe('open');

    await ls.annotator.submit(lsTaskId, relabel('car'));
    expect((await backend.status(CTX, task)).state).toBe('completed');
    expect(labelsOf(await backend.download(CTX, task))).toEqual(['car']);
  });

  it('refuses to download a task deleted in Label Studio', async () => {
    ls = await LabelStudioEmulator.start();
    const { backend, task, lsTaskId } = await uploaded();
    await ls.annotator.deleteTask(lsTaskId);

    await expect(backend.download(CTX, task)).rejects.toMatchObject({
      code: 'BACKEND_RESULT_MISSING',
    });
  });
});
