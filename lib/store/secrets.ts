import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { BackendSecretStore } from '../backends/secrets.js';

let shared: { key: string; client: SecretsManagerClient } | undefined;

/** One client per process and endpoint (`AWS_ENDPOINT_URL_SECRETS_MANAGER` for the stand-in). */
export function sharedSecretsClient(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecretsManagerClient {
  const region = env.AWS_REGION || 'us-east-1';
  const endpoint = env.AWS_ENDPOINT_URL_SECRETS_MANAGER || undefined;
  const key = `${region}|${endpoint ?? ''}`;
  if (shared?.key !== key) {
    shared?.client.destroy();
    shared = {
      key,
      client: new SecretsManagerClient({ region, ...(endpoint ? { endpoint } : {}) }),
    };
  }
  return shared.client;
}

/**
 * Backends' secrets in AWS Secrets Manager, each under `<prefix><name>` (the stack's prefix,
 * so IAM can grant exactly `secret:<prefix>*`). Values are never logged; a missing secret
 * reads as undefined.
 */
export function secretsManagerStore(
  client: SecretsManagerClient,
  prefix: string,
): BackendSecretStore {
  const id = (name: string) => `${prefix}${name}`;
  return {
    async get(name) {
      try {
        const output = await client.send(new GetSecretValueCommand({ SecretId: id(name) }));
        return output.SecretString;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    async put(name, value) {
      try {
        await client.send(new PutSecretValueCommand({ SecretId: id(name), SecretString: value }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        try {
          await client.send(new CreateSecretCommand({ Name: id(name), SecretString: value }));
        } catch (raced) {
          // Created meanwhile by a concurrent put: write the value over it.
          if (!(raced instanceof ResourceExistsException)) throw raced;
          await client.send(new PutSecretValueCommand({ SecretId: id(name), SecretString: value }));
        }
      }
    },
    async delete(name) {
      try {
        await client.send(
          new DeleteSecretCommand({ SecretId: id(name), ForceDeleteWithoutRecovery: true }),
        );
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    },
  };
}
