import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskManifest } from '../../../lib/backends/files/index.js';
import { main } from '../../../lib/cli/main.js';
import type { Detections } from '../../../lib/labels/index.js';
import { seedDemo } from '../../../lib/local/demo.js';
import { type LocalService, startLocalService } from '../../../lib/local/runtime.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
let service: LocalService;

beforeAll(async () => {
  service = await startLocalService({ projectRoot: ROOT });
  await seedDemo(service.store, () => service.settled());
}, 120_000);
afterAll(async () => {
  await service?.stop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The CLI's `main` in this process (the launcher's start-up is `cli.test.ts`'s business):
 * its waits poll the runtime, which runs on this same event loop.
 */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { isTTY: false, write: (text: string) => (stderr += text) },
    env: { ANNOFLOW_ENDPOINT: service.apiUrl },
  });
  return { code, stdout, stderr };
}

const decoder = new TextDecoder();
async function manifest(annoKey: string, taskId: string): Promise<TaskManifest> {
  const object = await service.store.media.read(`runs/demo/${annoKey}/tasks/${taskId}.json`);
  if (!object) throw new Error(`no manifest for ${taskId}`);
  return JSON.parse(decoder.decode(object.body)) as TaskManifest;
}

/** An annotator's work on a task: a `person` drawn on its first sample. */
function withPersonDrawn(task: TaskManifest): TaskManifest {
  const [first, ...rest] = task.samples;
  if (!first) return task;
  const current = (first.fields.ground_truth as Detections | undefined)?.detections ?? [];
  const drawn = { _cls: 'Detection', label: 'person', bounding_box: [0.7, 0.1, 0.1, 0.3] };
  const ground_truth = { _cls: 'Detections', detections: [...current, drawn] };
  return {
    ...task,
    samples: [{ ...first, fields: { ...first.fields, ground_truth } }, ...rest],
  } as TaskManifest;
}

async function deliver(annoKey: string, taskId: string, result: TaskManifest): Promise<void> {
  await service.store.media.put(
    `runs/demo/${annoKey}/results/${taskId}.json`,
    JSON.stringify(result),
    'application/json',
  );
  await service.idle();
}

const ANNOTATE = [
  '--label-field',
  'ground_truth',
  '--label-type',
  'detections',
  '--classes',
  'car,person,bicycle',
  '--backend',
  'files',
  '--no-allow-spatial-edits',
  '--page-size',
  '3',
];

