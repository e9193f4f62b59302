import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnnoflowClient,
  createSigV4Signer,
  isLoopback,
  regionOfEndpoint,
} from '../../../lib/client/index.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const received: Received[] = [];
let server: Server;
let base: string;

const SAMPLE = {
  dataset: 'ds',
  sample: { id: 'a b/ü', filepath: 's3://m/x.png' },
  version: 1,
  updatedAt: '2024-01-01T00:00:00.000Z',
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const body =
        request.method === 'POST'
          ? { imported: 0, fields: {} }
          : request.url?.includes('/samples/')
            ? SAMPLE
            : { items: [] };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

/** Re-signs the request as the server received it; equal signatures mean nothing changed in transit. */
async function verify(request: Received, region: string): Promise<void> {
  const authorization = String(request.headers.authorization);
  const names = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const headers = Object.fromEntries(names.map((name) => [name, String(request.headers[name])]));
  // The payload hash header, when signed, must be the body's (as AWS checks it).
  const payloadHash = headers['x-amz-content-sha256'];
  if (payloadHash !== undefined) {
    expect(payloadHash).toBe(createHash('sha256').update(request.body).digest('hex'));
  }
  const [path = '', rawQuery = ''] = request.url.split('?');
  const query = Object.fromEntries(new URLSearchParams(rawQuery));
  const stamp = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
  );
  const url = new URL(base);
  const again = await new SignatureV4({
    service: 'execute-api',
    region,
    credentials,
    sha256: Sha256,
  }).sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path,
      query,
      headers,
      ...(request.body === '' ? {} : { body: request.body }),
    },
    { signingDate },
  );
  expect(again.headers.authorization).toBe(authorization);
}

describe('Function: createSigV4Signer', () => {
  const signed = () =>
    new AnnoflowClient({
      endpoint: base,
      signer: createSigV4Signer({ region: 'eu-west-1', credentials }),
    });

  it('signs for execute-api in the region, with the session token, and the request verifies as received', async () => {
    await signed().samples.list('ds', { tags: ["it's", 'a,b c'], hasField: 'gt', limit: 3 });
    const request = received.at(-1) as Received;
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-security-token']).toBe('session-token');
    await verify(request, 'eu-west-1');
  });

  it('covers an escaped path and a JSON body', async () => {
    await signed().samples.get('ds', 'a b/ü');
    expect(received.at(-1)?.url).toBe('/datasets/ds/samples/a%20b%2F%C3%BC');
    await verify(received.at(-1) as Received, 'eu-west-1');

    await signed().samples.import('ds', { format: 'fiftyone', document: [] });
    expect(received.at(-1)?.body).toBe('{"format":"fiftyone","document":[]}');
    await verify(received.at(-1) as Received, 'eu-west-1');
  });

  it('a changed body no longer verifies', async () => {
    await signed().samples.import('ds', { format: 'fiftyone', document: [] });
    const tampered = { ...(received.at(-1) as Received), body: '{"format":"coco"}' };
    await expect(verify(tampered, 'eu-west-1')).rejects.toThrow();
  });

  it('sends nothing extra to a loopback endpoint by default', async () => {
    await new AnnoflowClient({ endpoint: base }).datasets.list();
    expect(received.at(-1)?.headers.authorization).toBeUndefined();
  });
});

describe('Function: isLoopback / regionOfEndpoint', () => {
  it.each([
    ['http://127.0.0.1:3000', true],
    ['http://localhost:3000', true],
    ['http://[::1]:3000', true],
    ['https://abc.execute-api.us-east-1.amazonaws.com', false],
    ['http://10.0.0.1', false],
  ])('%s is loopback: %s', (endpoint, expected) => {
    expect(isLoopback(endpoint)).toBe(expected);
  });

  it('reads the region from an execute-api host name', () => {
    expect(regionOfEndpoint('https://abc123.execute-api.eu-central-1.amazonaws.com/prod')).toBe(
      'eu-central-1',
    );
    expect(regionOfEndpoint('https://api.example.com')).toBeUndefined();
  });

  it('a non-loopback client without a signer signs with the default chain in the endpoint region', async () => {
    const headers: Array<Record<string, string>> = [];
    const client = new AnnoflowClient({
      endpoint: 'https://abc123.execute-api.ap-south-1.amazonaws.com/prod',
      fetch: async (_url, init) => {
        headers.push(init?.headers as Record<string, string>);
        return new Response('{"items":[]}');
      },
    });
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      await client.datasets.list();
    } finally {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(headers[0]?.authorization).toMatch(/Credential=AKIDFROMENV\/\d{8}\/ap-south-1\//);
  });
});
