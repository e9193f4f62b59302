import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import {
  AnnoflowApiError,
  AnnoflowClient,
  createSigV4Signer,
  type Dataset,
  hasUserInfo,
  isLoopback,
  regionOfEndpoint,
  type StoredSample,
} from '../client/index.js';
import { AnnoflowError, InvalidInputError, parseInput } from '../errors/index.js';
import { cocoToSamples } from '../ingest/coco.js';
import { parseFiftyOneSamples } from '../labels/fiftyone-json.js';
import { mediaTypeSchema } from '../labels/schemas.js';
import { objectKeyOf } from '../runs/keys.js';
import { RUN_STATUSES, type RunStatus, runStatusSchema } from '../runs/status.js';
import type { StoreClients } from '../store/clients.js';
import { datasetNameSchema, runObjectPrefix } from '../store/keys.js';
import type { MediaFile } from './media.js';
import { type ProgressStream, progressBar } from './progress.js';
import { RUN_COMMANDS, RUN_OPTIONS, RUN_USAGE } from './run-commands.js';
import { table } from './table.js';
import { CliUsageError, positiveInt } from './usage-error.js';

export const USAGE = `Usage: annoflow [options] <command>

Commands:
  datasets create <name> --media-type image|video   create a dataset
  datasets list                                      every dataset
  datasets show <name>                               media type, fields, sample count
  datasets delete <name>                             delete a dataset, its samples and runs
                                                     (its media objects stay in S3)
  samples list <dataset> [--limit N | --all] [--tags a,b] [--has-field f]
                                                     samples (default: the first 100);
                                                     --tags keeps samples with any of the tags
  runs list <dataset> [--backend b] [--status s]     annotation runs, sorted by key
  runs info <dataset> <annoKey>                      a run's config, status and counters
  runs rename <dataset> <annoKey> <newKey>           rename a run (its tasks move with it)
  runs delete <dataset> <annoKey>                    delete a run's record and task records
                                                     (merged labels and the tool's tasks stay)
${RUN_USAGE}  import <dataset> <path> [--format fiftyone|coco|media] [--label-field f]
                          [--media dir] [--skip-upload]
      <path> is one of
        a FiftyOne export folder (or its samples.json): its data/ media is uploaded to
          S3 under datasets/<dataset>/, then its samples are imported
        a COCO detections file (--format coco; images from --media dir, if given)
        a folder of images or videos: uploaded under datasets/<dataset>/, where ingest
          turns each into a sample (the dataset is created by its first object)

Options:
  --endpoint URL   the API, e.g. http://127.0.0.1:3000 (local, no auth) or
                   https://<id>.execute-api.<region>.amazonaws.com (SigV4-signed)
                   (env ANNOFLOW_ENDPOINT)
  --profile NAME   AWS profile for signing and uploads (default: AWS_PROFILE, the chain)
  --region NAME    AWS region (API: default the endpoint's, else env AWS_REGION;
                   S3: env AWS_REGION, else the endpoint's)
  --bucket NAME    the media bucket, for uploads (env ANNOFLOW_BUCKET); S3 itself is
                   reached at AWS_ENDPOINT_URL_S3 when set (the local runtime's S3)
  --json           print only JSON on stdout (progress and errors go to stderr)
  -h, --help       this help

Exit status: 0 done, 1 the command failed ("error CODE: message"; for a workflow
waited on with --wait, the failed execution's error and cause), 2 bad usage.
`;

export { CliUsageError } from './usage-error.js';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const OPTIONS = {
  endpoint: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  bucket: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'media-type': { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  tags: { type: 'string' },
  'has-field': { type: 'string' },
  format: { type: 'string' },
  'label-field': { type: 'string' },
  media: { type: 'string' },
  'skip-upload': { type: 'boolean' },
  backend: { type: 'string' },
  status: { type: 'string' },
  ...RUN_OPTIONS,
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parse>['values'];

const GLOBAL_OPTIONS: readonly OptionName[] = [
  'endpoint',
  'profile',
  'region',
  'bucket',
  'json',
  'help',
];

interface Command {
  readonly args: readonly string[];
  readonly options: readonly OptionName[];
  run(context: Context, args: string[]): Promise<void>;
}

const parse = (argv: string[]) =>
  parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });

