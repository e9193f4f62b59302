import { describe, expect, it } from 'vitest';
import type { BackendTask, UploadContext } from '../../../lib/backends/backend.js';
import {
  createFilesBackend,
  type FilesBackendParams,
  manifestKey,
  parseBackendTaskId,
  reportKey,
  resultKey,
  type TaskManifest,
} from '../../../lib/backends/files/index.js';
import { buildLabelSchema, FILES_CAPABILITIES, prepareUpload } from '../../../lib/index.js';
import type { Sample } from '../../../lib/labels/index.js';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import type { DatasetSchema } from '../../../lib/schema/types.js';
import { createStore } from '../../../lib/store/index.js';
import { listKeys, readJson } from '../../support/bucket.js';
import { detection, detections, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { jpeg } from '../../support/media.js';

const aws = useLocalAws();

const DATASET = 'street';
const ANNO_KEY = 'gt_review';
const A = oid(0xa);
const B = oid(0xb);
const C = oid(0xc);
const NEW = oid(0x1e1);
const dataset: DatasetSchema = {
  mediaType: 'image',
  sampleFields: { ground_truth: 'Detections', weather: 'StringField' },
};

/** Two images in the bucket and their samples: s1 with boxes A and B, s2 with box C. */
async function seed(local: LocalStore): Promise<Sample[]> {
  await local.store.media.put('datasets/street/a.jpg', jpeg(64, 48), 'image/jpeg');
  await local.store.media.put('datasets/street/b.jpg', jpeg(32, 32), 'image/jpeg');
  const image = (id: string, file: string, fields: Record<string, unknown>): Sample => ({
    id,
    filepath: `s3://${local.bucket}/datasets/street/${file}`,
    media_type: 'image',
    metadata: { width: 64, height: 48 },
    ...fields,
  });
  return [
    image('s1', 'a.jpg', {
      ground_truth: detections(detection(A, 'car'), detection(B, 'person')),
      weather: 'sunny',
    }),
    image('s2', 'b.jpg', { ground_truth: detections(detection(C, 'car')), weather: 'cloudy' }),
  ];
}

/** A run over the samples as the workflows will prepare it: schema, then the upload page. */
function prepareRun(samples: Sample[]) {
  const { labelSchema } = buildLabelSchema(
    { labelSchema: { ground_truth: {}, weather: { type: 'scalar' } } },
    { dataset, samples, backend: FILES_CAPABILITIES },
  );
  const prepared = prepareUpload({ dataset, samples, labelSchema });
  const ctx: UploadContext = {
    run: { dataset: DATASET, annoKey: ANNO_KEY, labelSchema },
    page: { index: 0, samples: prepared.samples },
  };
  return { labelSchema, idMap: prepared.idMap, ctx };
}

/** The backend's clock: links signed at upload expire a week after it. */
const SIGNED_AT = new Date('2026-03-01T12:00:00.000Z');
const A_WEEK_LATER = '2026-03-08T12:00:00.000Z';

async function uploaded(params?: FilesBackendParams) {
  const local = await aws.newStore();
  const samples = await seed(local);
  const run = prepareRun(samples);
  const backend = createFilesBackend({
    objects: local.store.media,
    clock: () => SIGNED_AT,
    ...(params ? { params } : {}),
  });
  const { tasks } = await backend.upload(run.ctx);
  const task = tasks[0] as BackendTask;
  const location = parseBackendTaskId(task.backendTaskId);
  return { local, samples, run, backend, task, location };
}

async function putResult(local: LocalStore, key: string, body: unknown): Promise<void> {
  await local.store.media.put(
    key,
    typeof body === 'string' ? body : JSON.stringify(body),
    'application/json',
  );
}

describe('Backend: files — upload', () => {
  it('writes one manifest per page at runs/<dataset>/<annoKey>/tasks/<taskId>.json', async () => {
    const { local, run, task } = await uploaded();

    expect(task).toEqual({
      taskId: 'gt_review-00000',
      backendTaskId: 'street/gt_review/gt_review-00000',
      sampleIds: ['s1', 's2'],
      backendData: { mediaExpiresAt: A_WEEK_LATER },
    });
    expect(await listKeys(local, 'runs/')).toEqual([
      'runs/street/gt_review/tasks/gt_review-00000.json',
    ]);
    const manifest = (await readJson(
      local,
      'runs/street/gt_review/tasks/gt_review-00000.json',
    )) as TaskManifest;
    expect(manifest).toMatchObject({
      version: 1,
      dataset: DATASET,
      annoKey: ANNO_KEY,
      taskId: 'gt_review-00000',
      labelSchema: run.labelSchema,
    });
    expect(manifest.samples.map(({ mediaUrl, ...rest }) => rest)).toEqual(
      run.ctx.page.samples.map(({ tags, ...rest }) => rest),
    );
  });

  it('links each sample to its media with a presigned URL valid for 7 days', async () => {
    const { local, location } = await uploaded();
    const manifest = (await readJson(local, manifestKey(location))) as TaskManifest;

    const url = manifest.samples[0]?.mediaUrl ?? '';
    const response = await fetch(url);

    expect(url).toContain('X-Amz-Expires=604800');
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(jpeg(64, 48));
  });

  it('passes an http(s) filepath through as the media URL', async () => {
    const local = await aws.newStore();
    const backend = createFilesBackend({ objects: local.store.media });
    const sample = { id: 's1', filepath: 'https://cdn.example.com/a.jpg', fields: {} };

    await backend.upload({
      run: { dataset: DATASET, annoKey: ANNO_KEY, labelSchema: {} },
      page: { index: 0, samples: [sample] },
    });

    const manifest = (await readJson(
      local,
      'runs/street/gt_review/tasks/gt_review-00000.json',
    )) as TaskManifest;
    expect(manifest.samples[0]?.mediaUrl).toBe('https://cdn.example.com/a.jpg');
  });

  it('rewrites the same task and object when a page is uploaded again', async () => {
    const { local, run, backend, task } = await uploaded();

    const again = await backend.upload(run.ctx);

    expect(again.tasks).toEqual([task]);
    expect(await listKeys(local, 'runs/')).toEqual([
      'runs/street/gt_review/tasks/gt_review-00000.json',
    ]);
  });

  it('refreshes a task’s media links by rewriting its manifest, everything else kept', async () => {
    const { local, run, backend, task, location } = await uploaded();
    const key = `runs/street/gt_review/tasks/${location.taskId}.json`;
    const before = (await readJson(local, key)) as TaskManifest;

    const refreshed = await backend.refreshMedia?.({ run: run.ctx.run, media: [] }, task);

    expect(refreshed).toEqual({ expiresAt: A_WEEK_LATER });
    const after = (await readJson(local, key)) as TaskManifest;
    const withoutLinks = (manifest: TaskManifest) =>
      manifest.samples.map(({ mediaUrl: _link, ...sample }) => sample);
    expect(withoutLinks(after)).toEqual(withoutLinks(before));
    expect({ ...after, samples: [] }).toEqual({ ...before, samples: [] });
    for (const sample of after.samples) {
      expect((await fetch(sample.mediaUrl)).status).toBe(200);
    }
  });

  it('refuses to refresh a task whose manifest is gone, naming it', async () => {
    const { run, backend, task } = await uploaded();
    await backend.cleanup(run.ctx, [task]);

    await expect(
      backend.refreshMedia?.({ run: run.ctx.run, media: [] }, task),
    ).rejects.toMatchObject({
      code: 'BACKEND_RESULT_MISSING',
      message: expect.stringContaining("Task 'gt_review-00000' has no manifest"),
    });
  });

  it('refuses to refresh a manifest that is no longer one, leaving it as it is', async () => {
    const { local, run, backend, task, location } = await uploaded();
    const key = `runs/street/gt_review/tasks/${location.taskId}.json`;
    await putResult(local, key, '{"samples": "edited by hand"}');

    await expect(
      backend.refreshMedia?.({ run: run.ctx.run, media: [] }, task),
    ).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: expect.stringContaining('is not a files-backend manifest'),
    });
    expect(await readJson(local, key)).toEqual({ samples: 'edited by hand' });
  });

  it('names pages apart by their index', async () => {
    const { local, run, backend } = await uploaded();

    const { tasks } = await backend.upload({ ...run.ctx, page: { ...run.ctx.page, index: 12 } });

    expect(tasks[0]?.taskId).toBe('gt_review-00012');
    expect(await listKeys(local, 'runs/')).toHaveLength(2);
  });

  it('creates no task for an empty page', async () => {
    const local = await aws.newStore();
    const backend = createFilesBackend({ objects: local.store.media });

    const { tasks } = await backend.upload({
      run: { dataset: DATASET, annoKey: ANNO_KEY, labelSchema: {} },
      page: { index: 0, samples: [] },
    });

    expect(tasks).toEqual([]);
    expect(await listKeys(local)).toEqual([]);
  });

  it('refuses media it cannot link, naming the sample, and writes nothing', async () => {
    const local = await aws.newStore();
    const backend = createFilesBackend({ objects: local.store.media });
    const samples = [
      { id: 's1', filepath: `s3://${local.bucket}/datasets/street/a.jpg`, fields: {} },
      { id: 's2', filepath: '/home/me/b.jpg', fields: {} },
    ];

    const upload = backend.upload({
      run: { dataset: DATASET, annoKey: ANNO_KEY, labelSchema: {} },
      page: { index: 0, samples },
    });

    await expect(upload).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("Sample 's2' has filepath '/home/me/b.jpg'"),
    });
    expect(await listKeys(local)).toEqual([]);
  });

  it('refuses an invalid run key before writing', async () => {
    const local = await aws.newStore();
    const backend = createFilesBackend({ objects: local.store.media });

    const upload = backend.upload({
      run: { dataset: DATASET, annoKey: 'not a key', labelSchema: {} },
      page: { index: 0, samples: [{ id: 's1', filepath: 'https://x/a.jpg', fields: {} }] },
    });

    await expect(upload).rejects.toMatchObject({ code: 'INVALID_ANNO_KEY' });
    expect(await listKeys(local)).toEqual([]);
  });
});

