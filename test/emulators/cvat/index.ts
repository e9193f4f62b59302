import { randomBytes } from 'node:crypto';
import type { ContractViolation } from '../openapi-contract.js';
import { CvatAnnotator } from './annotator.js';
import { CvatHttpServer, cvatContract, type LoggedRequest } from './server.js';
import { CvatState } from './state.js';
import { type Delivery, WebhookSender } from './webhooks.js';

export { maskOfPixels, maskPixels } from './mask-pixels.js';
export { pythonJsonDumps } from './python-json.js';
export { cvatContract } from './server.js';
export type { Delivery, LoggedRequest };

export interface CvatEmulatorOptions {
  /** Users as `{username, password}`; the first is the admin. Default: admin + annotator1. */
  users?: Array<{ username: string; password: string; email?: string }>;
  /** Organization slugs `X-Organization` may name. */
  organizations?: string[];
  version?: string;
}

/** A running emulator: its URL, the annotator, webhook controls, and what it observed. */
export interface CvatEmulator {
  readonly url: string;
  /** Each user's API token (`Authorization: Token <key>`), by username. */
  readonly tokens: Record<string, string>;
  readonly annotator: CvatAnnotator;
  readonly state: CvatState;
  /** Every request received, in order. */
  readonly requests: LoggedRequest[];
  /** Every webhook delivery attempted (including dropped ones). */
  readonly deliveries: Delivery[];
  /** Requests or responses that broke the published schema; tests assert this is empty. */
  violations(): ContractViolation[];
  /** The violations so far, forgetting them (for tests that provoke one on purpose). */
  takeViolations(): ContractViolation[];
  /** The next `count` webhook deliveries are lost. */
  dropNextDeliveries(count: number): void;
  /** Every delivery is sent twice. */
  duplicateDeliveries(on: boolean): void;
  /** The next `count` calls of an operation (e.g. `tasks_update_annotations`) answer 500. */
  failNext(operationId: string, count?: number): void;
  /** Waits for in-flight webhook deliveries. */
  settle(): Promise<void>;
  /**
   * Attaches a cloud storage (AWS S3) as an admin would; `read` stands for CVAT's own access
   * to the bucket, by key relative to the storage. Returns its id.
   */
  addCloudStorage(storage: {
    resource: string;
    read(file: string): Promise<Uint8Array | undefined>;
    organization?: string;
  }): number;
  /** Counts of what the emulator holds, for "cleanup left nothing" checks. */
  counts(): { projects: number; tasks: number; jobs: number; labels: number; webhooks: number };
  stop(): Promise<void>;
}

/**
 * Starts a CVAT 2.39 emulator on 127.0.0.1 (a free port). The first call in a process loads
 * the published schema (a few seconds); later calls reuse it.
 */
export async function startCvatEmulator(options: CvatEmulatorOptions = {}): Promise<CvatEmulator> {
  const version = options.version ?? '2.39.0';
  const api = await cvatContract();
  let sender: WebhookSender | undefined;
  let server: CvatHttpServer | undefined;
  const state = new CvatState(
    () => server?.url ?? '',
    (event) => sender?.dispatch(event),
  );
  sender = new WebhookSender(state, version);
  server = new CvatHttpServer(state, sender, api, version);

  const users = options.users ?? [
    { username: 'admin', password: 'admin-password', email: 'admin@example.com' },
    { username: 'annotator1', password: 'annotator-password' },
  ];
  const tokens: Record<string, string> = {};
  for (const user of users) {
    const id = state.nextId('user');
    state.users.set(id, {
      id,
      username: user.username,
      password: user.password,
      email: user.email ?? `${user.username}@example.com`,
    });
    const token = randomBytes(20).toString('hex');
    server.tokens.set(token, id);
    tokens[user.username] = token;
  }
  for (const slug of options.organizations ?? []) {
    state.organizations.set(slug, state.nextId('organization'));
  }
  await server.listen();
  const annotatorId = state.users.size > 1 ? 2 : 1;
  const running = server;
  const delivering = sender;

  return {
    url: running.url,
    tokens,
    annotator: new CvatAnnotator(state, annotatorId),
    state,
    requests: running.requests,
    deliveries: delivering.deliveries,
    violations: () => [...running.violations],
    takeViolations: () => running.violations.splice(0),
    dropNextDeliveries: (count) => delivering.dropNext(count),
    duplicateDeliveries: (on) => delivering.duplicate(on),
    settle: () => delivering.settle(),
    failNext: (operationId, count = 1) => {
      running.faults.set(operationId, count);
    },
    addCloudStorage: ({ resource, read, organization }) => {
      const id = state.nextId('cloudstorage');
      const org =
        organization === undefined ? null : (state.organizations.get(organization) ?? null);
      state.cloudStorages.set(id, {
        id,
        resource,
        display_name: resource,
        owner: 1,
        organization: org,
        read,
      });
      return id;
    },
    counts: () => ({
      projects: state.projects.size,
      tasks: state.tasks.size,
      jobs: state.jobs.size,
      labels: state.labels.size,
      webhooks: state.webhooks.size,
    }),
    stop: async () => {
      await delivering.settle();
      await running.close();
    },
  };
}
