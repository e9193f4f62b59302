import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StepFunctionsEngine } from './engine.js';
import { SfnApiError } from './errors.js';

type Body = Record<string, unknown>;

const MAX_REQUEST_BYTES = 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.0';

function required(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new SfnApiError(
      'ValidationException',
      `1 validation error detected: '${field}' is required`,
    );
  }
  return value;
}

function optional(body: Body, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new SfnApiError('ValidationException', `'${field}' must be a string`);
  }
  return value;
}

/** The operations of the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<name>`). */
function operations(engine: StepFunctionsEngine): Record<string, (body: Body) => unknown> {
  return {
    StartExecution: (body) => {
      const name = optional(body, 'name');
      const input = optional(body, 'input');
      return engine.startExecution({
        stateMachineArn: required(body, 'stateMachineArn'),
        ...(name === undefined ? {} : { name }),
        ...(input === undefined ? {} : { input }),
      });
    },
    DescribeExecution: (body) => engine.describeExecution(required(body, 'executionArn')),
    ListExecutions: (body) => {
      const statusFilter = optional(body, 'statusFilter');
      const nextToken = optional(body, 'nextToken');
      return engine.listExecutions({
        stateMachineArn: required(body, 'stateMachineArn'),
        ...(statusFilter === undefined ? {} : { statusFilter }),
        ...(nextToken === undefined ? {} : { nextToken }),
        ...(typeof body.maxResults === 'number' ? { maxResults: body.maxResults } : {}),
      });
    },
    StopExecution: (body) => {
      const error = optional(body, 'error');
      const cause = optional(body, 'cause');
      return engine.stopExecution({
        executionArn: required(body, 'executionArn'),
        ...(error === undefined ? {} : { error }),
        ...(cause === undefined ? {} : { cause }),
      });
    },
    SendTaskSuccess: (body) =>
      engine.sendTaskSuccess({
        taskToken: required(body, 'taskToken'),
        output: required(body, 'output'),
      }),
    SendTaskFailure: (body) => {
      const error = optional(body, 'error');
      const cause = optional(body, 'cause');
      return engine.sendTaskFailure({
        taskToken: required(body, 'taskToken'),
        ...(error === undefined ? {} : { error }),
        ...(cause === undefined ? {} : { cause }),
      });
    },
    SendTaskHeartbeat: (body) =>
      engine.sendTaskHeartbeat({ taskToken: required(body, 'taskToken') }),
    DescribeStateMachine: (body) => engine.describeStateMachine(required(body, 'stateMachineArn')),
    ListStateMachines: () => engine.listStateMachines(),
  };
}

/**
 * Serves an engine over HTTP on 127.0.0.1 (no authentication: loopback only), so the real
 * `SFNClient` reaches it through `AWS_ENDPOINT_URL_SFN`.
 */
export async function serveStepFunctions(
  engine: StepFunctionsEngine,
  port = 0,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const handlers = operations(engine);
  const server = createServer((request, response) => {
    void handle(handlers, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function handle(
  handlers: Record<string, (body: Body) => unknown>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = /^AWSStepFunctions\.(\w+)$/.exec(target)?.[1];
    const handler = operation === undefined ? undefined : handlers[operation];
    if (request.method !== 'POST' || !handler) {
      throw new SfnApiError('UnknownOperationException', `Unknown operation: '${target}'`);
    }
    const body = await readJson(request);
    send(response, 200, handler(body));
  } catch (error) {
    if (error instanceof SfnApiError) {
      send(response, error.statusCode, { __type: error.type, message: error.message });
    } else {
      send(response, 500, { __type: 'InternalFailure', message: String(error) });
    }
  }
}

async function readJson(request: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_REQUEST_BYTES) {
      throw new SfnApiError('ValidationException', 'the request is too large');
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const body: unknown = text === '' ? {} : JSON.parse(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Body;
  } catch {
    // fall through
  }
  throw new SfnApiError('SerializationException', 'the request body is not a JSON object');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(body));
}
