import middy from '@middy/core';
import { serveHttp } from '../../lib/api/router.js';
import { API, type ApiDeps } from '../../lib/api/routes/index.js';
import { sharedStoreClients } from '../../lib/store/clients.js';
import { loadStoreConfig } from '../../lib/store/config.js';
import { createStore } from '../../lib/store/store.js';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';

// Built per request from the environment (cheap: no I/O); the SDK clients underneath are
// shared per process. A missing variable fails with its name.
async function apiDeps(): Promise<ApiDeps> {
  const config = loadStoreConfig();
  const store = createStore(sharedStoreClients(config), {
    tableName: config.tableName,
    bucket: config.mediaBucket,
  });
  return { store, mediaBucket: config.mediaBucket, workflows: await serviceWorkflowDeps() };
}

const log = (entry: Record<string, unknown>): void => console.error(JSON.stringify(entry));

/** The HTTP API (datasets, samples): payload 2.0 event in, JSON out; routes in `lib/api`. */
export const handler = middy().handler(async (event: unknown) =>
  serveHttp(API, await apiDeps(), event, log),
);