/** The annotator's work on the manifest: relabel A, delete B, add a bicycle, add NEW on s2. */
function annotate(manifest: TaskManifest): TaskManifest {
  const [s1, s2] = manifest.samples as [
    TaskManifest['samples'][number],
    TaskManifest['samples'][number],
  ];
  return {
    ...manifest,
    samples: [
      {
        ...s1,
        fields: {
          ground_truth: detections(detection(A, 'truck'), {
            _cls: 'Detection',
            label: 'bicycle',
            bounding_box: [0.5, 0.5, 0.1, 0.1],
          }),
          weather: 'rainy',
        },
      },
      {
        ...s2,
        fields: {
          ...s2.fields,
          ground_truth: detections(detection(C, 'car'), detection(NEW, 'dog')),
        },
      },
    ],
  };
}

describe('Backend: files — result round trip through mergeAnnotations', () => {
  it('merges exactly what the annotator edited, added and deleted', async () => {
    const { local, samples, run, backend, task, location } = await uploaded();
    const manifest = (await readJson(local, manifestKey(location))) as TaskManifest;
    await putResult(local, resultKey(location), annotate(manifest));

    const annotations = await backend.download({ run: run.ctx.run }, task);
    const merged = mergeAnnotations({
      dataset,
      samples,
      labelSchema: run.labelSchema,
      idMap: run.idMap,
      annotations,
    });

    const bicycle = Object.keys(annotations.ground_truth?.detections?.s1 ?? {}).find(
      (id) => id !== A,
    );
    const sorted = [...merged.report.changes].sort((x, y) =>
      `${x.field}${x.sampleId}${x.labelId}`.localeCompare(`${y.field}${y.sampleId}${y.labelId}`),
    );
    expect(sorted).toEqual(
      [
        { field: 'ground_truth', sampleId: 's1', labelId: A, action: 'edited' },
        { field: 'ground_truth', sampleId: 's1', labelId: B, action: 'deleted' },
        { field: 'ground_truth', sampleId: 's1', labelId: bicycle, action: 'added' },
        { field: 'ground_truth', sampleId: 's2', labelId: NEW, action: 'added' },
        { field: 'weather', sampleId: 's1', action: 'edited' },
      ].sort((x, y) =>
        `${x.field}${x.sampleId}${x.labelId}`.localeCompare(`${y.field}${y.sampleId}${y.labelId}`),
      ),
    );
    expect(merged.report.fields.ground_truth).toMatchObject({
      added: 2,
      edited: 1,
      kept: 1,
      deleted: 1,
    });
    expect(merged.report.refused).toEqual([]);
    expect(merged.report.unexpected).toEqual([]);
  });

  it('reads the same result to the same annotations, so a second load changes nothing', async () => {
    const { local, samples, run, backend, task, location } = await uploaded();
    const manifest = (await readJson(local, manifestKey(location))) as TaskManifest;
    await putResult(local, resultKey(location), annotate(manifest));
    const first = await backend.download({ run: run.ctx.run }, task);
    const merged = mergeAnnotations({
      dataset,
      samples,
      labelSchema: run.labelSchema,
      idMap: run.idMap,
      annotations: first,
    });

    const second = await backend.download({ run: run.ctx.run }, task);
    const again = mergeAnnotations({
      dataset: merged.dataset,
      samples: merged.samples,
      labelSchema: run.labelSchema,
      idMap: merged.idMap,
      annotations: second,
    });

    expect(second).toEqual(first);
    expect(again.report.changes).toEqual([]);
    expect(again.samples).toEqual(merged.samples);
  });

  it('hands a keypoint drawn in the detections field to the merge as unexpected', async () => {
    const { local, samples, run, backend, task, location } = await uploaded();
    const manifest = (await readJson(local, manifestKey(location))) as TaskManifest;
    const nose = { _cls: 'Keypoint', id: oid(0x40), label: 'nose', points: [[0.5, 0.5]] };
    const s1 = manifest.samples[0] as TaskManifest['samples'][number];
    const gt = s1.fields.ground_truth as { detections: unknown[] };
    s1.fields.ground_truth = { ...gt, detections: [...gt.detections, nose] };
    await putResult(local, resultKey(location), manifest);

    const annotations = await backend.download({ run: run.ctx.run }, task);
    const merged = mergeAnnotations({
      dataset,
      samples,
      labelSchema: run.labelSchema,
      idMap: run.idMap,
      annotations,
      unexpected: 'return',
    });

    expect(merged.report.unexpected).toEqual([
      {
        field: 'ground_truth',
        sampleId: 's1',
        labelId: oid(0x40),
        returnType: 'keypoints',
        disposition: 'returned',
      },
    ]);
    expect(merged.report.changes).toEqual([]);
  });
});

