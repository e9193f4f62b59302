import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startLocalSecretsManager } from '../../../lib/local/secrets-manager.js';
import {
  createStore,
  createStoreClients,
  destroyStoreClients,
  type StoreClients,
} from '../../../lib/store/index.js';
import { secretsManagerStore, sharedSecretsClient } from '../../../lib/store/secrets.js';
import { mediaLinkSignerCredentials } from '../../../lib/workflows/service-deps.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();
const made: StoreClients[] = [];
afterAll(() => {
  for (const clients of made) destroyStoreClients(clients);
});

/**
 * Clients that, like a Lambda's, hold a role session: temporary keys with a session token. A
 * link they sign dies with that session, hours from now, whatever expiry it names.
 */
function roleSessionClients(): StoreClients {
  const { clientOptions } = aws.standIns;
  const clients = createStoreClients({
    ...clientOptions,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'role-session' },
  });
  made.push(clients);
  return clients;
}

async function storeWithMedia(signer?: { accessKeyId: string; secretAccessKey: string }) {
  const { bucket, tableName } = await aws.newStore();
  const store = createStore(roleSessionClients(), {
    tableName,
    bucket,
    ...(signer ? { mediaLinkCredentials: async () => signer } : {}),
  });
  await store.media.put('datasets/d/a.jpg', 'jpeg bytes', 'image/jpeg');
  return store;
}

describe('Presigned media links', () => {
  it('are signed by the link signer’s own key, without the role session, when one is given', async () => {
    const store = await storeWithMedia({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

    const link = new URL(await store.media.presignGet('datasets/d/a.jpg', 7 * 24 * 3600));

    expect(link.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\//);
    expect(link.searchParams.get('X-Amz-Expires')).toBe(String(7 * 24 * 3600));
    expect(link.searchParams.has('X-Amz-Security-Token')).toBe(false);
    const response = await fetch(link);
    expect(await response.text()).toBe('jpeg bytes');
  });

  it('carry the clients’ session token when no signer is given (the local runtime)', async () => {
    const store = await storeWithMedia();

    const link = new URL(await store.media.presignGet('datasets/d/a.jpg', 3600));

    expect(link.searchParams.get('X-Amz-Security-Token')).toBe('role-session');
  });
});

describe('The media link signer’s key in Secrets Manager', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  async function withSecret(
    name: string,
    value: string,
    check: (env: Record<string, string>) => Promise<void>,
  ) {
    const local = await startLocalSecretsManager();
    // The shared client takes its credentials from the process, as on Lambda.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    const env = {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: local.endpoint,
      AWS_REGION: 'us-east-1',
    };
    try {
      await secretsManagerStore(sharedSecretsClient(env), '').put(name, value);
      await check(env);
    } finally {
      await local.stop();
    }
  }

  it('is read as the SDK credentials links are signed with', async () => {
    await withSecret(
      'link-signer',
      JSON.stringify({ accessKeyId: 'AKIASIGNER', secretAccessKey: 'signer-secret' }),
      async (env) => {
        const key = await mediaLinkSignerCredentials(env, 'link-signer')();
        expect(key).toMatchObject({ accessKeyId: 'AKIASIGNER', secretAccessKey: 'signer-secret' });
        expect(key.expiration.getTime()).toBeGreaterThan(Date.now());
      },
    );
  });

  it('refuses a malformed value with INVALID_INPUT naming the secret, never echoing it', async () => {
    const value = JSON.stringify({ accessKeyId: 'AKIAOTHER', secret: 'leaked?' });
    await withSecret('bad-signer', value, async (env) => {
      const error = await mediaLinkSignerCredentials(env, 'bad-signer')().catch((e) => e);
      expect(error).toMatchObject({
        code: 'INVALID_INPUT',
        message:
          'Invalid MEDIA_LINK_SIGNER_SECRET: secret \'bad-signer\' must hold JSON {"accessKeyId", "secretAccessKey"}',
      });
      expect(JSON.stringify({ ...error, message: error.message })).not.toMatch(/leaked|AKIAOTHER/);
    });
  });
});
