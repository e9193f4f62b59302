import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ContractViolation, OpenApiContract } from '../openapi-contract.js';
import { Annotator, type Delivery, WebhookSender } from './annotator.js';
import { routeRequest } from './routes.js';
import type {
  AnnotationRow,
  Counters,
  PredictionRow,
  ProjectRow,
  TaskRow,
  WebhookRow,
} from './views.js';

const SPEC = fileURLToPath(new URL('../contracts/label-studio-openapi.yaml', import.meta.url));

let contract: Promise<OpenApiContract> | undefined;
/** The published schema, parsed once per process: it is 1.5 MB. */
export function labelStudioContract(): Promise<OpenApiContract> {
  contract ??= OpenApiContract.load(SPEC);
  return contract;
}

export interface EmulatorOptions {
  /** Whether legacy `Token` keys are accepted (an organization setting on real servers). */
  readonly legacyTokens?: boolean;
}

/** The emulator's state, shared by its routes and its annotator. */
export class EmulatorState {
  readonly projects = new Map<number, ProjectRow>();
  readonly tasks = new Map<number, TaskRow>();
  readonly annotations = new Map<number, AnnotationRow>();
  readonly predictions = new Map<number, PredictionRow>();
  readonly webhooks = new Map<number, WebhookRow>();
  /** Lists tasks newest first: clients must not rely on listing order (reference §5.9). */
  reverseTaskListing = false;
  #nextId = 1;
  #lastTime = 0;

  nextId(): number {
    const id = this.#nextId;
    this.#nextId += 1;
    return id;
  }

  /** Strictly increasing, so "the latest annotation" is never a tie. */
  now(): string {
    this.#lastTime = Math.max(Date.now(), this.#lastTime + 1);
    return new Date(this.#lastTime).toISOString();
  }

  annotationsOf(taskId: number): AnnotationRow[] {
    return [...this.annotations.values()].filter((row) => row.task === taskId);
  }

  predictionsOf(taskId: number): PredictionRow[] {
    return [...this.predictions.values()].filter((row) => row.task === taskId);
  }

  tasksOf(projectId: number): TaskRow[] {
    return [...this.tasks.values()].filter((row) => row.project === projectId);
  }

  maximumOf(projectId: number): number {
    return this.projects.get(projectId)?.maximum_annotations ?? 1;
  }

  counters(projectId: number): Counters {
    const tasks = this.tasksOf(projectId);
    const annotations = [...this.annotations.values()].filter((row) => row.project === projectId);
    const done = annotations.filter((row) => !row.was_cancelled);
    const needed = this.maximumOf(projectId);
    return {
      task_number: tasks.length,
      finished_task_number: tasks.filter(
        (task) => done.filter((row) => row.task === task.id).length >= needed,
      ).length,
      total_annotations_number: done.length,
      num_tasks_with_annotations: new Set(done.map((row) => row.task)).size,
      useful_annotation_number: done.length,
      ground_truth_number: 0,
      skipped_annotations_number: annotations.length - done.length,
      total_predictions_number: [...this.predictions.values()].filter(
        (row) => row.project === projectId,
      ).length,
    };
  }

  deleteTask(taskId: number): void {
    this.tasks.delete(taskId);
    for (const [id, row] of this.annotations) if (row.task === taskId) this.annotations.delete(id);
    for (const [id, row] of this.predictions) if (row.task === taskId) this.predictions.delete(id);
  }

  deleteProject(projectId: number): void {
    for (const task of this.tasksOf(projectId)) this.deleteTask(task.id);
    for (const [id, row] of this.webhooks) if (row.project === projectId) this.webhooks.delete(id);
    this.projects.delete(projectId);
  }
}

/** Tokens as Label Studio issues them: a legacy key, and a personal access token (a JWT). */
class Credentials {
  readonly legacyToken = randomBytes(20).toString('hex');
  readonly personalAccessToken = fakeJwt('refresh');
  #access = new Set<string>();

  constructor(private readonly legacyTokens: boolean) {}

  refresh(refresh: unknown): string | undefined {
    if (refresh !== this.personalAccessToken) return undefined;
    const access = fakeJwt('access');
    this.#access.add(access);
    return access;
  }

  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const [scheme, token] = authorization.split(' ', 2);
    if (scheme === 'Token') return this.legacyTokens && token === this.legacyToken;
    if (scheme === 'Bearer') return token !== undefined && this.#access.has(token);
    return false;
  }

