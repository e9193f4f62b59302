import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  AnnotationBackend,
  BackendContext,
  WebhookRequest,
} from '../../../lib/backends/index.js';
import {
  createLabelStudioBackend,
  WEBHOOK_HEADER,
  webhookSecretName,
} from '../../../lib/backends/labelstudio/index.js';
import type { BackendObjectStore } from '../../../lib/backends/object-store.js';
import { type BackendSecretStore, memorySecretStore } from '../../../lib/backends/secrets.js';
import { LabelStudioEmulator, labelStudioContract } from '../../emulators/labelstudio/index.js';
import { detection, detections, oid } from '../../support/builders.js';

/** Media at http(s) URLs needs no bucket: any call to it is a bug. */
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
    annoKey: 'hooks',
    labelSchema: {
      ground_truth: { type: 'detections', classes: ['car'], attributes: {}, existingField: true },
    },
  },
};

/** A receiver standing in for annoflow's webhook route: it keeps what arrives. */
async function receiver(): Promise<{ url: string; received: WebhookRequest[]; server: Server }> {
  const received: WebhookRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([key, value]) => [key, String(value)]),
      );
      received.push({ headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/labelstudio`, received, server };
}

let ls: LabelStudioEmulator;
let hook: Awaited<ReturnType<typeof receiver>>;
let secrets: BackendSecretStore;
let backend: AnnotationBackend;
let taskIds: number[];

// The published schema is 1.5 MB: parse it once, with time to spare on a busy machine.
beforeAll(() => labelStudioContract(), 60_000);

beforeEach(async () => {
  ls = await LabelStudioEmulator.start();
  hook = await receiver();
  secrets = memorySecretStore();
  backend = await createLabelStudioBackend({
    name: 'labelstudio',
    params: { url: ls.url, api_key: ls.legacyToken, webhook_url: hook.url },
    objects: noBucket,
    secrets,
  });
  const sample = (id: string, fields: Record<string, unknown>) => ({
    id,
    filepath: `https://media.example.com/${id}.jpg`,
    media_type: 'image' as const,
    metadata: { width: 64, height: 48 },
    tags: [],
    fields,
  });
  const uploaded = await backend.upload({
    ...CTX,
    page: {
      index: 0,
      samples: [
        sample('s1', { ground_truth: detections(detection(oid(1), 'car')) }),
        sample('s2', { ground_truth: detections() }),
      ],
    },
  });
  taskIds = uploaded.tasks.map((task) => Number(task.backendTaskId));
  await backend.registerWebhooks(CTX);
}, 30_000);

afterEach(async () => {
  await ls.close();
  hook.server.closeAllConnections();
  await new Promise<void>((resolve) => hook.server.close(() => resolve()));
});

const projectId = () => [...ls.state.projects.keys()][0] ?? -1;
const first = () => taskIds[0] ?? -1;
const second = () => taskIds[1] ?? -1;

