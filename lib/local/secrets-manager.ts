import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './service-model.js';

/**
 * A Secrets Manager stand-in for the embedded runtime: the four operations annoflow's secret
 * store calls (CreateSecret, PutSecretValue, GetSecretValue, DeleteSecret), over the AWS JSON
 * 1.1 protocol the real `SecretsManagerClient` speaks, with AWS's error types for a missing
 * or existing secret. Loopback only, no authentication. With a file, secrets outlive a
 * restart (a tool keeps its webhooks, so their secrets must stay too).
 */
export interface LocalSecretsManager {
  readonly endpoint: string;
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

function name(body: Body, field: 'Name' | 'SecretId'): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '' || value.length > 2048) {
    throw new ApiError(
      'ValidationException',
      `1 validation error detected: '${field}' is required`,
    );
  }
  return value;
}

function secretString(body: Body): string {
  const value = body.SecretString;
  if (typeof value !== 'string') {
    throw new ApiError(
      'InvalidParameterException',
      'only SecretString values are supported locally',
    );
  }
  return value;
}

export async function startLocalSecretsManager(
  options: { file?: string; port?: number } = {},
): Promise<LocalSecretsManager> {
  const secrets = new Map<string, string>(
    options.file ? Object.entries(readSecrets(options.file)) : [],
  );
  const save = () => {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(options.file, JSON.stringify(Object.fromEntries(secrets)), { mode: 0o600 });
  };
  const arnOf = (secret: string) =>
    `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${secret}`;
  const notFound = (secret: string) =>
    new ApiError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret: ${secret}`,
    );

  const operations: Record<string, (body: Body) => unknown> = {
    CreateSecret: (body) => {
      const secret = name(body, 'Name');
      if (secrets.has(secret)) {
        throw new ApiError('ResourceExistsException', `The secret ${secret} already exists.`);
      }
      secrets.set(secret, secretString(body));
      save();
      return { ARN: arnOf(secret), Name: secret, VersionId: randomUUID() };
    },
    PutSecretValue: (body) => {
      const secret = name(body, 'SecretId');
      if (!secrets.has(secret)) throw notFound(secret);
      secrets.set(secret, secretString(body));
      save();
      return { ARN: arnOf(secret), Name: secret, VersionId: randomUUID() };
    },
    GetSecretValue: (body) => {
      const secret = name(body, 'SecretId');
      const value = secrets.get(secret);
      if (value === undefined) throw notFound(secret);
      return { ARN: arnOf(secret), Name: secret, SecretString: value, VersionId: randomUUID() };
    },
    DeleteSecret: (body) => {
      const secret = name(body, 'SecretId');
      if (!secrets.delete(secret)) throw notFound(secret);
      save();
      return { ARN: arnOf(secret), Name: secret, DeletionDate: Date.now() / 1000 };
    },
  };

  const server = createServer((request, response) => void handle(operations, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readSecrets(file: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

async function handle(
  operations: Record<string, (body: Body) => unknown>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = /^secretsmanager\.(\w+)$/.exec(target)?.[1];
    const run = operation === undefined ? undefined : operations[operation];
    if (request.method !== 'POST' || !run) {
      throw new ApiError('UnknownOperationException', `Unknown operation: '${target}'`);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Body;
    try {
      body = (text === '' ? {} : JSON.parse(text)) as Body;
    } catch {
      throw new ApiError('SerializationException', 'the request body is not JSON');
    }
    send(response, 200, run(body));
  } catch (error) {
    if (error instanceof ApiError)
      send(response, error.status, { __type: error.type, message: error.message });
    else send(response, 500, { __type: 'InternalServiceError', message: String(error) });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
  });
  response.end(JSON.stringify(body));
}
