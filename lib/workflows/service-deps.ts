import { z } from 'zod';
import { BackendRegistry } from '../backends/registry.js';
import type { BackendSecretStore } from '../backends/secrets.js';
import { resolveAnnotationConfig } from '../config/index.js';
import { SERVICE_ENV } from '../config/service-env.js';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { sharedStoreClients } from '../store/clients.js';
import { loadStoreConfig } from '../store/config.js';
import { createStore } from '../store/store.js';
import type { WorkflowDeps } from './deps.js';
import type { WorkflowEngine } from './engine.js';

const log = (entry: Record<string, unknown>): void => console.log(JSON.stringify(entry));

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Secrets Manager, its client loaded on the first call. Most invocations read no secret (the
 * webhook secrets are read when a tool's webhook arrives, credentials only when configured),
 * so a cold start does not pay for parsing the client (bundled as its own chunk).
 */
function lazySecretsStore(env: Env, prefix: string): BackendSecretStore {
  const store = async () => {
    const { secretsManagerStore, sharedSecretsClient } = await import('../store/secrets.js');
    return secretsManagerStore(sharedSecretsClient(env), prefix);
  };
  return {
    get: async (name) => (await store()).get(name),
    put: async (name, value) => (await store()).put(name, value),
    delete: async (name) => (await store()).delete(name),
  };
}

/**
 * Step Functions, its client loaded on the first call: the workflow steps, most API routes and
 * a rejected webhook never start or wake an execution. The ARNs are checked then too (an
 * `INVALID_INPUT` naming the variable, as before, one call later).
 */
function lazyStepFunctionsEngine(env: Env): WorkflowEngine {
  let engine: Promise<WorkflowEngine> | undefined;
  const load = () => {
    engine ??= import('./step-functions-engine.js').then((module) =>
      module.stepFunctionsEngine(
        module.sharedStepFunctionsClient(env),
        module.workflowArnsFromEnv(env),
      ),
    );
    // A failed load (bad ARNs) is not kept: the next call reports it again.
    engine.catch(() => {
      engine = undefined;
    });
    return engine;
  };
  return {
    start: async (workflow, name, input) => (await load()).start(workflow, name, input),
    executionArnOf: async (workflow, name) => (await load()).executionArnOf(workflow, name),
    sendTaskSuccess: async (taskToken, output) => (await load()).sendTaskSuccess(taskToken, output),
    describe: async (executionArn) => (await load()).describe(executionArn),
  };
}

const mediaLinkSignerSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
});

/** Signer keys are re-read this often, so a rotated access key is picked up. */
const MEDIA_LINK_SIGNER_TTL_MS = 15 * 60_000;

type SignerKey = { accessKeyId: string; secretAccessKey: string; expiration: Date };
// Per process, as the other credentials: deps are built per invocation.
let signerCache: { secretId: string; key: SignerKey } | undefined;

/**
 * The media link signer's access key from Secrets Manager, as an SDK credentials provider
 * (read on the first link signed; the SDK asks again when `expiration` nears). The value is
 * never logged, nor echoed by the error for a malformed one.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the secret id when its value is not
 *   `{"accessKeyId", "secretAccessKey"}`; the SDK's error for a secret that cannot be read.
 */
export function mediaLinkSignerCredentials(env: Env, secretId: string): () => Promise<SignerKey> {
  return async () => {
    if (signerCache?.secretId === secretId && signerCache.key.expiration.getTime() > Date.now()) {
      return signerCache.key;
    }
    const { readSecretStrings } = await import('./secret-values.js');
    const { key } = await readSecretStrings(env, { key: secretId });
    let value: unknown;
    try {
      value = JSON.parse(key ?? '');
    } catch {
      value = undefined;
    }
    const parsed = mediaLinkSignerSchema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidInputError(
        `Invalid ${SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET}: secret '${secretId}' must hold JSON {"accessKeyId", "secretAccessKey"}`,
        { secretId },
      );
    }
    const signer = { ...parsed.data, expiration: new Date(Date.now() + MEDIA_LINK_SIGNER_TTL_MS) };
    signerCache = { secretId, key: signer };
    return signer;
  };
}

/**
 * A Lambda's workflow dependencies from its environment: the store (table, bucket), the
 * built-in backends, the annotation config from `ANNOFLOW_*`/`FIFTYONE_*` variables, the
 * backends' secrets in Secrets Manager when given a prefix, presigned media links signed by
 * the link signer's key when given its secret, and Step Functions when given
 * the workflows' ARNs. Cheap (no I/O); the SDK
 * clients underneath are shared per process.
 */
export function workflowDepsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkflowDeps {
  const storeConfig = loadStoreConfig(env);
  const signerSecret = env[SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET];
  const store = createStore(sharedStoreClients(storeConfig), {
    tableName: storeConfig.tableName,
    bucket: storeConfig.mediaBucket,
    ...(signerSecret
      ? { mediaLinkCredentials: mediaLinkSignerCredentials(env, signerSecret) }
      : {}),
  });
  const hasWorkflows = env[SERVICE_ENV.LOAD_WORKFLOW_ARN] !== undefined;
  const secretsPrefix = env[SERVICE_ENV.SECRETS_PREFIX];
  return {
    store,
    backends: new BackendRegistry(),
    config: resolveAnnotationConfig({ env: { ...env } }),
    log,
    ...(secretsPrefix ? { secrets: lazySecretsStore(env, secretsPrefix) } : {}),
    ...(hasWorkflows ? { engine: lazyStepFunctionsEngine(env) } : {}),
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
  const { readSecretStrings } = await import('./secret-values.js');
  const values = await readSecretStrings(env, secrets);
  credentialCache = { key: raw, at: Date.now(), values };
  return values;
}

/** {@link workflowDepsFromEnv} with the backends' credentials read from Secrets Manager. */
export async function serviceWorkflowDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<WorkflowDeps> {
  return workflowDepsFromEnv({ ...env, ...(await backendCredentials(env)) });
}
