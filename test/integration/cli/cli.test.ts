import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnoflowClient } from '../../../lib/client/index.js';
import { encodePng } from '../../../lib/local/png.js';
import { createRunRecord } from '../../../lib/runs/index.js';
import { startApi } from '../../support/api-gateway.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const aws = useLocalAws();
let local: LocalStore;
let api: Awaited<ReturnType<typeof startApi>>;
let work: string;

beforeAll(async () => {
  local = await aws.newStore();
  api = await startApi(local);
  work = await mkdtemp(join(tmpdir(), 'annoflow-cli-'));
});
afterAll(async () => {
  await api?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in a child process, pointed at this file's API and S3 stand-in. Asynchronous
 * on purpose: the API it talks to is served by this process's event loop.
 */
function cli(args: string[], env: Record<string, string> = {}, launcher = false): Promise<Run> {
  const [command, prefix] = launcher
    ? [process.execPath, ['bin/annoflow.mjs']]
    : [join(ROOT, 'node_modules/.bin/tsx'), ['bin/annoflow.ts']];
  const {
    AWS_PROFILE: _profile,
    AWS_ACCESS_KEY_ID: _id,
    AWS_SECRET_ACCESS_KEY: _secret,
    ...inherited
  } = process.env;
  return new Promise((resolve) => {
    execFile(
      command,
      [...prefix, ...args],
      {
        cwd: ROOT,
        env: {
          ...inherited,
          ANNOFLOW_ENDPOINT: api.url,
          AWS_ENDPOINT_URL_S3: aws.standIns.s3Endpoint,
          ANNOFLOW_BUCKET: local.bucket,
          AWS_REGION: 'us-east-1',
          ...env,
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const png = (shade: number) => encodePng(4, 3, () => [shade, 255 - shade, 128]);

async function bucketKeys(prefix: string): Promise<string[]> {
  const listed = await (await local.clients.s3.get()).send(
    new ListObjectsV2Command({ Bucket: local.bucket, Prefix: prefix }),
  );
  return (listed.Contents ?? []).map((object) => object.Key as string).sort();
}

describe('annoflow CLI', () => {
  it('prints its usage for --help through the npm bin launcher', async () => {
    const run = await cli(['--help'], {}, true);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: annoflow/);
    expect(run.stdout).toContain('datasets create <name> --media-type image|video');
  });

  it('refuses a bad command line with exit status 2 and the usage on stderr', async () => {
    const [unknown, missingOption, noEndpoint] = await Promise.all([
      cli(['datasets', 'frobnicate']),
      cli(['datasets', 'create', 'x', '--json']),
      cli(['datasets', 'list'], { ANNOFLOW_ENDPOINT: '' }),
    ]);
    for (const run of [unknown, missingOption, noEndpoint]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Usage: annoflow');
    }
    expect(unknown.stderr).toMatch(/^error: unknown command 'datasets frobnicate'/);
    expect(missingOption.stderr).toContain('--media-type image|video is required');
    expect(noEndpoint.stderr).toContain('ANNOFLOW_ENDPOINT');
  });

  it('creates, lists and shows datasets, in text and as JSON', async () => {
    const created = await cli(['datasets', 'create', 'cars', '--media-type', 'image']);
    expect(created).toMatchObject({ code: 0, stdout: 'created dataset cars (image)\n' });
    const createdJson = await cli([
      'datasets',
      'create',
      'clips',
      '--media-type',
      'video',
      '--json',
    ]);
    expect(createdJson.code).toBe(0);
    expect(JSON.parse(createdJson.stdout)).toMatchObject({
      name: 'clips',
      schema: { mediaType: 'video' },
    });

    const [list, listJson, show] = await Promise.all([
      cli(['datasets', 'list']),
      cli(['datasets', 'list', '--json']),
      cli(['datasets', 'show', 'cars']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+MEDIA\s+FIELDS\s+UPDATED\n/);
    expect(list.stdout).toMatch(/^cars\s+image\s+0\s/m);
    expect(list.stdout).toMatch(/^clips\s+video\s+0\s/m);
    const names = (JSON.parse(listJson.stdout) as Array<{ name: string }>).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['cars', 'clips']));
    expect(show.stdout).toContain('name:     cars\nmedia:    image\nsamples:  0\n');
  });

  it('prints an API error as "error CODE: message" and exits 1, stdout empty', async () => {
    const run = await cli(['datasets', 'show', 'nowhere', '--json']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error DATASET_NOT_FOUND: .*nowhere/);
  });

  it('imports a folder of images: each uploaded to S3 under datasets/<name>/', async () => {
    const folder = join(work, 'photos');
    await mkdir(join(folder, 'night'), { recursive: true });
    await writeFile(join(folder, 'a.png'), png(10));
    await writeFile(join(folder, 'b.png'), png(20));
    await writeFile(join(folder, 'night', 'c.png'), png(30));
    await writeFile(join(folder, 'notes.txt'), 'not an image');

    const run = await cli(['import', 'photos', folder, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      dataset: 'photos',
      format: 'media',
      uploaded: 3,
      prefix: `s3://${local.bucket}/datasets/photos/`,
      skipped: ['notes.txt'],
      imported: null,
      fields: null,
    });
    expect(await bucketKeys('datasets/photos/')).toEqual([
      'datasets/photos/a.png',
      'datasets/photos/b.png',
      'datasets/photos/night/c.png',
    ]);
    const object = await (await local.clients.s3.get()).send(
      new GetObjectCommand({ Bucket: local.bucket, Key: 'datasets/photos/night/c.png' }),
    );
    expect(object.ContentType).toBe('image/png');
    expect(
      Buffer.from(
        await (
          object.Body as { transformToByteArray(): Promise<Uint8Array> }
        ).transformToByteArray(),
      ),
    ).toEqual(png(30));
  });

  it('imports a FiftyOne export folder: data/ to S3, samples through the API; samples list filters', async () => {
    const folder = join(work, 'export');
    await mkdir(join(folder, 'data'), { recursive: true });
    await writeFile(join(folder, 'data', 'one.png'), png(40));
    await writeFile(join(folder, 'data', 'two.png'), png(50));
    const sample = (n: number, tags: string[], labelled: boolean) => ({
      _id: { $oid: `64b0000000000000000000a${n}` },
      filepath: `data/${n === 1 ? 'one' : 'two'}.png`,
      tags,
      ...(labelled ? { ground_truth: { _cls: 'Classification', label: 'cat' } } : {}),
    });
    await writeFile(
      join(folder, 'samples.json'),
      JSON.stringify({ samples: [sample(1, ['val'], true), sample(2, ['train'], false)] }),
    );
    await new AnnoflowClient({ endpoint: api.url }).datasets.create({
      name: 'pets',
      mediaType: 'image',
    });

    const run = await cli(['import', 'pets', folder]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `imported 2 samples into pets\nfields: ground_truth (Classification)\nuploaded 2 files to s3://${local.bucket}/datasets/pets/\n`,
    );
    expect(await bucketKeys('datasets/pets/')).toEqual([
      'datasets/pets/one.png',
      'datasets/pets/two.png',
    ]);

    const [labelled, tagged] = await Promise.all([
      cli(['samples', 'list', 'pets', '--has-field', 'ground_truth', '--json']),
      cli(['samples', 'list', 'pets', '--tags', 'train,test']),
    ]);
    const ids = (run: Run) =>
      (JSON.parse(run.stdout) as Array<{ sample: { id: string } }>).map((s) => s.sample.id).sort();
    expect(ids(labelled)).toEqual(['64b0000000000000000000a1']);
    expect(tagged.stdout).toMatch(
      /^ID\s+FILEPATH\s+TAGS\n64b0000000000000000000a2\s+s3:\/\/\S+\/datasets\/pets\/two\.png\s+train\n$/,
    );
  });

  it('lists annotation runs sorted by key as JSON, filters them, and manages one', async () => {
    await local.store.datasets.create('runs-cli', { mediaType: 'image', sampleFields: {} });
    for (const [annoKey, backend] of [
      ['review', 'files'],
      ['audit', 'cvat'],
      ['first_pass', 'files'],
    ] as const) {
      await local.store.runs.create(
        createRunRecord({
          annoKey,
          dataset: 'runs-cli',
          backend,
          config: { labelSchema: { gt: { type: 'detections' } }, params: { password: 'pw' } },
          now: new Date('2026-01-01T00:00:00.000Z'),
        }),
      );
    }

    const [listed, files, badStatus] = await Promise.all([
      cli(['runs', 'list', 'runs-cli', '--json']),
      cli(['runs', 'list', 'runs-cli', '--backend', 'files']),
      cli(['runs', 'list', 'runs-cli', '--status', 'done']),
    ]);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const runs = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(runs.map((run) => run.annoKey)).toEqual(['audit', 'first_pass', 'review']);
    expect(runs[0]).toEqual({
      annoKey: 'audit',
      backend: 'cvat',
      status: 'registered',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      counters: expect.objectContaining({ tasks: 0 }),
    });
    expect(files.stdout).toMatch(/^KEY\s+BACKEND\s+STATUS\s+TASKS\s+CREATED\nfirst_pass\s+files\s/);
    expect(files.stdout).not.toContain('audit');
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status must be one of registered, uploading');

    const renamed = await cli(['runs', 'rename', 'runs-cli', 'audit', 'audit_2', '--json']);
    expect(renamed.code).toBe(0);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ annoKey: 'audit_2', backend: 'cvat' });
    const info = await cli(['runs', 'info', 'runs-cli', 'audit_2']);
    expect(info.stdout).toContain('key:      audit_2\nbackend:  cvat\nstatus:   registered\n');
    // Renamed, its files stay where they were.
    expect(info.stdout).toContain('objects:  runs/runs-cli/audit/\n');
    expect(info.stdout).not.toContain('"pw"');
    const deleted = await cli(['runs', 'delete', 'runs-cli', 'audit_2']);
    expect(deleted.stdout).toBe(
      "deleted annotation run audit_2 (merged labels and the tool's tasks are kept)\n",
    );
    const missing = await cli(['runs', 'info', 'runs-cli', 'audit_2']);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: "error RUN_NOT_FOUND: Dataset has no annotation run key 'audit_2'\n",
    });
  });
});
