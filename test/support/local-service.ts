import type { Sample } from '../../lib/labels/index.js';
import type { LocalService } from '../../lib/local/runtime.js';

export type Json = Record<string, unknown>;

/**
 * HTTP and store helpers for e2e tests on the embedded runtime. `service` is a getter: the
 * service starts in a `beforeAll`, after these helpers are made.
 */
export function serviceHelpers(service: () => LocalService) {
  return {
    /** A JSON call to the service's API, as a client makes it. */
    async api(method: string, path: string, body?: unknown) {
      const response = await fetch(`${service().apiUrl}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      return {
        status: response.status,
        body: (response.status === 204 ? null : await response.json()) as Json,
      };
    },
    /** A delivery to `POST /webhooks/{backend}`, bytes and headers exactly as given. */
    async postWebhook(backend: string, body: string, headers: Record<string, string>) {
      const response = await fetch(`${service().apiUrl}/webhooks/${backend}`, {
        method: 'POST',
        headers,
        body,
      });
      return { status: response.status, body: (await response.json()) as Json };
    },
    /** Every sample of `dataset` (at most 100) with its version, by id. */
    async samplesById(
      dataset: string,
    ): Promise<Record<string, { version: number; sample: Sample }>> {
      const { items } = await service().store.samples.list(dataset, { limit: 100 });
      return Object.fromEntries(items.map((item) => [item.sample.id, item]));
    },
  };
}

/**
 * Sets process env for the Lambda handlers (they read the tool's config on every
 * invocation) and gives back a restore that removes what was added and puts back what was
 * replaced.
 */
export function setEnv(values: Record<string, string>): () => void {
  const saved = new Map(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Polls `condition` until it holds. */
export async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A copy of `items` in a random order (Fisher–Yates): replayed deliveries arrive so. */
export function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
