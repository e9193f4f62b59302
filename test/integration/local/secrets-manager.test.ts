import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '../../../lib/local/secrets-manager.js';
import { secretsManagerStore } from '../../../lib/store/secrets.js';
import { backendCredentials } from '../../../lib/workflows/service-deps.js';

const clients: SecretsManagerClient[] = [];
const clientFor = (endpoint: string) => {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return client;
};
afterAll(() => {
  for (const client of clients) client.destroy();
});

describe('Secret store on Secrets Manager (the local stand-in, through the real SDK client)', () => {
  it('creates, reads, replaces and deletes a secret under the prefix; a missing one reads undefined', async () => {
    const local = await startLocalSecretsManager();
    try {
      const store = secretsManagerStore(clientFor(local.endpoint), 'annoflow/Test/');
      expect(await store.get('cvat/webhook/1')).toBeUndefined();
      await store.put('cvat/webhook/1', 'first');
      expect(await store.get('cvat/webhook/1')).toBe('first');
      await store.put('cvat/webhook/1', 'second');
      expect(await store.get('cvat/webhook/1')).toBe('second');
      await store.delete('cvat/webhook/1');
      expect(await store.get('cvat/webhook/1')).toBeUndefined();
      await expect(store.delete('cvat/webhook/1')).resolves.toBeUndefined();
    } finally {
      await local.stop();
    }
  });

  it('keeps the secrets of one prefix apart from another', async () => {
    const local = await startLocalSecretsManager();
    try {
      const a = secretsManagerStore(clientFor(local.endpoint), 'annoflow/A/');
      const b = secretsManagerStore(clientFor(local.endpoint), 'annoflow/B/');
      await a.put('x', 'for a');
      expect(await b.get('x')).toBeUndefined();
    } finally {
      await local.stop();
    }
  });

  it('keeps secrets across a restart in its file, readable by the owner only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'annoflow-secrets-'));
    const file = join(dir, 'secrets.json');
    try {
      const first = await startLocalSecretsManager({ file });
      await secretsManagerStore(clientFor(first.endpoint), 'p/').put('hook', 's3cret');
      await first.stop();
      expect((await stat(file)).mode & 0o077).toBe(0);
      const second = await startLocalSecretsManager({ file });
      expect(await secretsManagerStore(clientFor(second.endpoint), 'p/').get('hook')).toBe(
        's3cret',
      );
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const local = await startLocalSecretsManager();
    try {
      const response = await fetch(local.endpoint, {
        method: 'POST',
        headers: { 'x-amz-target': 'secretsmanager.RotateSecret' },
        body: '{}',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { __type: string }).__type).toBe(
        'UnknownOperationException',
      );
    } finally {
      await local.stop();
    }
  });
});

describe('Backend credentials from Secrets Manager', () => {
  it('reads each named secret into the variable the annotation config expects', async () => {
    const local = await startLocalSecretsManager();
    // The shared client takes its credentials from the process, as on Lambda.
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    try {
      await secretsManagerStore(clientFor(local.endpoint), '').put('cvat-password', 'hunter2');
      const env = {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: local.endpoint,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        ANNOFLOW_CREDENTIAL_SECRETS: JSON.stringify({ FIFTYONE_CVAT_PASSWORD: 'cvat-password' }),
      };
      expect(await backendCredentials(env)).toEqual({ FIFTYONE_CVAT_PASSWORD: 'hunter2' });
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.key;
      await local.stop();
    }
  });

  it('refuses a map that names something other than an annotation variable', async () => {
    await expect(
      backendCredentials({ ANNOFLOW_CREDENTIAL_SECRETS: JSON.stringify({ PATH: 'x' }) }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