describe('Backend: files — malformed results', () => {
  it.each<[string, (manifest: TaskManifest) => unknown, string]>([
    ['a file that is not JSON', () => '{"version": 1, "samples": [', 'is not UTF-8 JSON'],
    [
      'a file of the wrong shape',
      () => ({ version: 1, taskId: 'gt_review-00000', samples: {} }),
      "at 'samples'",
    ],
    [
      'a result naming an unknown sample',
      (manifest) => ({ ...manifest, samples: [...manifest.samples, { id: 'zz', fields: {} }] }),
      "unknown sample 'zz'",
    ],
    [
      'a label that fails its schema',
      (manifest) => {
        const s1 = manifest.samples[0] as TaskManifest['samples'][number];
        s1.fields.ground_truth = detections({ _cls: 'Detection', id: A, bounding_box: 'big' });
        return manifest;
      },
      "at 'samples[0].fields.ground_truth.detections[0].bounding_box'",
    ],
  ])(
    'rejects %s with a typed error, a report beside it, and nothing else',
    async (_name, edit, message) => {
      const { local, run, backend, task, location } = await uploaded();
      const manifest = (await readJson(local, manifestKey(location))) as TaskManifest;
      await putResult(local, resultKey(location), edit(manifest));
      const before = await listKeys(local);

      const download = backend.download({ run: run.ctx.run }, task);

      await expect(download).rejects.toMatchObject({
        name: 'BackendError',
        code: 'BACKEND_RESULT_INVALID',
        message: expect.stringContaining(message),
      });
      expect(await listKeys(local)).toEqual([...before, reportKey(location)].sort());
      const report = await readJson(local, reportKey(location));
      expect(report).toMatchObject({
        version: 1,
        taskId: 'gt_review-00000',
        result: { key: resultKey(location), etag: expect.any(String) },
        valid: false,
        issueCount: expect.any(Number),
        issues: [expect.objectContaining({ message: expect.any(String) })],
      });
    },
  );

  it('rejects a result larger than max_result_bytes without reading it', async () => {
    const { local, run, backend, task, location } = await uploaded({ max_result_bytes: 100 });
    const manifest = await readJson(local, manifestKey(location));
    await putResult(local, resultKey(location), manifest);

    await expect(backend.download({ run: run.ctx.run }, task)).rejects.toMatchObject({
      code: 'BACKEND_RESULT_INVALID',
      message: expect.stringContaining('a result may be at most 100'),
    });
    expect(await readJson(local, reportKey(location))).toMatchObject({ issueCount: 1 });
  });

  it('rejects a result replaced by a larger one after its size was checked, never reading past the cap', async () => {
    const { local, run, task, location } = await uploaded();
    const manifest = await readJson(local, manifestKey(location));
    await putResult(local, resultKey(location), manifest);
    const cap = JSON.stringify(manifest).length + 100;
    // The backend's own clients: the larger upload lands between its HEAD and its GET.
    const clients = aws.newClients();
    const objects = createStore(clients, { tableName: local.tableName, bucket: local.bucket });
    (await clients.s3.get()).middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') {
          await putResult(local, resultKey(location), {
            ...(manifest as object),
            notes: 'x'.repeat(cap),
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'uploadBetweenHeadAndGet' },
    );
    const backend = createFilesBackend({
      objects: objects.media,
      params: { max_result_bytes: cap },
    });

    await expect(backend.download({ run: run.ctx.run }, task)).rejects.toMatchObject({
      code: 'BACKEND_RESULT_INVALID',
      message: expect.stringContaining(`a result may be at most ${cap}`),
    });
  });

  it('answers a task without a result with BACKEND_RESULT_MISSING and writes nothing', async () => {
    const { local, run, backend, task } = await uploaded();
    const before = await listKeys(local);

    await expect(backend.download({ run: run.ctx.run }, task)).rejects.toMatchObject({
      code: 'BACKEND_RESULT_MISSING',
      message: expect.stringContaining('has no result yet'),
    });
    expect(await listKeys(local)).toEqual(before);
  });
});