describe('annoflow CLI: an annotation run end to end (files backend, embedded runtime)', () => {
  let taskIds: string[] = [];

  it('annotate --wait --json returns once the run is open, with the execution and run', async () => {
    const run = await cli('annotate', 'demo', 'review', ...ANNOTATE, '--wait', '--json');

    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({
      dataset: 'demo',
      annoKey: 'review',
      workflow: 'annotate',
      execution: { status: 'SUCCEEDED' },
      run: { status: 'annotating', backend: 'files', counters: { tasks: 2 } },
    });
    expect(answer.executionArn).toMatch(/:execution:Annoflow-AnnotateWorkflow:/);
    // Progress went to stderr, one plain line per change (not a terminal).
    expect(run.stderr).toMatch(/^annotate review: /m);
  });

  it('status shows each task as annoflow has it and as the tool has it', async () => {
    const json = await cli('status', 'demo', 'review', '--json');
    const status = JSON.parse(json.stdout) as {
      tasks: Array<{ taskId: string; status: string; backend: { state: string } }>;
    };
    taskIds = status.tasks.map((task) => task.taskId);
    expect(status.tasks.map((task) => [task.status, task.backend.state])).toEqual([
      ['open', 'open'],
      ['open', 'open'],
    ]);

    const text = await cli('status', 'demo', 'review');
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toBe('annotation run review: annotating');
    expect(lines[1]).toMatch(/^TASK\s+TOOL TASK\s+SAMPLES\s+STATUS\s+TOOL STATE\s+TOOL UPDATED$/);
    expect(lines.slice(2)).toHaveLength(2);
    expect(lines[2]).toMatch(new RegExp(`^${taskIds[0]}\\s+\\S+\\s+3\\s+open\\s+open`));
  });

  it('load --wait --json merges the delivered task and prints the report', async () => {
    const [first] = taskIds as [string];
    await deliver('review', first, withPersonDrawn(await manifest('review', first)));

    const run = await cli('load', 'demo', 'review', '--wait', '--json');

    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout);
    expect(answer).toMatchObject({
      workflow: 'load',
      execution: { status: 'SUCCEEDED' },
      report: { totals: { added: 1, edited: 0, deleted: 0, refused: 0 } },
      // One task of two is finished: the run stays open for the other.
      run: { status: 'annotating', counters: { tasks: 2, tasksCompleted: 1, labelsAdded: 1 } },
    });
  });

  it('load --wait in text prints the totals and the run', async () => {
    const run = await cli('load', 'demo', 'review', '--wait');

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'loaded review: 1 added, 0 edited, 0 deleted, 0 refused, 0 skipped, 0 unexpected\n' +
        'run: annotating, 1/2 tasks completed\n',
    );
  });

  it('runs report prints the totals, per field and per task', async () => {
    const run = await cli('runs', 'report', 'demo', 'review');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'totals: 1 added, 0 edited, 0 deleted, 0 refused, 0 skipped, 0 unexpected',
    );
    expect(run.stdout).toMatch(/ground_truth: 1 added, 0 edited, \d+ kept, 0 deleted/);
  });

  it('runs executions lists the annotate and the load, newest first, with who started each', async () => {
    const run = await cli('runs', 'executions', 'demo', 'review');

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^started\s+workflow\s+by\s+status\s+execution$/);
    expect(lines.at(1)).toMatch(/\sload\s+api\s+SUCCEEDED\s+load-/);
    expect(lines.at(-1)).toMatch(/\sannotate\s+api\s+(RUNNING|SUCCEEDED)\s+annotate-/);
  });

  it('runs executions --limit 0 is a usage error', async () => {
    const run = await cli('runs', 'executions', 'demo', 'review', '--limit', '0');
    expect(run.code).toBe(2);
  });

  it('cleanup --wait deletes the tool-side tasks and leaves the run cleaned', async () => {
    const run = await cli('cleanup', 'demo', 'review', '--wait');

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'annotation run review is cleaned: its tasks in the tool are deleted\n',
    );
    expect(
      await service.store.media.stat(`runs/demo/review/tasks/${taskIds[0]}.json`),
    ).toBeUndefined();
  });

  it('exits 1 with the code and message of a refused start', async () => {
    const run = await cli('annotate', 'demo', 'review', ...ANNOTATE);

    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^error RUN_KEY_EXISTS: /);
  });

  it("exits 1 with a failed execution's error and cause", async () => {
    // ground_truth holds detections: asking for classifications fails in the workflow.
    const run = await cli(
      'annotate',
      'demo',
      'wrong',
      '--label-field',
      'ground_truth',
      '--label-type',
      'classification',
      '--classes',
      'car',
      '--wait',
    );

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^error AnnotateRejected: annotate of wrong FAILED: LABEL_TYPE_MISMATCH: .*'classification'/m,
    );
  });

  it('exits 1 naming LABEL_SCHEMA_REQUIRED when a schemaless run goes to a backend that needs a schema', async () => {
    const run = await cli('annotate', 'demo', 'no_schema', '--backend', 'files', '--wait');

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error AnnotateRejected: annotate of no_schema FAILED: LABEL_SCHEMA_REQUIRED: /m,
    );
    expect((await service.store.runs.list('demo')).map((each) => each.annoKey)).not.toContain(
      'no_schema',
    );
  });
});