/** Runs the CLI; resolves to the exit status. Never calls `process.exit`. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  let context: Context | undefined;
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw new CliUsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length === 0) throw new CliUsageError('no command given');
    const [group = '', sub = ''] = positionals;
    const name = Object.hasOwn(COMMANDS, group) ? group : `${group} ${sub}`;
    const command = COMMANDS[name];
    if (!command) throw new CliUsageError(`unknown command '${positionals.slice(0, 2).join(' ')}'`);
    const args = positionals.slice(name.split(' ').length);
    if (args.length !== command.args.length) {
      throw new CliUsageError(
        `'${name}' takes ${command.args.map((arg) => `<${arg}>`).join(' ') || 'no arguments'}`,
      );
    }
    for (const option of Object.keys(values) as OptionName[]) {
      if (!GLOBAL_OPTIONS.includes(option) && !command.options.includes(option)) {
        throw new CliUsageError(`'${name}' has no option --${option}`);
      }
    }
    context = new Context(values, io);
    await command.run(context, args);
    return 0;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const { code, message } = describeError(error);
    io.stderr.write(`error ${code}: ${message}\n`);
    return 1;
  } finally {
    context?.close();
  }
}

function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof AnnoflowApiError || error instanceof AnnoflowError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof Error) {
    // Node system errors (ENOENT, ECONNREFUSED) carry a code; AWS SDK errors a name.
    const own = (error as { code?: unknown }).code;
    const code = typeof own === 'string' ? own : error.name === 'Error' ? 'ERROR' : error.name;
    return { code, message: error.message.replace(`${code}: `, '') };
  }
  return { code: 'ERROR', message: String(error) };
}

/** Settings and lazily built clients for one run. */
class Context {
  readonly json: boolean;
  readonly #values: Values;
  readonly #io: CliIo;
  #client: AnnoflowClient | undefined;
  #storeClients: StoreClients | undefined;
  #closeStoreClients: (() => void) | undefined;

  constructor(values: Values, io: CliIo) {
    this.#values = values;
    this.#io = io;
    this.json = values.json === true;
  }

  get values(): Values {
    return this.#values;
  }

  get stderr(): ProgressStream {
    return this.#io.stderr;
  }

