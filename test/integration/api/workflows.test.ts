import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../lib/api/routes/index.js';
import { BackendRegistry } from '../../../lib/backends/index.js';
import type { WorkflowDeps } from '../../../lib/workflows/deps.js';
import { awaitCompletion } from '../../../lib/workflows/index.js';
import { request } from '../../support/http-events.js';
import { useLocalAws } from '../../support/local-aws.js';
import { useLocalWorkflows } from '../../support/local-workflows.js';
import {
  annotateFirstTask,
  annotateRun,
  CONFIG,
  clock,
  DATASET,
  deliver,
  loadRun,
  seedDataset,
} from '../workflows/run-support.js';

const aws = useLocalAws();
const workflows = useLocalWorkflows();

async function newApi() {
  const local = await aws.newStore();
  await seedDataset(local);
  const deps: WorkflowDeps = {
    store: local.store,
    backends: new BackendRegistry(),
    config: CONFIG,
    clock,
    engine: workflows.engine,
  };
  const api: ApiDeps = { store: local.store, mediaBucket: local.bucket, workflows: deps };
  return { local, deps, api };
}

const RUN = { dataset: DATASET, annoKey: 'gt_review' };

describe('API: starting and following annotation runs', () => {
  it('starts AnnotateWorkflow with the request and answers 202 with the execution', async () => {
    const { api } = await newApi();
    const answer = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: DATASET },
      body: { annoKey: 'fresh', labelField: 'ground_truth', classes: ['car'] },
    });
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ dataset: DATASET, annoKey: 'fresh', workflow: 'annotate' });
    const execution = await request(api, 'GET /executions', {
      query: { arn: answer.body.executionArn },
    });
    expect(execution.status).toBe(200);
    expect(execution.body.executionArn).toBe(answer.body.executionArn);
  });

  it.each([
    ['a key that is taken', { annoKey: 'gt_review' }, 409, 'RUN_KEY_EXISTS'],
    ['an invalid key', { annoKey: 'not a key' }, 400, 'INVALID_ANNO_KEY'],
    [
      'both sampleIds and tags',
      { annoKey: 'k', sampleIds: ['s1'], tags: ['x'] },
      400,
      'INVALID_INPUT',
    ],
    ['an unknown field', { annoKey: 'k', labelFeild: 'x' }, 400, 'INVALID_INPUT'],
  ])('refuses %s before starting anything', async (_what, body, status, code) => {
    const { api, deps } = await newApi();
    await annotateRun(deps);
    const before = (await workflows.executions('annotate')).length;
    const answer = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: DATASET },
      body: { labelField: 'ground_truth', ...body },
    });
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
    expect(await workflows.executions('annotate')).toHaveLength(before);
  });

  it('answers 404 for a dataset that does not exist', async () => {
    const { api } = await newApi();
    const answer = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: 'nowhere' },
      body: { annoKey: 'k', labelField: 'ground_truth' },
    });
    expect([answer.status, answer.body.error.code]).toEqual([404, 'DATASET_NOT_FOUND']);
  });

  it('starts a load and a cleanup of an open run; refuses a load of an unknown run', async () => {
    const { api, deps } = await newApi();
    await annotateRun(deps);
    const load = await request(api, 'POST /datasets/{dataset}/runs/{annoKey}/load', {
      params: RUN,
      body: { cleanup: true },
    });
    expect([load.status, load.body.workflow]).toEqual([202, 'load']);
    const cleanup = await request(api, 'POST /datasets/{dataset}/runs/{annoKey}/cleanup', {
      params: RUN,
    });
    expect([cleanup.status, cleanup.body.workflow]).toEqual([202, 'cleanup']);
    const unknown = await request(api, 'POST /datasets/{dataset}/runs/{annoKey}/load', {
      params: { dataset: DATASET, annoKey: 'nope' },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'RUN_NOT_FOUND']);
  });

  it("shows each task's status here and in the tool", async () => {
    const { api, deps, local } = await newApi();
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    const answer = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/status', {
      params: RUN,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('annotating');
    expect(
      answer.body.tasks.map(
        (task: { taskId: string; status: string; backend: { state: string } }) => [
          task.taskId,
          task.status,
          task.backend.state,
        ],
      ),
    ).toEqual([
      ['gt_review-00000', 'open', 'completed'],
      ['gt_review-00001', 'open', 'open'],
    ]);
  });

  it('answers the last load report and its refusals, 404 REPORT_NOT_FOUND before any load', async () => {
    const { api, deps, local } = await newApi();
    await annotateRun(deps);
    const none = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/report', {
      params: RUN,
    });
    expect([none.status, none.body.error.code]).toEqual([404, 'REPORT_NOT_FOUND']);

    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await loadRun(deps, RUN);
    const report = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/report', {
      params: RUN,
    });
    expect(report.status).toBe(200);
    expect(report.body.totals).toMatchObject({ added: 1, edited: 1, deleted: 1, refused: 1 });
    const unexpected = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/unexpected', {
      params: RUN,
    });
    expect(unexpected.status).toBe(200);
    expect(unexpected.body.tasks).toEqual([
      {
        taskId: 'gt_review-00000',
        unexpected: null,
        refused: [expect.objectContaining({ reason: 'SPATIAL_EDIT_NOT_ALLOWED' })],
      },
    ]);
  });

  it('answers 404 REPORT_NOT_FOUND for a new run under the key of a deleted, loaded run', async () => {
    const { api, deps, local } = await newApi();
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    await loadRun(deps, RUN);
    await request(api, 'DELETE /datasets/{dataset}/runs/{annoKey}', { params: RUN });
    await annotateRun({ ...deps, clock: () => new Date('2026-01-03T00:00:00.000Z') });

    const report = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/report', {
      params: RUN,
    });

    expect([report.status, report.body.error?.code]).toEqual([404, 'REPORT_NOT_FOUND']);
  });

  it('answers the last load of a renamed run, whose report stays under its object key', async () => {
    const { api, deps, local } = await newApi();
    await annotateRun(deps);
    await deliver(local, 'gt_review-00000', annotateFirstTask);
    const load = await loadRun(deps, RUN);
    await request(api, 'POST /datasets/{dataset}/runs/{annoKey}/rename', {
      params: RUN,
      body: { newKey: 'renamed' },
    });

    const report = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/report', {
      params: { dataset: DATASET, annoKey: 'renamed' },
    });

    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ loadId: load.plan.loadId, annoKey: 'gt_review' });
    expect(report.body.totals).toMatchObject({ added: 1, edited: 1, deleted: 1, refused: 1 });
    const unexpected = await request(api, 'GET /datasets/{dataset}/runs/{annoKey}/unexpected', {
      params: { dataset: DATASET, annoKey: 'renamed' },
    });
    expect(unexpected.body.tasks).toHaveLength(1);
  });

  it('refuses to describe an execution that is not one of the workflows', async () => {
    const { api } = await newApi();
    const answer = await request(api, 'GET /executions', {
      query: { arn: 'arn:aws:states:us-east-1:000000000000:execution:someone-else:x' },
    });
    expect([answer.status, answer.body.error.code]).toEqual([400, 'INVALID_INPUT']);
  });

  it.each([
    [
      '404 EXECUTION_NOT_FOUND for an execution that does not exist',
      (arn: string) => `${arn.slice(0, arn.lastIndexOf(':'))}:no-such-execution`,
      404,
      'EXECUTION_NOT_FOUND',
    ],
    [
      '400 INVALID_INPUT for an execution name that is not a name',
      (arn: string) => `${arn.slice(0, arn.lastIndexOf(':'))}:bad name!`,
      400,
      'INVALID_INPUT',
    ],
  ])('answers %s, not a bare 500', async (_what, arnOf, status, code) => {
    const { api } = await newApi();
    const started = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: DATASET },
      body: { annoKey: 'fresh', labelField: 'ground_truth', classes: ['car'] },
    });
    const answer = await request(api, 'GET /executions', {
      query: { arn: arnOf(started.body.executionArn as string) },
    });
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
  });

  it('answers 400 for a run request nested too deep, and records no execution intent', async () => {
    const { api } = await newApi();
    const depth = 100_000;
    const answer = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: DATASET },
      rawBody: `{"annoKey":"deep","labelField":"ground_truth","classes":["car"],"backendParams":{"x":${'['.repeat(depth)}${']'.repeat(depth)}}}`,
    });
    expect([answer.status, answer.body.error.code]).toEqual([400, 'INVALID_INPUT']);
    expect(await api.store.executions.listIntents(DATASET, 'deep')).toEqual([]);
  });

  it('refuses credentials in backendParams, naming where and never echoing them; starts nothing', async () => {
    const { api } = await newApi();
    const executions = (await workflows.executions('annotate')).length;

    const answer = await request(api, 'POST /datasets/{dataset}/runs', {
      params: { dataset: DATASET },
      body: {
        annoKey: 'creds',
        labelField: 'ground_truth',
        classes: ['car'],
        backendParams: { url: 'https://cvat.example', password: 'hunter2', headers: { a: 'b' } },
      },
    });

    expect([answer.status, answer.body.error.code]).toEqual([400, 'INVALID_INPUT']);
    expect(answer.body.error.message).toContain("'backendParams.password'");
    expect(answer.body.error.message).toContain('backendCredentials');
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
    expect(await api.store.executions.listIntents(DATASET, 'creds')).toEqual([]);
    expect((await workflows.executions('annotate')).length).toBe(executions);
  });

  it('ends a workflow waiting on a run when the run is deleted', async () => {
    const { api, deps } = await newApi();
    await annotateRun(deps);
    const handedOut = workflows.tokens.length;
    const started = await workflows.engine.start('annotate', `wait-delete-${Date.now()}`, {});
    for (let tries = 0; workflows.tokens.length === handedOut && tries < 500; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const token = workflows.tokens.at(-1) as string;
    await awaitCompletion(deps, { ...RUN, taskToken: token });

    const answer = await request(api, 'DELETE /datasets/{dataset}/runs/{annoKey}', {
      params: RUN,
    });
    // Not settled(): other tests' annotate stand-ins still wait on their tokens.
    let execution = await workflows.engine.describe(started.executionArn);
    for (let tries = 0; execution.status === 'RUNNING' && tries < 500; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      execution = await workflows.engine.describe(started.executionArn);
    }

    expect(answer.status).toBe(204);
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ ...RUN, deleted: true });
  });
});
