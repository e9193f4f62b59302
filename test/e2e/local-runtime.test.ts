import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, WEBHOOK_ROUTES } from '../../cdk/function-entries.js';
import { seedDemo } from '../../lib/local/demo.js';
import { encodePng } from '../../lib/local/png.js';
import { type LocalService, startLocalService } from '../../lib/local/runtime.js';

const projectRoot = resolve(import.meta.dirname, '..', '..');
let service: LocalService;
let s3: S3Client;

beforeAll(async () => {
  service = await startLocalService({ projectRoot });
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint: service.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await service?.stop();
});

const api = async (path: string, init?: RequestInit) => {
  const response = await fetch(`${service.apiUrl}${path}`, init);
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
};
const put = (key: string, body: Uint8Array | string, contentType: string) =>
  s3.send(
    new PutObjectCommand({
      Bucket: service.model.mediaBucket,
      Key: key,
      Body: body,
      ContentType: contentType,
    }),
  );

describe('e2e: the embedded runtime (npm start)', () => {
  it('serves exactly the routes the CDK stack declares', () => {
    expect(service.model.routes.map((route) => route.routeKey).sort()).toEqual(
      [...API_ROUTES, ...WEBHOOK_ROUTES].sort(),
    );
  });

  it('answers the Step Functions API with every state machine of the stack', async () => {
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: service.stepFunctionsEndpoint });
    const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
    sfn.destroy();
    const declared = Object.values(service.model.resources).filter(
      (resource) => resource.Type === 'AWS::StepFunctions::StateMachine',
    );
    expect(stateMachines).toHaveLength(declared.length);
  });

  it('turns images uploaded to S3 into samples found through the API, and rejects what is not media', async () => {
    expect(
      (
        await api('/datasets', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"street","mediaType":"image"}',
        })
      ).status,
    ).toBe(201);

    for (let i = 0; i < 3; i += 1)
      await put(
        `datasets/street/cam ${i}.png`,
        encodePng(20 + i, 10, () => [i * 50, 0, 0]),
        'image/png',
      );
    await put('datasets/street/readme.txt', 'just text', 'text/plain');
    await put(
      'elsewhere/ignored.png',
      encodePng(4, 4, () => [0, 0, 0]),
      'image/png',
    );
    await service.settled();

    const { body } = await api('/datasets/street/samples');
    const samples = (
      body as { items: Array<{ sample: { filepath: string; metadata: { width: number } } }> }
    ).items;
    expect(samples.map((item) => item.sample.metadata.width).sort()).toEqual([20, 21, 22]);
    expect(
      samples.every((item) =>
        item.sample.filepath.startsWith(`s3://${service.model.mediaBucket}/datasets/street/cam `),
      ),
    ).toBe(true);
    expect(
      await service.store.mediaObjects.get('street', 'datasets/street/readme.txt'),
    ).toMatchObject({ status: 'rejected' });
    expect((await api('/datasets/street')).body).toMatchObject({ counts: { samples: 3 } });
  });

  it('finds the same samples through the annoflow CLI', async () => {
    const { stdout } = await promisify(execFile)(
      join(projectRoot, 'node_modules/.bin/tsx'),
      ['bin/annoflow.ts', 'samples', 'list', 'street', '--json'],
      { cwd: projectRoot, env: { ...process.env, ANNOFLOW_ENDPOINT: service.apiUrl } },
    );
    const listed = JSON.parse(stdout) as unknown;
    const items = Array.isArray(listed) ? listed : (listed as { items: unknown[] }).items;
    expect(items).toHaveLength(3);
  }, 30_000);

  it('tags a sample media:missing when its object is deleted from S3', async () => {
    await put(
      'datasets/gone/a.png',
      encodePng(8, 8, () => [1, 2, 3]),
      'image/png',
    );
    await service.settled();
    await s3.send(
      new DeleteObjectCommand({ Bucket: service.model.mediaBucket, Key: 'datasets/gone/a.png' }),
    );
    await service.settled();

    const { body } = await api('/datasets/gone/samples?tags=media:missing');
    expect((body as { items: unknown[] }).items).toHaveLength(1);
  });

  it('answers bad requests with a clear error and changes nothing', async () => {
    const { status, body } = await api('/datasets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"../etc"}',
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect((await api('/datasets/..%2Fetc')).status).toBe(400);
  });
});

describe('e2e: restarting the embedded runtime', () => {
  it('keeps its data under the data directory and seeds the demo only once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'annoflow-data-'));
    try {
      const first = await startLocalService({ projectRoot, dataDir });
      expect(await seedDemo(first.store, () => first.settled())).toBe(true);
      await first.stop();

      const second = await startLocalService({ projectRoot, dataDir });
      try {
        expect(await seedDemo(second.store, () => second.settled())).toBe(false);
        const response = await fetch(`${second.apiUrl}/datasets/demo`);
        expect(await response.json()).toMatchObject({
          counts: { samples: 6 },
          schema: { sampleFields: { ground_truth: 'Detections', predictions: 'Detections' } },
        });
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
