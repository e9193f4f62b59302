import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.js';
import { createRunRecord, type RunStatus } from '../../../lib/runs/index.js';
import { type Answer, startCannedApi } from '../client/canned-api.js';

let api: Awaited<ReturnType<typeof startCannedApi>> | undefined;
afterEach(() => api?.stop());

const ARN = 'arn:aws:states:us-east-1:000000000000:execution:Annoflow-AnnotateWorkflow:a-1';
const started = (workflow: string) => ({
  status: 202,
  body: { dataset: 'd', annoKey: 'k', workflow, executionArn: ARN },
});
const execution = (status: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: { executionArn: ARN, status, ...extra },
});
const run = (status: RunStatus) => ({
  status: 200,
  body: {
    ...createRunRecord({
      annoKey: 'k',
      dataset: 'd',
      backend: 'files',
      config: { labelSchema: { gt: { type: 'detections' } }, params: {} },
      now: new Date('2026-01-01T00:00:00.000Z'),
    }),
    status,
    ...(status === 'failed' ? { failure: { code: 'UPLOAD_FAILED', message: 'tool down' } } : {}),
  },
});

async function cli(answers: Record<string, Answer>, ...args: string[]) {
  api = await startCannedApi(answers);
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { isTTY: false, write: (text: string) => (stderr += text) },
    env: { ANNOFLOW_ENDPOINT: api.url },
  });
  return { code, stdout, stderr, received: api.received };
}

describe('annoflow annotate: the request', () => {
  it('turns the options into the annotate request body', async () => {
    const { code, stdout, received } = await cli(
      { 'POST /datasets/d/runs': started('annotate') },
      'annotate',
      'd',
      'k',
      '--label-field',
      'gt',
      '--label-type',
      'detections',
      '--classes',
      'car, person',
      '--attributes',
      'occluded,truncated',
      '--no-allow-additions',
      '--allow-label-edits',
      '--backend',
      'files',
      '--backend-params',
      '{"media_url_expires_in":60}',
      '--tags',
      'val,test',
      '--page-size',
      '50',
      '--unexpected',
      'return',
      '--auto-load',
      '--json',
    );

    expect(code).toBe(0);
    expect(received[0]?.body).toEqual({
      annoKey: 'k',
      labelField: 'gt',
      labelType: 'detections',
      classes: ['car', 'person'],
      attributes: ['occluded', 'truncated'],
      allowAdditions: false,
      allowLabelEdits: true,
      backend: 'files',
      backendParams: { media_url_expires_in: 60 },
      tags: ['val', 'test'],
      pageSize: 50,
      unexpected: 'return',
      autoLoad: true,
    });
    expect(JSON.parse(stdout)).toEqual(started('annotate').body);
  });

  it('sends a run without a label schema as schemaless, for the backend to judge', async () => {
    const { code, received } = await cli(
      { 'POST /datasets/d/runs': started('annotate') },
      'annotate',
      'd',
      'k',
      '--backend',
      'cvat',
      '--backend-params',
      '{"project_name":"street"}',
      '--unexpected',
      'keep',
    );

    expect(code).toBe(0);
    expect(received[0]?.body).toEqual({
      annoKey: 'k',
      backend: 'cvat',
      backendParams: { project_name: 'street' },
      unexpected: 'keep',
    });
  });

  it('reads --label-schema from a file, and JSON classes and attributes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'annoflow-cli-'));
    try {
      const file = join(dir, 'schema.json');
      const labelSchema = { gt: { type: 'detections', classes: ['car'] } };
      await writeFile(file, JSON.stringify(labelSchema));
      const { code, received } = await cli(
        { 'POST /datasets/d/runs': started('annotate') },
        'annotate',
        'd',
        'k',
        '--label-schema',
        file,
        '--classes',
        '[{"classes":["car"],"attributes":true}]',
        '--attributes',
        'true',
        '--sample-ids',
        's1,s2',
      );
      expect(code).toBe(0);
      expect(received[0]?.body).toEqual({
        annoKey: 'k',
        labelSchema,
        classes: [{ classes: ['car'], attributes: true }],
        attributes: true,
        sampleIds: ['s1', 's2'],
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--label-type', 'detections'], '--label-type needs --label-field'],
    [['--classes', 'car'], '--classes needs --label-field'],
    [['--label-field', 'gt', '--tags', 'a', '--sample-ids', 'b'], 'exclude each other'],
    [['--label-field', 'gt', '--allow-deletions', '--no-allow-deletions'], 'exclude each other'],
    [['--label-field', 'gt', '--timeout', '5'], '--timeout applies to --wait only'],
    [['--label-field', 'gt', '--page-size', '0'], '--page-size must be a positive integer'],
    [
      ['--label-field', 'gt', '--unexpected', 'drop'],
      '--unexpected must be keep, ignore or return',
    ],
    [['--label-field', 'gt', '--backend-params', '[1]'], '--backend-params must be a JSON object'],
    [['--label-field', 'gt', '--cleanup'], "'annotate' has no option --cleanup"],
  ])('refuses %j as bad usage, sending nothing', async (options, message) => {
    const { code, stderr, received } = await cli({}, 'annotate', 'd', 'k', ...options);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(received).toEqual([]);
  });
});

describe('annoflow annotate --wait', () => {
  it('returns once the run is open, though the execution still runs', async () => {
    const { code, stdout, stderr } = await cli(
      {
        'POST /datasets/d/runs': started('annotate'),
        'GET /executions': execution('RUNNING'),
        'GET /datasets/d/runs/k': (call) => run(call === 0 ? 'uploading' : 'annotating'),
      },
      'annotate',
      'd',
      'k',
      '--label-field',
      'gt',
      '--wait',
    );

    expect(code).toBe(0);
    expect(stdout).toBe(
      `annotation run k is annotating: 0 task(s) in files\nexecution: ${ARN} (RUNNING)\n`,
    );
    expect(stderr).toBe(
      'annotate k: running, run uploading, tasks 0/0 completed\n' +
        'annotate k: running, run annotating, tasks 0/0 completed\n',
    );
  });

  it('with --wait-for-completion, waits for the execution to end', async () => {
    const { code, stdout } = await cli(
      {
        'POST /datasets/d/runs': started('annotate'),
        'GET /executions': (call) => execution(call === 0 ? 'RUNNING' : 'SUCCEEDED'),
        'GET /datasets/d/runs/k': run('annotating'),
      },
      'annotate',
      'd',
      'k',
      '--label-field',
      'gt',
      '--wait-for-completion',
      '--wait',
      '--json',
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      execution: { status: 'SUCCEEDED' },
      run: { status: 'annotating' },
    });
  });

  it("exits 1 with the run's failure when the run failed", async () => {
    const { code, stdout, stderr } = await cli(
      {
        'POST /datasets/d/runs': started('annotate'),
        'GET /executions': execution('FAILED', {
          error: 'AnnotateFailed',
          cause: JSON.stringify({ errorType: 'BackendError', errorMessage: 'tool down' }),
        }),
        'GET /datasets/d/runs/k': run('failed'),
      },
      'annotate',
      'd',
      'k',
      '--label-field',
      'gt',
      '--wait',
    );

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^error AnnotateFailed: annotate of k FAILED: BackendError: tool down$/m,
    );
  });

  it('gives up after --timeout with WAIT_TIMEOUT', async () => {
    const { code, stderr } = await cli(
      {
        'POST /datasets/d/runs': started('annotate'),
        'GET /executions': execution('RUNNING'),
        'GET /datasets/d/runs/k': run('uploading'),
      },
      'annotate',
      'd',
      'k',
      '--label-field',
      'gt',
      '--wait',
      '--timeout',
      '1',
    );

    expect(code).toBe(1);
    expect(stderr).toMatch(/^error WAIT_TIMEOUT: annotate of k still running after 1 s/m);
  });
});