describe('Label Studio webhooks (emulated Label Studio, real HTTP)', () => {
  it('registers one hook per project, with a secret header kept only in the secret store', async () => {
    await backend.registerWebhooks(CTX);

    const hooks = [...ls.state.webhooks.values()];
    expect(hooks).toHaveLength(1);
    const secret = await secrets.get(webhookSecretName(projectId()));
    expect(secret).toMatch(/^[\w-]{43}$/);
    expect(hooks[0]).toMatchObject({
      project: projectId(),
      url: hook.url,
      headers: { [WEBHOOK_HEADER]: secret },
      send_for_all_actions: false,
    });
    expect(ls.violations()).toEqual([]);
  });

  it('verifies a delivery by its header and reads a submitted annotation as a finished task', async () => {
    const annotationId = await ls.annotator.submit(first(), []);

    const [delivery] = hook.received;
    expect(hook.received).toHaveLength(1);
    if (delivery === undefined) throw new Error('no delivery');
    // Python's json.dumps separators, as Label Studio sends it.
    expect(delivery.rawBody).toMatch(/^\{"action": "ANNOTATION_CREATED", "annotation": \{"id": /);
    expect(await backend.verifyWebhook(delivery)).toBe(true);
    const updated = ls.state.annotations.get(annotationId)?.updated_at;
    expect(backend.parseWebhook(delivery)).toEqual([
      {
        type: 'task.completed',
        backendTaskId: String(first()),
        revision: `${annotationId}@${updated}`,
      },
    ]);
    expect(ls.violations()).toEqual([]);
  });

  it.each([
    [
      'a forged header',
      (request: WebhookRequest) => ({
        ...request,
        headers: { ...request.headers, [WEBHOOK_HEADER.toLowerCase()]: 'forged' },
      }),
    ],
    ['no header', (request: WebhookRequest) => ({ ...request, headers: {} })],
    [
      'a body naming another project',
      (request: WebhookRequest) => ({
        ...request,
        rawBody: request.rawBody.replace(/"project": \{"id": \d+/, '"project": {"id": 999'),
      }),
    ],
    ['a body that is not JSON', (request: WebhookRequest) => ({ ...request, rawBody: 'not json' })],
  ])('refuses a delivery with %s', async (_case, tamper) => {
    await ls.annotator.submit(first(), []);
    const [delivery] = hook.received;
    if (delivery === undefined) throw new Error('no delivery');

    expect(await backend.verifyWebhook(tamper(delivery))).toBe(false);
  });

  it.each([
    ['is not JSON', 'not json'],
    ['has no action', '{"project": {"id": 1}}'],
    [
      'names no task',
      '{"action": "ANNOTATION_CREATED", "project": {"id": 1}, "annotation": {"id": 3}}',
    ],
    [
      'has a task without an id',
      '{"action": "ANNOTATION_UPDATED", "project": {"id": 1}, "task": {"data": {}}}',
    ],
  ])('rejects a body that %s with a typed error', (_case, rawBody) => {
    expect(() => backend.parseWebhook({ headers: {}, rawBody })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('reads a skipped task as updated, not finished', async () => {
    await ls.annotator.skip(first());

    const [delivery] = hook.received;
    if (delivery === undefined) throw new Error('no delivery');
    expect(backend.parseWebhook(delivery)).toMatchObject([{ type: 'task.updated' }]);
    expect(
      await backend.status(CTX, { taskId: 't', backendTaskId: String(first()), sampleIds: ['s1'] }),
    ).toMatchObject({ state: 'open' });
  });

  it('finishes a task at the project maximum_annotations', async () => {
    const project = ls.state.projects.get(projectId());
    if (project) project.maximum_annotations = 2;
    await ls.annotator.submit(first(), []);
    await ls.annotator.submit(first(), []);

    expect(
      hook.received.flatMap((delivery) =>
        backend.parseWebhook(delivery).map((event) => event.type),
      ),
    ).toEqual(['task.updated', 'task.completed']);
  });

  it('reads a bulk ANNOTATIONS_CREATED, whose singular `annotation` key holds a list', async () => {
    const [one, two] = await ls.annotator.bulkSubmit([
      { taskId: first(), result: [] },
      { taskId: second(), result: [] },
    ]);

    const [delivery] = hook.received;
    if (delivery === undefined) throw new Error('no delivery');
    expect(JSON.parse(delivery.rawBody).annotation).toHaveLength(2);
    expect(backend.parseWebhook(delivery)).toEqual([
      expect.objectContaining({
        type: 'task.completed',
        backendTaskId: String(first()),
        revision: expect.stringMatching(new RegExp(`^${one}@`)),
      }),
      expect.objectContaining({
        type: 'task.completed',
        backendTaskId: String(second()),
        revision: expect.stringMatching(new RegExp(`^${two}@`)),
      }),
    ]);
  });

  it('names the same revision in a duplicated delivery, and loses a dropped one (polling finds it)', async () => {
    ls.webhooks.duplicateNext();
    await ls.annotator.submit(first(), []);
    ls.webhooks.dropNext();
    await ls.annotator.submit(second(), []);

    expect(hook.received).toHaveLength(2);
    const [a, b] = hook.received.map((delivery) => backend.parseWebhook(delivery));
    expect(a).toEqual(b);
    expect(ls.deliveries.at(-1)).toMatchObject({ dropped: true });
    const status = await backend.status(CTX, {
      taskId: 't',
      backendTaskId: String(second()),
      sampleIds: ['s2'],
    });
    expect(status.state).toBe('completed');
  });

  it('reads a task deleted by hand as deleted, and as missing when polled', async () => {
    await ls.annotator.deleteTask(first());

    const [delivery] = hook.received;
    if (delivery === undefined) throw new Error('no delivery');
    expect(backend.parseWebhook(delivery)).toEqual([
      { type: 'task.deleted', backendTaskId: String(first()) },
    ]);
    expect(
      await backend.status(CTX, { taskId: 't', backendTaskId: String(first()), sampleIds: ['s1'] }),
    ).toEqual({ state: 'missing' });
  });

  it('forgets the secret when cleanup deletes the project', async () => {
    const tasks = taskIds.map((id, i) => ({
      taskId: `t${i}`,
      backendTaskId: String(id),
      sampleIds: [`s${i + 1}`],
      backendData: { projectId: projectId() },
    }));
    const secretName = webhookSecretName(projectId());

    await backend.cleanup(CTX, tasks);
    await backend.cleanup(CTX, tasks);

    expect(await secrets.get(secretName)).toBeUndefined();
    expect(ls.isEmpty()).toBe(true);
    expect(ls.violations()).toEqual([]);
  });
});
