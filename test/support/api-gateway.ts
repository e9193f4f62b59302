import { routeKey } from '../../lib/api/route.js';
import { serveHttp } from '../../lib/api/router.js';
import { API, type ApiDeps } from '../../lib/api/routes/index.js';
import { startHttpGateway } from '../../lib/local/http-gateway.js';
import type { LocalStore } from './local-aws.js';

/**
 * The real HTTP API served in this process: the local gateway in front of `serveHttp` with
 * every route, on a store from `useLocalAws().newStore()`. Stop it when done.
 */
export async function startApi(local: LocalStore): Promise<{ url: string; stop(): Promise<void> }> {
  const deps: ApiDeps = { store: local.store, mediaBucket: local.bucket };
  const gateway = await startHttpGateway(
    API.map((route) => ({
      routeKey: routeKey(route),
      functionName: 'api',
      handler: (event: unknown) => serveHttp(API, deps, event),
    })),
  );
  return {
    url: gateway.url,
    stop: async () => {
      gateway.server.closeAllConnections();
      await gateway.stop();
    },
  };
}