describe('annoflow load, status', () => {
  it('load without --wait prints the execution to follow', async () => {
    const { code, stdout, received } = await cli(
      { 'POST /datasets/d/runs/k/load': started('load') },
      'load',
      'd',
      'k',
      '--cleanup',
    );

    expect(code).toBe(0);
    expect(received[0]?.body).toEqual({ cleanup: true });
    expect(stdout).toBe(`started loading annotation run k\nexecution: ${ARN}\n`);
  });

  it('status shows a dash for a task the tool no longer has', async () => {
    const { stdout } = await cli(
      {
        'GET /datasets/d/runs/k/status': {
          status: 200,
          body: {
            annoKey: 'k',
            status: 'annotating',
            tasks: [
              {
                taskId: 't0',
                backendTaskId: 'b0',
                status: 'open',
                samples: 3,
                backend: { state: 'completed', updatedAt: '2026-01-02T00:00:00.000Z' },
              },
              { taskId: 't1', backendTaskId: 'b1', status: 'deleted', samples: 2, backend: null },
            ],
          },
        },
      },
      'status',
      'd',
      'k',
    );

    expect(stdout.split('\n')).toEqual([
      'annotation run k: annotating',
      'TASK  TOOL TASK  SAMPLES  STATUS   TOOL STATE  TOOL UPDATED',
      't0    b0         3        open     completed   2026-01-02T00:00:00.000Z',
      't1    b1         2        deleted  -           -',
      '',
    ]);
  });
});
