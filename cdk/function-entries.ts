/**
 * Every Lambda of the service, once. The CDK construct deploys exactly these, and the local
 * runtime maps each one to its handler from the same list, so the deployed and the local
 * service cannot drift apart. Pure data: safe to import without aws-cdk-lib.
 */
export interface FunctionEntry {
  /** Construct id (PascalCase); it appears in the `aws:cdk:path` of the synthesized function. */
  readonly id: string;
  /** Handler source, relative to the repository root. */
  readonly entry: string;
  /** Exported handler name in `entry`. */
  readonly handler: string;
  /** Lambda description (also what the function is for). */
  readonly description: string;
  /** Node flags beside `--enable-source-maps` in the function's `NODE_OPTIONS`. */
  readonly nodeOptions?: readonly string[];
}

/**
 * The merge allocates a page's labels anew while the page it reads is young and live, so
 * each scavenge copies that page. V8's default young generation (16 MiB semi-spaces here)
 * scavenged ~160 times per million labels; 32 MiB halves that. `npm run bench` runs the
 * merge with these flags, as the load function does: ~1.2x faster in alternating process
 * pairs (6 of 6 here), for ~35-60 MiB more peak RSS of the load function's 2048 MiB. 64 MiB
 * was no faster than 32.
 */
export const MERGE_NODE_OPTIONS = ['--max-semi-space-size=32'] as const;

/** An HTTP API v2 route key, `METHOD /path` with `{name}` path parameters. */
export type RouteKey = `${'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} /${string}`;

export const FUNCTION_ENTRIES = {
  ingest: {
    id: 'Ingest',
    entry: 'functions/ingest/handler.ts',
    handler: 'handler',
    description: 'Registers, updates and removes samples when media lands in or leaves datasets/',
  },
  api: {
    id: 'Api',
    entry: 'functions/api/handler.ts',
    handler: 'handler',
    description:
      'HTTP API: datasets, samples and annotation runs (list, create, get, rename, delete, import)',
  },
  annotate: {
    id: 'Annotate',
    entry: 'functions/annotate/handler.ts',
    handler: 'handler',
    description:
      'AnnotateWorkflow steps: prepare the run, upload a page to the tool, open the run, fail it, wait for it',
  },
  load: {
    id: 'Load',
    entry: 'functions/load/handler.ts',
    handler: 'handler',
    description:
      'LoadWorkflow steps: plan a load, download a task, merge it page by page, finalize',
    nodeOptions: MERGE_NODE_OPTIONS,
  },
  cleanup: {
    id: 'Cleanup',
    entry: 'functions/cleanup/handler.ts',
    handler: 'handler',
    description: "CleanupWorkflow step: delete a run's tasks in the tool and mark it cleaned",
  },
  webhook: {
    id: 'Webhook',
    entry: 'functions/webhook/handler.ts',
    handler: 'handler',
    description:
      "Annotation tools' webhooks: verify, dedupe, start the finished task's load, wake a waiting run",
  },
  results: {
    id: 'Results',
    entry: 'functions/results/handler.ts',
    handler: 'handler',
    description:
      "The files backend's webhook: a result file uploaded under runs/ finishes its task",
  },
  sweeper: {
    id: 'Sweeper',
    entry: 'functions/sweeper/handler.ts',
    handler: 'handler',
    description:
      'On a schedule: asks the tools about open tasks, so a lost webhook delays a merge by one interval',
  },
} as const satisfies Record<string, FunctionEntry>;

export type FunctionKey = keyof typeof FUNCTION_ENTRIES;

/**
 * The routes the HTTP API sends to the `api` function, all behind IAM (SigV4) authorization.
 * The local HTTP gateway serves the same list.
 */
export const API_ROUTES = [
  'GET /datasets',
  'POST /datasets',
  'GET /datasets/{dataset}',
  'DELETE /datasets/{dataset}',
  'GET /datasets/{dataset}/samples',
  'POST /datasets/{dataset}/samples/import',
  'GET /datasets/{dataset}/samples/{id}',
  'GET /datasets/{dataset}/runs',
  'GET /datasets/{dataset}/runs/{annoKey}',
  'POST /datasets/{dataset}/runs/{annoKey}/rename',
  'DELETE /datasets/{dataset}/runs/{annoKey}',
  'POST /datasets/{dataset}/runs',
  'POST /datasets/{dataset}/runs/{annoKey}/load',
  'POST /datasets/{dataset}/runs/{annoKey}/cleanup',
  'GET /datasets/{dataset}/runs/{annoKey}/status',
  'GET /datasets/{dataset}/runs/{annoKey}/report',
  'GET /datasets/{dataset}/runs/{annoKey}/unexpected',
  'GET /executions',
  'GET /datasets/{dataset}/runs/{annoKey}/executions',
] as const satisfies readonly RouteKey[];

/**
 * Routes outside the IAM-signed API: tools cannot sign SigV4, so each backend verifies its
 * own signature over the raw body (lib/backends), and the webhook function holds nothing
 * but what a webhook needs.
 */
export const WEBHOOK_ROUTES = ['POST /webhooks/{backend}'] as const satisfies readonly RouteKey[];

/** Key prefix of everything a run keeps in the media bucket; the files backend's results land here. */
export const RUNS_PREFIX = 'runs/';

/** Key prefix under which media (and everything ingest reacts to) lives in the media bucket. */
export const MEDIA_PREFIX = 'datasets/';