  get #env() {
    return this.#io.env;
  }

  get #profile(): string | undefined {
    return this.#values.profile;
  }

  #region(endpoint?: string): string | undefined {
    return (
      this.#values.region ||
      this.#env.AWS_REGION ||
      this.#env.AWS_DEFAULT_REGION ||
      (endpoint ? regionOfEndpoint(endpoint) : undefined)
    );
  }

  /** The API client: unsigned for a loopback endpoint, SigV4 otherwise. */
  get client(): AnnoflowClient {
    if (this.#client) return this.#client;
    const endpoint = this.#values.endpoint || this.#env.ANNOFLOW_ENDPOINT;
    if (!endpoint) throw new CliUsageError('no endpoint: pass --endpoint or set ANNOFLOW_ENDPOINT');
    // Never echoed: a user and password in the URL are secrets (and fetch refuses them).
    if (URL.canParse(endpoint) && hasUserInfo(new URL(endpoint))) {
      throw new CliUsageError(
        'the endpoint must not carry a user or password (user:password@): requests to a ' +
          'deployed API are signed with AWS credentials',
      );
    }
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
      throw new CliUsageError(`--endpoint '${endpoint}' is not an http(s) URL`);
    }
    let signer: ReturnType<typeof createSigV4Signer> | false = false;
    if (!isLoopback(endpoint)) {
      // An execute-api host names the only region API Gateway accepts a signature for: it
      // beats AWS_REGION (often a shell default for something else); --region still wins.
      const region = this.#values.region || regionOfEndpoint(endpoint) || this.#region(endpoint);
      if (!region) throw new CliUsageError(`no region to sign for ${endpoint}: pass --region`);
      signer = createSigV4Signer({ region, profile: this.#profile });
    }
    this.#client = new AnnoflowClient({ endpoint, signer });
    return this.#client;
  }

  /**
   * The media bucket and an S3 client for it (the local runtime's S3 when
   * AWS_ENDPOINT_URL_S3 is set). The SDK is loaded only here: most commands never need it.
   */
  async media(): Promise<{ bucket: string; s3: StoreClients['s3'] }> {
    const bucket = this.#values.bucket || this.#env.ANNOFLOW_BUCKET;
    if (!bucket) {
      throw new CliUsageError(
        'uploading media needs the bucket: pass --bucket or set ANNOFLOW_BUCKET (or --skip-upload)',
      );
    }
    if (!this.#storeClients) {
      const s3Endpoint = this.#env.AWS_ENDPOINT_URL_S3 || undefined;
      const local = s3Endpoint !== undefined && isLoopback(s3Endpoint);
      const endpoint = this.#values.endpoint || this.#env.ANNOFLOW_ENDPOINT;
      const region = this.#region(endpoint) ?? (local ? 'us-east-1' : undefined);
      if (!region) throw new CliUsageError('no region for S3: pass --region or set AWS_REGION');
      // The local S3 stand-in (s3rver) checks only the access key id, and only this one.
      const credentials = this.#profile
        ? defaultProvider({ profile: this.#profile })
        : local && !this.#env.AWS_ACCESS_KEY_ID
          ? { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
          : undefined;
      const { createStoreClients, destroyStoreClients } = await import('../store/clients.js');
      const clients = createStoreClients({
        region,
        s3Endpoint,
        ...(credentials ? { credentials } : {}),
      });
      this.#storeClients = clients;
      this.#closeStoreClients = () => destroyStoreClients(clients);
    }
    return { bucket, s3: this.#storeClients.s3 };
  }

  /** Human text, or (with --json) only `json` on stdout. */
  print(json: unknown, human: () => string): void {
    this.#io.stdout.write(this.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
  }

  close(): void {
    this.#closeStoreClients?.();
  }
}

const fieldList = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([name, type]) => `${name} (${type})`)
    .join(', ') || 'none';

const COMMANDS: Record<string, Command> = {
  'datasets create': {
    args: ['name'],
    options: ['media-type'],
    async run(context, [name = '']) {
      const mediaType = context.values['media-type'];
      if (mediaType === undefined) throw new CliUsageError('--media-type image|video is required');
      const parsed = mediaTypeSchema.safeParse(mediaType);
      if (!parsed.success) {
        throw new CliUsageError(`--media-type must be image or video, not '${mediaType}'`);
      }
      const dataset = await context.client.datasets.create({ name, mediaType: parsed.data });
      context.print(dataset, () => `created dataset ${dataset.name} (${dataset.schema.mediaType})`);
    },
  },

  'datasets list': {
    args: [],
    options: [],
    async run(context) {
      const datasets: Dataset[] = [];
      for await (const dataset of context.client.datasets.iterate()) datasets.push(dataset);
      context.print(datasets, () =>
        datasets.length === 0
          ? 'no datasets'
          : table([
              ['NAME', 'MEDIA', 'FIELDS', 'UPDATED'],
              ...datasets.map((dataset) => [
                dataset.name,
                dataset.schema.mediaType,
                String(Object.keys(dataset.schema.sampleFields).length),
                dataset.updatedAt,
              ]),
            ]),
      );
    },
  },

  'datasets show': {
    args: ['name'],
    options: [],
    async run(context, [name = '']) {
      const dataset = await context.client.datasets.get(name);
      const fields = Object.entries(dataset.schema.sampleFields);
      context.print(dataset, () =>
        [
          `name:     ${dataset.name}`,
          `media:    ${dataset.schema.mediaType}`,
          `samples:  ${dataset.counts.samples}`,
          fields.length === 0 ? 'fields:   none' : 'fields:',
          ...fields.map(([field, type]) => `  ${field}: ${type}`),
          ...(dataset.schema.frameFields && Object.keys(dataset.schema.frameFields).length > 0
            ? [
                'frame fields:',
                ...Object.entries(dataset.schema.frameFields).map(
                  ([field, type]) => `  ${field}: ${type}`,
                ),
              ]
            : []),
          `created:  ${dataset.createdAt}`,
          `updated:  ${dataset.updatedAt}`,
        ].join('\n'),
      );
    },
  },

  'datasets delete': {
    args: ['name'],
    options: [],
    async run(context, [name = '']) {
      await context.client.datasets.delete(name);
      context.print({ deleted: name }, () => `deleted dataset ${name}`);
    },
  },

  'samples list': {
    args: ['dataset'],
    options: ['limit', 'all', 'tags', 'has-field'],
    async run(context, [dataset = '']) {
      const { values } = context;
      if (values.all && values.limit !== undefined) {
        throw new CliUsageError('--limit and --all exclude each other');
      }
      const limit = values.all
        ? Number.POSITIVE_INFINITY
        : values.limit === undefined
          ? 100
          : positiveInt(values.limit, 'limit');
      const tags = values.tags?.split(',').filter((tag) => tag.length > 0);
      const samples: StoredSample[] = [];
      for await (const sample of context.client.samples.iterate(dataset, {
        limit: Math.min(limit, 1000),
        ...(tags && tags.length > 0 ? { tags } : {}),
        ...(values['has-field'] ? { hasField: values['has-field'] } : {}),
      })) {
        if (samples.length >= limit) break;
        samples.push(sample);
      }
      context.print(samples, () =>
        samples.length === 0
          ? 'no samples'
          : table([
              ['ID', 'FILEPATH', 'TAGS'],
              ...samples.map(({ sample }) => [
                String(sample.id),
                String(sample.filepath),
                Array.isArray(sample.tags) ? sample.tags.join(',') : '',
              ]),
            ]),
      );
    },
  },

  'runs list': {
    args: ['dataset'],
    options: ['backend', 'status'],
    async run(context, [dataset = '']) {
      const { backend, status } = context.values;
      if (status !== undefined && !runStatusSchema.safeParse(status).success) {
        throw new CliUsageError(
          `--status must be one of ${RUN_STATUSES.join(', ')}, not '${status}'`,
        );
      }
      const { items } = await context.client.runs.list(dataset, {
        ...(backend ? { backend } : {}),
        ...(status ? { status: status as RunStatus } : {}),
      });
      context.print(items, () =>
        items.length === 0
          ? 'no annotation runs'
          : table([
              ['KEY', 'BACKEND', 'STATUS', 'TASKS', 'CREATED'],
              ...items.map((run) => [
                run.annoKey,
                run.backend,
                run.status,
                `${run.counters.tasksCompleted}/${run.counters.tasks}`,
                run.createdAt,
              ]),
            ]),
      );
    },
  },

  'runs info': {
    args: ['dataset', 'annoKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '']) {
      const run = await context.client.runs.get(dataset, annoKey);
      const { counters, config } = run;
      context.print(run, () =>
        [
          `key:      ${run.annoKey}`,
          `backend:  ${run.backend}`,
          `status:   ${run.status}`,
          ...(run.failure ? [`failure:  ${run.failure.code}: ${run.failure.message}`] : []),
          `created:  ${run.createdAt}`,
          `updated:  ${run.updatedAt}`,
          // Where annotators and scripts find its files: not always under its key.
          `objects:  ${runObjectPrefix(run.dataset, objectKeyOf(run))}`,
          `tasks:    ${counters.tasksCompleted}/${counters.tasks} completed`,
          `labels:   ${counters.labelsAdded} added, ${counters.labelsEdited} edited, ` +
            `${counters.labelsDeleted} deleted, ${counters.labelsRefused} refused, ` +
            `${counters.unexpected} unexpected`,
          `fields:   ${Object.keys(config.labelSchema).join(', ') || 'none'}`,
          `params:   ${JSON.stringify(config.params)}`,
        ].join('\n'),
      );
    },
  },

  'runs rename': {
    args: ['dataset', 'annoKey', 'newKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '', newKey = '']) {
      const run = await context.client.runs.rename(dataset, annoKey, newKey);
      context.print(run, () => `renamed annotation run ${annoKey} to ${run.annoKey}`);
    },
  },

  'runs delete': {
    args: ['dataset', 'annoKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '']) {
      await context.client.runs.delete(dataset, annoKey);
      context.print(
        { dataset, deleted: annoKey },
        () => `deleted annotation run ${annoKey} (merged labels and the tool's tasks are kept)`,
      );
    },
  },

  import: {
    args: ['dataset', 'path'],
    options: ['format', 'label-field', 'media', 'skip-upload'],
    run: (context, [dataset = '', path = '']) => runImport(context, dataset, path),
  },
  ...RUN_COMMANDS,
};

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${path} is not JSON: ${(error as Error).message}`, { path });
  }
}

const FORMATS = ['fiftyone', 'coco', 'media'] as const;
type Format = (typeof FORMATS)[number];
const isFormat = (value: string): value is Format => (FORMATS as readonly string[]).includes(value);

async function runImport(context: Context, dataset: string, path: string): Promise<void> {
  const { values } = context;
  parseInput(datasetNameSchema, dataset, `dataset name '${dataset}'`);
  const requested = values.format;
  if (requested !== undefined && !isFormat(requested)) {
    throw new CliUsageError(`--format must be one of ${FORMATS.join(', ')}, not '${requested}'`);
  }
  const source = resolve(path);
  const folder = await isDirectory(source);

  // What the path is: a folder with samples.json is a FiftyOne export, any other folder
  // plain media; a file is COCO when asked (or when it has COCO's three lists).
  let format: Format;
  let document: unknown;
  let mediaDir = values.media === undefined ? undefined : resolve(values.media);
  if (folder) {
    const samplesFile = join(source, 'samples.json');
    format = requested ?? ((await exists(samplesFile)) ? 'fiftyone' : 'media');
    if (format === 'coco')
      throw new CliUsageError('--format coco takes a COCO json file, not a folder');
    if (format === 'fiftyone') {
      document = await readJson(samplesFile);
      mediaDir ??= join(source, 'data');
    } else {
      mediaDir = source;
    }
  } else {
    if (requested === 'media') throw new CliUsageError('--format media takes a folder, not a file');
    document = await readJson(source);
    const record = document as Record<string, unknown> | null;
    format =
      requested ??
      (record !== null &&
      typeof record === 'object' &&
      ['images', 'annotations', 'categories'].every((key) => Array.isArray(record[key]))
        ? 'coco'
        : 'fiftyone');
    if (format === 'fiftyone' && basename(source) === 'samples.json') {
      mediaDir ??= join(dirname(source), 'data');
    }
  }
  if (format !== 'coco' && values['label-field'] !== undefined) {
    throw new CliUsageError('--label-field applies to --format coco only');
  }
  if (format === 'media' && values['skip-upload']) {
    throw new CliUsageError('a media folder import is its upload: --skip-upload has nothing left');
  }

  // Check everything before writing anything: the file parses as its format, the dataset
  // exists, the media is there.
  const labelField = values['label-field'] ?? 'ground_truth';
  if (format === 'fiftyone') parseFiftyOneSamples(document);
  if (format === 'coco')
    cocoToSamples(document, { labelField, dataset, filepathOf: (name) => name });
  if (format !== 'media') await context.client.datasets.get(dataset);

  let files: MediaFile[] = [];
  let skipped: string[] = [];
  if (mediaDir !== undefined && !values['skip-upload']) {
    const explicit = values.media !== undefined || format === 'media';
    if (explicit || (await exists(mediaDir))) {
      if (!(await isDirectory(mediaDir))) throw new CliUsageError(`${mediaDir} is not a folder`);
      ({ files, skipped } = await (await import('./media.js')).findMedia(mediaDir));
      if (format === 'coco') {
        // A COCO images folder often holds other splits too: upload only this file's images.
        const named = new Set(
          cocoToSamples(document, { labelField, dataset, filepathOf: (name) => name }).map(
            (sample) => sample.filepath.replace(/^\.?\/+/, ''),
          ),
        );
        files = files.filter((file) => named.has(file.relative));
        skipped = [];
      }
      if (format === 'media' && files.length === 0) {
        throw new InvalidInputError(`No images or videos under ${mediaDir}`, { path: mediaDir });
      }
    }
  }

  // Media needs the bucket: settle that before anything is written.
  const target = files.length > 0 ? await context.media() : undefined;
  const prefix = target ? `s3://${target.bucket}/datasets/${dataset}/` : null;

  // Samples first, media after: the import records which sample each media object is, so
  // the upload events that follow refresh those samples instead of racing them.
  let result: { imported: number; fields: Record<string, string> } | null = null;
  if (format !== 'media') {
    const request =
      format === 'coco'
        ? { format: 'coco' as const, document, labelField }
        : { format: 'fiftyone' as const, document };
    let bar: ReturnType<typeof progressBar> | undefined;
    try {
      result = await context.client.samples.importAll(dataset, request, {
        onBatch: ({ done, total }) => {
          bar ??= progressBar(context.stderr, 'importing', total);
          bar.update(done);
        },
      });
    } finally {
      bar?.done();
    }
  }

  if (target) {
    const { uploadMedia } = await import('./media.js');
    const bar = progressBar(context.stderr, 'uploading', files.length);
    try {
      await uploadMedia({
        s3: target.s3,
        bucket: target.bucket,
        dataset,
        files,
        onUploaded: (done) => bar.update(done),
      });
    } finally {
      bar.done();
    }
  }

  const uploaded = `uploaded ${files.length} file${files.length === 1 ? '' : 's'} to ${prefix}`;
  context.print(
    {
      dataset,
      format,
      uploaded: files.length,
      prefix,
      skipped,
      ...(result ?? { imported: null, fields: null }),
    },
    () =>
      result === null
        ? [
            uploaded,
            ...(skipped.length > 0 ? [`skipped ${skipped.length} (not images or videos)`] : []),
            'ingest turns each object into a sample as its upload event arrives',
          ].join('\n')
        : [
            `imported ${result.imported} sample${result.imported === 1 ? '' : 's'} into ${dataset}`,
            `fields: ${fieldList(result.fields)}`,
            ...(files.length > 0 ? [uploaded] : []),
          ].join('\n'),
  );
}
