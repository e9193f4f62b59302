import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createCvatBackend } from '../../../lib/backends/cvat/index.js';
import {
  BackendRegistry,
  type BackendSecretStore,
  BUILTIN_BACKEND_FACTORIES,
  memorySecretStore,
  type WebhookRequest,
} from '../../../lib/backends/index.js';
import type { AnnotationConfig } from '../../../lib/config/index.js';
import type { Sample } from '../../../lib/labels/index.js';
import type { AnnotateRequest, WorkflowDeps } from '../../../lib/workflows/index.js';
import {
  type CvatEmulator,
  type CvatEmulatorOptions,
  cvatContract,
  startCvatEmulator,
} from '../../emulators/cvat/index.js';
import { detection, detections, oid } from '../../support/builders.js';
import type { LocalStore } from '../../support/local-aws.js';
import { jpeg, mp4 } from '../../support/media.js';
import { depsFor } from '../workflows/run-support.js';

export const DATASET = 'street';
export const ANNO_KEY = 'gt_review';
export const WIDTH = 64;
export const HEIGHT = 48;

/** Sample `s<n>` has one box, id `oid(n)`: odd samples a car, even ones a person. */
export const labelIdOf = (n: number) => oid(n);

/** Six 64×48 images, each with one box at [0.25, 0.25, 0.5, 0.5] (16, 12, 48, 36 in pixels). */
export async function seedSixImages(local: LocalStore): Promise<void> {
  const { store, bucket } = local;
  await store.datasets.create(DATASET, {
    mediaType: 'image',
    sampleFields: { ground_truth: 'Detections' },
  });
  const samples: Sample[] = [];
  for (let n = 1; n <= 6; n += 1) {
    const id = `s${n}`;
    await store.media.put(`datasets/${DATASET}/${id}.jpg`, jpeg(WIDTH, HEIGHT), 'image/jpeg');
    samples.push({
      id,
      filepath: `s3://${bucket}/datasets/${DATASET}/${id}.jpg`,
      media_type: 'image',
      metadata: { width: WIDTH, height: HEIGHT },
      tags: [],
      ground_truth: detections(
        detection(labelIdOf(n), n % 2 === 1 ? 'car' : 'person', {
          bounding_box: [0.25, 0.25, 0.5, 0.5],
        }),
      ),
    });
  }
  await store.samples.batchPut(DATASET, samples);
}

/** Pages of 4 samples, tasks of 2, jobs of 1: pages [s1-s4], [s5-s6] → 3 tasks × 2 jobs. */
export const REQUEST = {
  dataset: DATASET,
  annoKey: ANNO_KEY,
  backend: 'cvat',
  labelField: 'ground_truth',
  classes: ['car', 'person', 'truck'],
  pageSize: 4,
} satisfies AnnotateRequest;

export interface CvatRig {
  deps: WorkflowDeps;
  secrets: BackendSecretStore;
  params: Record<string, unknown>;
}

/** Workflow deps whose registry has the CVAT backend, pointed at the emulator. */
export function cvatRig(
  local: LocalStore,
  cvat: CvatEmulator,
  extra: Record<string, unknown> = {},
): CvatRig {
  const secrets = memorySecretStore();
  const backends = new BackendRegistry({ ...BUILTIN_BACKEND_FACTORIES, cvat: createCvatBackend });
  const params = {
    url: cvat.url,
    token: cvat.tokens.admin,
    task_size: 2,
    segment_size: 1,
    job_poll_interval_ms: 0,
    ...extra,
  };
  const config: AnnotationConfig = { defaultBackend: 'cvat', backends: { cvat: params } };
  // The workflows hand the deps' secret store to every backend they make.
  return { deps: { ...depsFor(local.store, { backends, config }), secrets }, secrets, params };
}

/** A webhook receiver that keeps every delivery as the backend would be given it. */
export async function startReceiver(): Promise<{
  url: string;
  received: WebhookRequest[];
  close(): Promise<void>;
}> {
  const received: WebhookRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      received.push({ headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/cvat`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const CLIPS = 'clips';
/** Frame ids and track label ids of the video `v1`. */
export const FRAME_IDS = [oid(0xf1), oid(0xf2), oid(0xf3)];
export const TRACK_IDS = [oid(0x71), oid(0x72), oid(0x73)];

/** A 10-frame 64×48 video whose frames 1-3 hold one car tracked with index 1. */
export async function seedVideo(local: LocalStore): Promise<void> {
  const { store, bucket } = local;
  await store.datasets.create(CLIPS, {
    mediaType: 'video',
    sampleFields: {},
    frameFields: { detections: 'Detections' },
  });
  await store.media.put(`datasets/${CLIPS}/v1.mp4`, mp4(WIDTH, HEIGHT, 10), 'video/mp4');
  const frames: NonNullable<Sample['frames']> = {};
  FRAME_IDS.forEach((id, at) => {
    frames[String(at + 1)] = {
      id,
      detections: detections(
        detection(TRACK_IDS[at] ?? '', 'car', { index: 1, bounding_box: [0.25, 0.25, 0.5, 0.5] }),
      ),
    };
  });
  await store.samples.batchPut(CLIPS, [
    {
      id: 'v1',
      filepath: `s3://${bucket}/datasets/${CLIPS}/v1.mp4`,
      media_type: 'video',
      metadata: { frame_width: WIDTH, frame_height: HEIGHT, total_frame_count: 10 },
      tags: [],
      frames,
    },
  ]);
}

/**
 * A fresh CVAT emulator per test, handed to `use` (the schema is compiled once per process,
 * before the hooks, since that takes seconds on a busy machine); after each test, every
 * request the backend sent and every answer it read must have matched the published schema.
 */
export function useCvatEmulator(
  use: (emulator: CvatEmulator) => void,
  options: CvatEmulatorOptions = {},
): void {
  let current: CvatEmulator | undefined;
  beforeAll(() => cvatContract().then(() => undefined), 60_000);
  beforeEach(async () => {
    current = await startCvatEmulator(options);
    use(current);
  });
  afterEach(async () => {
    await current?.stop();
    expect(current?.violations()).toEqual([]);
  });
}
