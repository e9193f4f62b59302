import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { sharedSecretsClient } from '../store/secrets.js';

/**
 * Each secret's string value, by the name it is given under (`name → secret id` in). A secret
 * that cannot be read throws the SDK's error. A module of its own so that `service-deps.ts`
 * can `import()` it: a dynamic import of the client package itself would bundle all of it.
 */
export async function readSecretStrings(
  env: Readonly<Record<string, string | undefined>>,
  secretIds: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const client = sharedSecretsClient(env);
  const values: Record<string, string> = {};
  for (const [name, secretId] of Object.entries(secretIds)) {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (output.SecretString !== undefined) values[name] = output.SecretString;
  }
  return values;
}