  expireAccessTokens(): void {
    this.#access.clear();
  }
}

function fakeJwt(type: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ token_type: type, jti: randomBytes(8).toString('hex') })}.${randomBytes(16).toString('base64url')}`;
}

/**
 * A stateful Label Studio on `127.0.0.1` (reference §2), implementing the API subset annoflow's
 * client uses. Every request and every response is checked against the published OpenAPI
 * schema; a mismatch is recorded (see {@link violations}) and answered with a 500, so a test
 * that ends with `violations()` empty has only spoken Label Studio's contract.
 *
 * @example
 * const ls = await LabelStudioEmulator.start();
 * // … backend params { url: ls.url, api_key: ls.legacyToken } …
 * await ls.annotator.submit(taskId, result);
 * expect(ls.violations()).toEqual([]);
 * await ls.close();
 */
export class LabelStudioEmulator {
  readonly state = new EmulatorState();
  readonly annotator: Annotator;
  readonly webhooks: WebhookSender;
  readonly #credentials: Credentials;
  readonly #violations: string[] = [];
  /** Operation ids of the requests answered, in order: what the client called. */
  readonly calls: string[] = [];
  /** The same requests with the status each got. */
  readonly answers: Array<{ operationId: string; status: number }> = [];

  private constructor(
    private readonly server: Server,
    private readonly contract: OpenApiContract,
    options: EmulatorOptions,
  ) {
    this.#credentials = new Credentials(options.legacyTokens ?? true);
    this.webhooks = new WebhookSender(this.state);
    this.annotator = new Annotator(this.state, this.webhooks);
    server.on('request', (request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#violations.push(`emulator failure: ${String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
  }

  static async start(options: EmulatorOptions = {}): Promise<LabelStudioEmulator> {
    const server = createServer();
    const emulator = new LabelStudioEmulator(server, await labelStudioContract(), options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return emulator;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get legacyToken(): string {
    return this.#credentials.legacyToken;
  }

  get personalAccessToken(): string {
    return this.#credentials.personalAccessToken;
  }

  /** Makes every access token stale, as their 5-minute life would. */
  expireAccessTokens(): void {
    this.#credentials.expireAccessTokens();
  }

  /** Contract violations seen so far, each naming the operation and the problem. */
  violations(): string[] {
    return [...this.#violations];
  }

  get deliveries(): readonly Delivery[] {
    return this.webhooks.deliveries;
  }

  /** Whether nothing is left: no project, task, annotation, prediction or webhook. */
  isEmpty(): boolean {
    const { projects, tasks, annotations, predictions, webhooks } = this.state;
    return [projects, tasks, annotations, predictions, webhooks].every((map) => map.size === 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const method = (request.method ?? 'GET').toUpperCase();
    const raw = await readBody(request);
    const send = (status: number, body?: unknown) => {
      if (body === undefined) {
        response.writeHead(status).end();
        return;
      }
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        this.#violations.push(`${method} ${url.pathname}: the request body is not JSON`);
        send(500, { detail: 'contract violation' });
        return;
      }
    }
    const query = Object.fromEntries(url.searchParams);
    let operationId: string;
    try {
      operationId = this.contract.checkRequest({
        method,
        path: url.pathname,
        query,
        headers: request.headers,
        body,
      });
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      this.#violations.push(error.message);
      send(500, { detail: 'contract violation' });
      return;
    }
    this.calls.push(operationId);
    const answer =
      operationId === 'api_token_refresh_create' ||
      this.#credentials.accepts(request.headers.authorization)
        ? routeRequest(this.state, {
            operationId,
            path: url.pathname,
            query,
            body,
            baseUrl: this.url,
            refresh: (token) => this.#credentials.refresh(token),
          })
        : { status: 401, body: { detail: 'Authentication credentials were not provided.' } };
    try {
      this.contract.checkResponse(operationId, answer.status, answer.body ?? null);
    } catch (error) {
      if (!(error instanceof ContractViolation)) throw error;
      this.#violations.push(error.message);
      send(500, { detail: 'contract violation' });
      return;
    }
    this.answers.push({ operationId, status: answer.status });
    send(answer.status, answer.body);
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
