import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { BackendRegistry } from '../backends/registry.js';
import { resolveAnnotationConfig } from '../config/index.js';
import { SERVICE_ENV } from '../config/service-env.js';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { sharedStoreClients } from '../store/clients.js';
import { loadStoreConfig } from '../store/config.js';
import { secretsManagerStore, sharedSecretsClient } from '../store/secrets.js';
import { createStore } from '../store/store.js';
import type { WorkflowDeps } from './deps.js';
import {
  sharedStepFunctionsClient,
  stepFunctionsEngine,
  workflowArnsFromEnv,
} from './step-functions-engine.js';

const log = (entry: Record<string, unknown>): void => console.log(JSON.stringify(entry));

/**
 * A Lambda's workflow dependencies from its environment: the store (table, bucket), the
 * built-in backends, the annotation config from `ANNOFLOW_*`/`FIFTYONE_*` variables, the
 * backends' secrets in Secrets Manager when given a prefix, and Step Functions when given
 * the workflows' ARNs. Cheap (no I/O); the SDK
 * clients underneath are shared per process.
 */
export function workflowDepsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkflowDeps {
  const storeConfig = loadStoreConfig(env);
  const store = createStore(sharedStoreClients(storeConfig), {
    tableName: storeConfig.tableName,
    bucket: storeConfig.mediaBucket,
  });
  const hasWorkflows = env[SERVICE_ENV.LOAD_WORKFLOW_ARN] !== undefined;
  const secretsPrefix = env[SERVICE_ENV.SECRETS_PREFIX];
  return {
    store,
    backends: new BackendRegistry(),
    config: resolveAnnotationConfig({ env: { ...env } }),
    log,
    ...(secretsPrefix
      ? { secrets: secretsManagerStore(sharedSecretsClient(env), secretsPrefix) }
      : {}),
    ...(hasWorkflows
      ? { engine: stepFunctionsEngine(sharedStepFunctionsClient(env), workflowArnsFromEnv(env)) }
      : {}),
  };
}

const credentialSecretsSchema = z.record(
  z
    .string()
    .regex(/^(ANNOFLOW|FIFTYONE)_[A-Z0-9_]+$/, 'must be an ANNOFLOW_/FIFTYONE_ variable name'),
  z.string().min(1),
);

/** Credentials read per process and kept a few minutes, so a rotated secret is picked up. */
const CREDENTIAL_TTL_MS = 5 * 60_000;
let credentialCache: { key: string; at: number; values: Record<string, string> } | undefined;

/**
 * The backends' credentials (`FIFTYONE_CVAT_PASSWORD`, `…_API_KEY`) from Secrets Manager:
 * `ANNOFLOW_CREDENTIAL_SECRETS` maps each variable name to a secret id (the construct's
 * `backendCredentials`). They join the env the annotation config is resolved from, never the
 * function's configuration, a run record or a log line.
 *
 * @throws InvalidInputError `INVALID_INPUT` for a malformed map; the SDK's error for a secret
 *   that cannot be read (the invocation fails and is retried).
 */
export async function backendCredentials(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Record<string, string>> {
  const raw = env[SERVICE_ENV.CREDENTIAL_SECRETS];
  if (!raw) return {};
  if (credentialCache?.key === raw && Date.now() - credentialCache.at < CREDENTIAL_TTL_MS) {
    return credentialCache.values;
  }
  let declared: unknown;
  try {
    declared = JSON.parse(raw);
  } catch (error) {
    throw new InvalidInputError(
      `Invalid ${SERVICE_ENV.CREDENTIAL_SECRETS}: not JSON`,
      {},
      { cause: error },
    );
  }
  const secrets = parseInput(credentialSecretsSchema, declared, SERVICE_ENV.CREDENTIAL_SECRETS);
  const client = sharedSecretsClient(env);
  const values: Record<string, string> = {};
  for (const [name, secretId] of Object.entries(secrets)) {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (output.SecretString !== undefined) values[name] = output.SecretString;
  }
  credentialCache = { key: raw, at: Date.now(), values };
  return values;
}

/** {@link workflowDepsFromEnv} with the backends' credentials read from Secrets Manager. */
export async function serviceWorkflowDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<WorkflowDeps> {
  return workflowDepsFromEnv({ ...env, ...(await backendCredentials(env)) });
}