describe('Backend: files — status', () => {
  it('is open while the task has a manifest and no result', async () => {
    const { run, backend, task } = await uploaded();

    expect(await backend.status({ run: run.ctx.run }, task)).toEqual({
      state: 'open',
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('is completed once the result exists', async () => {
    const { local, run, backend, task, location } = await uploaded();
    await putResult(local, resultKey(location), {});

    expect(await backend.status({ run: run.ctx.run }, task)).toMatchObject({ state: 'completed' });
  });

  it('is missing when the manifest is gone and there is no result', async () => {
    const { local, run, backend, task, location } = await uploaded();
    await local.store.media.delete(manifestKey(location));

    expect(await backend.status({ run: run.ctx.run }, task)).toEqual({ state: 'missing' });
  });
});

describe('Backend: files — cleanup', () => {
  it('deletes the manifests and keeps results and reports; a second cleanup is fine', async () => {
    const { local, run, backend, task, location } = await uploaded();
    await putResult(local, resultKey(location), 'not json');
    await expect(backend.download({ run: run.ctx.run }, task)).rejects.toThrow();

    await backend.cleanup({ run: run.ctx.run }, [task]);
    await backend.cleanup({ run: run.ctx.run }, [task]);

    expect(await listKeys(local, 'runs/')).toEqual(
      [reportKey(location), resultKey(location)].sort(),
    );
    expect(await backend.status({ run: run.ctx.run }, task)).toMatchObject({ state: 'completed' });
  });
});

describe('Backend: files — webhooks', () => {
  it('registers nothing: the S3 notification on results is its webhook', async () => {
    const { local, run, backend } = await uploaded();
    const before = await listKeys(local);

    await backend.registerWebhooks({ run: run.ctx.run });

    expect(await listKeys(local)).toEqual(before);
  });

  it('verifies and parses the S3 event of a result upload in its own bucket', async () => {
    const { local, backend, location } = await uploaded();
    const rawBody = JSON.stringify({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          eventTime: new Date().toISOString(),
          s3: {
            bucket: { name: local.bucket },
            object: { key: resultKey(location), sequencer: '0000000000000042' },
          },
        },
      ],
    });

    expect(await backend.verifyWebhook({ headers: {}, rawBody })).toBe(true);
    expect(backend.parseWebhook({ headers: {}, rawBody })).toEqual([
      {
        type: 'task.completed',
        backendTaskId: 'street/gt_review/gt_review-00000',
        revision: '0000000000000042',
      },
    ]);
  });
});
