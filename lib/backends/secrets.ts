/**
 * Where a backend keeps the secrets it generates itself (a webhook's signing secret, made
 * when `registerWebhooks` creates the tool-side hook). Deployed, this is AWS Secrets
 * Manager; locally and in tests, memory or the stand-ins. Never the run record, never a
 * log line: records are readable through the API, logs by anyone on call.
 *
 * Names are the backend's own, scoped by the backend (e.g. `cvat/webhook/project/12`), so
 * `verifyWebhook` can find a delivery's secret from what the unsigned body names, then
 * compare signatures in constant time.
 */
export interface BackendSecretStore {
  get(name: string): Promise<string | undefined>;
  /** Creates or replaces. */
  put(name: string, value: string): Promise<void>;
  /** Idempotent: deleting a missing secret succeeds. */
  delete(name: string): Promise<void>;
}

/** A process-local store: tests, and embedded use where nothing outlives the process. */
export function memorySecretStore(): BackendSecretStore {
  const secrets = new Map<string, string>();
  return {
    get: async (name) => secrets.get(name),
    put: async (name, value) => {
      secrets.set(name, value);
    },
    delete: async (name) => {
      secrets.delete(name);
    },
  };
}
