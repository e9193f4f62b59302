import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BackendRegistry, BUILTIN_BACKEND_FACTORIES } from '../../../lib/backends/index.js';
import { createLabelStudioBackend } from '../../../lib/backends/labelstudio/index.js';
import { memorySecretStore } from '../../../lib/backends/secrets.js';
import type { AnnotationConfig } from '../../../lib/config/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { cleanupRun, receiveWebhook } from '../../../lib/workflows/index.js';
import type { LabelStudioEmulator } from '../../emulators/labelstudio/index.js';
import { detection, detections } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';
import {
  A,
  annotateRun,
  B,
  C,
  D,
  DATASET,
  depsFor,
  loadRun,
  REQUEST,
  seedDataset,
  snapshot,
} from '../workflows/run-support.js';
import { useLabelStudioEmulator } from './labelstudio-support.js';

const aws = useLocalAws();
let ls: LabelStudioEmulator;

useLabelStudioEmulator((emulator) => {
  ls = emulator;
});

const backends = () =>
  new BackendRegistry({ ...BUILTIN_BACKEND_FACTORIES, labelstudio: createLabelStudioBackend });

function config(apiKey: string): AnnotationConfig {
  return {
    defaultBackend: 'labelstudio',
    backends: { labelstudio: { url: ls.url, api_key: apiKey } },
  };
}

async function annotated(apiKey = ls.legacyToken) {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps = depsFor(local.store, { backends: backends(), config: config(apiKey) });
  const annotate = await annotateRun(deps, { ...REQUEST, backend: 'labelstudio' });
  return { local, deps, annotate };
}

function lsTaskOf(sampleId: string) {
  const task = [...ls.state.tasks.values()].find((row) => row.data.sample_id === sampleId);
  if (task === undefined) throw new Error(`no Label Studio task shows ${sampleId}`);
  return task;
}

/** The annotator's edit of s1 in the editor: A relabelled and moved, B deleted, a bicycle drawn. */
function editedS1(): Record<string, unknown>[] {
  const task = lsTaskOf('s1');
  const prediction = ls.state.predictionsOf(task.id)[0];
  const a = prediction?.result.find((item) => item.id === A);
  if (a === undefined) throw new Error('the prediction of s1 has no region A');
  const value = a.value as Record<string, unknown>;
  return [
    { ...a, value: { ...value, x: 50, y: 50, rectanglelabels: ['truck'] } },
    {
      id: 'Xk3pQ9aZ1b',
      type: 'rectanglelabels',
      from_name: 'ground_truth',
      to_name: 'image',
      original_width: 64,
      original_height: 48,
      image_rotation: 0,
      value: { x: 30, y: 30, width: 10, height: 10, rotation: 0, rectanglelabels: ['bicycle'] },
    },
  ];
}

describe('Label Studio backend through the workflows (emulated Label Studio)', () => {
  it('uploads one Label Studio task per sample with the existing labels as predictions', async () => {
    const { local, annotate } = await annotated();

    expect(annotate.opened).toEqual({ status: 'annotating', tasks: 4 });
    const projects = [...ls.state.projects.values()].filter((project) =>
      project.description.endsWith(`${DATASET}/gt_review`),
    );
    expect(projects).toHaveLength(1);
    expect(projects[0]?.label_config).toContain(
      '<RectangleLabels name="ground_truth" toName="image">',
    );
    const s1 = lsTaskOf('s1');
    expect(String(s1.data.image)).toMatch(
      /^http:\/\/.+datasets\/street\/s1\.jpg\?.*X-Amz-Signature=/,
    );
    const ids = (sampleId: string) =>
      ls.state.predictionsOf(lsTaskOf(sampleId).id).flatMap((p) => p.result.map((item) => item.id));
    expect(ids('s1')).toEqual([A, B]);
    expect(ids('s2')).toEqual([C]);
    expect(ids('s3')).toEqual([D]);
    expect(ids('s4')).toEqual([]);
    const record = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000-0000');
    expect(record).toMatchObject({
      backend: 'labelstudio',
      backendTaskId: String(s1.id),
      sampleIds: ['s1'],
      backendData: { projectId: s1.project },
    });
    expect(ls.violations()).toEqual([]);
  });

  it('loads what the annotator submitted, as the merge semantics say, and cleans up to nothing', async () => {
    const { local, deps } = await annotated();
    await ls.annotator.submit(lsTaskOf('s1').id, editedS1());
    // s2 accepted as predicted: submitted unchanged.
    const s2 = lsTaskOf('s2');
    await ls.annotator.submit(s2.id, ls.state.predictionsOf(s2.id)[0]?.result ?? []);
    // s3 skipped: a cancelled annotation does not finish a task.
    await ls.annotator.skip(lsTaskOf('s3').id);

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(load.plan.taskIds).toEqual(['gt_review-00000-0000', 'gt_review-00000-0001']);
    const samples = await snapshot(local.store);
    const gt = samples.s1?.sample.ground_truth as { detections: Array<Record<string, unknown>> };
    // A relabelled, its box kept (spatial edits are off); B deleted; the bicycle added.
    expect(gt.detections).toEqual([
      detection(A, 'truck'),
      {
        _cls: 'Detection',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        label: 'bicycle',
        bounding_box: [0.3, 0.3, 0.1, 0.1],
      },
    ]);
    expect(samples.s2).toMatchObject({
      version: 0,
      sample: { ground_truth: detections(detection(C, 'car')) },
    });
    expect(samples.s3).toMatchObject({ version: 0 });
    expect(
      load.merged.map(({ added, edited, deleted, refused }) => ({
        added,
        edited,
        deleted,
        refused,
      })),
    ).toEqual([
      { added: 1, edited: 1, deleted: 1, refused: 1 },
      { added: 0, edited: 0, deleted: 0, refused: 0 },
    ]);

    const before = await snapshot(local.store);
    const again = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    expect(await snapshot(local.store)).toEqual(before);
    expect(again.merged).toEqual(load.merged);

    const cleaned = await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    expect(cleaned).toEqual({ status: 'cleaned', tasksCleaned: 4 });
    expect(ls.isEmpty()).toBe(true);
    expect(ls.violations()).toEqual([]);
  });

  it('works with a personal access token, refreshing it when it expires', async () => {
    const { deps } = await annotated(ls.personalAccessToken);
    const refreshes = () => ls.calls.filter((call) => call === 'api_token_refresh_create').length;
    expect(refreshes()).toBeGreaterThan(0);
    ls.expireAccessTokens();
    await ls.annotator.submit(lsTaskOf('s1').id, editedS1());
    const before = refreshes();

    const load = await loadRun(deps, { dataset: DATASET, annoKey: 'gt_review' });

    expect(load.plan.taskIds).toEqual(['gt_review-00000-0000']);
    expect(refreshes()).toBeGreaterThan(before);
    await cleanupRun(deps, { dataset: DATASET, annoKey: 'gt_review' });
    expect(ls.isEmpty()).toBe(true);
    expect(ls.violations()).toEqual([]);
  });
});

