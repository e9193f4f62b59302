import middy from '@middy/core';
import { serveHttp } from '../../lib/api/router.js';
import { API, type ApiDeps } from '../../lib/api/routes/index.js';
import { sharedStoreClients } from '../../lib/store/clients.js';
import { loadStoreConfig } from '../../lib/store/config.js';
import { createStore } from '../../lib/store/store.js';

// Built on first use, not at import: a missing variable fails the first request with its
// name, and a frozen sandbox never holds half-built clients.
let deps: ApiDeps | undefined;
function apiDeps(): ApiDeps {
  if (!deps) {
    const config = loadStoreConfig();
    const store = createStore(sharedStoreClients(config), {
      tableName: config.tableName,
      bucket: config.mediaBucket,
    });
    deps = { store, mediaBucket: config.mediaBucket };
  }
  return deps;
}

const log = (entry: Record<string, unknown>): void => console.error(JSON.stringify(entry));

/** The HTTP API (datasets, samples): payload 2.0 event in, JSON out; routes in `lib/api`. */
export const handler = middy().handler((event: unknown) => serveHttp(API, apiDeps(), event, log));
