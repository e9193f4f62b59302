import { BackendRegistry } from '../backends/registry.js';
import { resolveAnnotationConfig } from '../config/index.js';
import { SERVICE_ENV } from '../config/service-env.js';
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