describe('Label Studio webhooks through the service (receiveWebhook)', () => {
  it('registers the hook when the run opens, and records a submitted task once however often it is delivered', async () => {
    const outcomes: unknown[] = [];
    const local = await aws.newStore();
    await seedDataset(local);
    let deps: WorkflowDeps | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(request.headers).map(([key, value]) => [key, String(value)]),
        );
        const delivery = { headers, rawBody: Buffer.concat(chunks).toString('utf8') };
        if (deps === undefined) throw new Error('no deps');
        receiveWebhook(deps, 'labelstudio', delivery)
          .then((outcome) => outcomes.push(...outcome.map((o) => o.outcome)))
          .catch((error: unknown) => outcomes.push(String(error)))
          .finally(() => response.writeHead(200).end());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const labelstudio = {
        url: ls.url,
        api_key: ls.legacyToken,
        webhook_url: `http://127.0.0.1:${port}/webhooks/labelstudio`,
      };
      deps = {
        ...depsFor(local.store, {
          backends: backends(),
          config: { defaultBackend: 'labelstudio', backends: { labelstudio } },
        }),
        secrets: memorySecretStore(),
      };
      await annotateRun(deps, { ...REQUEST, backend: 'labelstudio' });
      expect(ls.state.webhooks.size).toBe(1);

      ls.webhooks.duplicateNext();
      await ls.annotator.submit(lsTaskOf('s1').id, editedS1());

      expect(outcomes).toEqual(['recorded', 'duplicate']);
      const task = await local.store.tasks.get(DATASET, 'gt_review', 'gt_review-00000-0000');
      expect(task.status).toBe('completed');
      expect(ls.violations()).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('Label Studio webhooks: one project’s token speaks for that project only', () => {
  it('does not let a delivery signed with run X’s project token delete a task of run Y', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const secrets = memorySecretStore();
    const labelstudio = {
      url: ls.url,
      api_key: ls.legacyToken,
      webhook_url: 'http://127.0.0.1:9/webhooks/labelstudio',
    };
    const deps: WorkflowDeps = {
      ...depsFor(local.store, {
        backends: backends(),
        config: { defaultBackend: 'labelstudio', backends: { labelstudio } },
      }),
      secrets,
    };
    await annotateRun(deps, { ...REQUEST, annoKey: 'run_x', backend: 'labelstudio' });
    await annotateRun(deps, { ...REQUEST, annoKey: 'run_y', backend: 'labelstudio' });
    const [taskX] = (await local.store.tasks.listByRun(DATASET, 'run_x')).items;
    const [taskY] = (await local.store.tasks.listByRun(DATASET, 'run_y')).items;
    if (!taskX || !taskY) throw new Error('expected a task in each run');
    const projectX = z.object({ projectId: z.number() }).parse(taskX.backendData).projectId;
    const projectY = z.object({ projectId: z.number() }).parse(taskY.backendData).projectId;
    expect(projectX).not.toBe(projectY);
    const tokenX = await secrets.get(`labelstudio/webhook/project/${projectX}`);
    if (tokenX === undefined) throw new Error('no token for project X');

    // Whoever can read project X's webhook (its header is visible in Label Studio) forges:
    const forged = {
      headers: { 'x-annoflow-webhook-token': tokenX },
      rawBody: JSON.stringify({
        action: 'TASKS_DELETED',
        project: { id: projectX },
        tasks: [{ id: Number(taskY.backendTaskId) }],
      }),
    };
    // Refused (401) or ignored: either way, run Y's task must not change.
    await receiveWebhook(deps, 'labelstudio', forged).catch(() => []);
    const after = await local.store.tasks.get(DATASET, 'run_y', taskY.taskId);
    expect(after.status).toBe('open');
  });
});
