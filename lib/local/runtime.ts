import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createStoreClients, destroyStoreClients } from '../store/clients.js';
import { createStore, type Store } from '../store/store.js';
import {
  type GatewayRoute,
  type HttpHandler,
  type LambdaContext,
  startHttpGateway,
} from './http-gateway.js';
import { routeS3rverEvent, type S3NotificationTarget } from './s3-events.js';
import { startLocalSecretsManager } from './secrets-manager.js';
import {
  deriveServiceModel,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  type LocalServiceModel,
  localFunctionArn,
  synthesizeServiceTemplate,
} from './service-model.js';
import { createStoreResources, startStandIns } from './stand-ins.js';
import {
  functionNameFromArn,
  startLocalStepFunctions,
  stateMachinesFromTemplate,
} from './step-functions.js';

export interface LocalServiceOptions {
  projectRoot: string;
  /** Persist DynamoDB and S3 here (`.data/`); absent: in memory, gone on stop. */
  dataDir?: string;
  /** HTTP API port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface LocalService {
  apiUrl: string;
  s3Endpoint: string;
  dynamodbEndpoint: string;
  /** The local Step Functions endpoint running the stack's state machines. */
  stepFunctionsEndpoint: string;
  model: LocalServiceModel;
  /** A store on the local stand-ins, for seeding and tests. */
  store: Store;
  /** Resolves when every S3 event delivered so far has been handled (or given up on). */
  settled(): Promise<void>;
  /**
   * Resolves when nothing is left to do but wait: no S3 event pending, no function running,
   * and every running execution parked on a task token (an annotate run that waits for its
   * annotators). `settled()` would wait for those forever.
   */
  idle(): Promise<void>;
  /**
   * Runs every scheduled function of the stack once, as its EventBridge rule would (the
   * sweeper). `npm start` does it on an interval; tests call it when they want it.
   */
  runSchedules(): Promise<void>;
  stop(): Promise<void>;
}

/** Lambda's async invocation retries twice before the failure destination (here: a log line). */
const ASYNC_RETRIES = 2;

/**
 * The embedded service (LOCAL-STACK §7): synthesizes the CDK stack, starts dynalite and
 * s3rver, creates the table and bucket, and serves the template's routes and S3
 * notifications with the very handlers the stack deploys, through the real SDK clients.
 * Only the endpoints differ from AWS, set through the standard `AWS_ENDPOINT_URL_*`.
 */
export async function startLocalService(options: LocalServiceOptions): Promise<LocalService> {
  const log = options.log ?? (() => {});
  const template = await synthesizeServiceTemplate(options.projectRoot);
  const model = deriveServiceModel(template, {
    tableName: 'annoflow',
    mediaBucket: 'annoflow-media',
  });
  const standIns = await startStandIns(
    options.dataDir === undefined ? {} : { dataDir: options.dataDir },
  );
  const secretsManager = await startLocalSecretsManager(
    options.dataDir === undefined ? {} : { file: join(options.dataDir, 'secrets.json') },
  );

  let inFlight = 0;
  // The stack's state machines; their Lambda tasks call the handlers imported below.
  const handlers = new Map<string, HttpHandler>();
  const handlerOf = (logicalId: string): HttpHandler => {
    const handler = handlers.get(logicalId);
    if (!handler) throw new Error(`template: no local handler for ${logicalId}`);
    return handler;
  };
  const stepFunctions = await startLocalStepFunctions({
    stateMachines: stateMachinesFromTemplate(model.resources, {
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      resolve: (intrinsic) => {
        const getAtt = (intrinsic as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (getAtt?.[1] === 'Arn') return localFunctionArn(getAtt[0]);
        throw new Error(`template: cannot resolve ${JSON.stringify(intrinsic)} in a state machine`);
      },
    }),
    invokeLambda: async (arn, payload) => {
      const name = functionNameFromArn(arn);
      inFlight += 1;
      try {
        return await handlerOf(name)(payload, context(name));
      } finally {
        inFlight -= 1;
      }
    },
    log,
  });

  // Handlers read configuration from the environment, as on Lambda. Env is process-wide, so
  // functions must agree on every variable they share.
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamodbEndpoint,
    AWS_ENDPOINT_URL_S3: standIns.s3Endpoint,
    AWS_ENDPOINT_URL_SFN: stepFunctions.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const fn of model.functions) {
    for (const [name, value] of Object.entries(fn.env)) {
      if (name === 'NODE_OPTIONS') continue;
      if (env[name] !== undefined && env[name] !== value) {
        throw new Error(`local runtime: functions disagree on ${name} (${env[name]} vs ${value})`);
      }
      env[name] = value;
    }
  }
  Object.assign(process.env, env);

  const clients = createStoreClients(standIns.clientOptions);
  await createStoreResources(clients, { tableName: model.tableName, bucket: model.mediaBucket });
  const store = createStore(clients, { tableName: model.tableName, bucket: model.mediaBucket });

  for (const fn of model.functions) {
    const module = (await import(
      pathToFileURL(resolve(options.projectRoot, fn.entry)).href
    )) as Record<string, unknown>;
    const handler = module[fn.handler];
    if (typeof handler !== 'function') throw new Error(`${fn.entry} does not export ${fn.handler}`);
    handlers.set(fn.logicalId, invoker(fn.key, handler as HttpHandler));
  }
  const routes: GatewayRoute[] = model.routes.map((route) => ({
    routeKey: route.routeKey,
    functionName: route.functionLogicalId,
    handler: handlerOf(route.functionLogicalId),
  }));
  const gateway = await startHttpGateway(routes, options.port ?? 0);

  const pending = new Set<Promise<void>>();
  const targets: S3NotificationTarget[] = model.notifications.map((notification) => ({
    ...notification,
    deliver: (event) => {
      const handler = handlerOf(notification.functionLogicalId);
      const delivery = (async () => {
        for (let attempt = 0; attempt <= ASYNC_RETRIES; attempt += 1) {
          try {
            await handler(event, context(notification.functionLogicalId));
            return;
          } catch (error) {
            log({
              level: 'warn',
              message: 'async invocation failed',
              function: notification.functionLogicalId,
              attempt,
              error: String(error),
            });
          }
        }
        log({ level: 'error', message: 'event dropped after retries (the DLQ on AWS)', event });
      })();
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
      return delivery;
    },
  }));
  const unsubscribe = standIns.onS3Event((event) =>
    routeS3rverEvent(event as Parameters<typeof routeS3rverEvent>[0], targets, (error) =>
      log({ level: 'error', message: 'S3 event delivery failed', error: String(error) }),
    ),
  );

  return {
    apiUrl: gateway.url,
    s3Endpoint: standIns.s3Endpoint,
    dynamodbEndpoint: standIns.dynamodbEndpoint,
    stepFunctionsEndpoint: stepFunctions.endpoint,
    model,
    store,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await stepFunctions.settled();
    },
    async runSchedules() {
      for (const schedule of model.schedules) {
        const name = schedule.functionLogicalId;
        await handlerOf(name)(
          { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
          context(name),
        );
      }
    },
    async idle() {
      const quiet = () => pending.size === 0 && inFlight === 0 && stepFunctions.allWaiting();
      // Twice, a tick apart: between one state's function and the next state, nothing runs.
      for (let calm = 0; calm < 2; ) {
        while (pending.size > 0) await Promise.allSettled([...pending]);
        await new Promise((resolve) => setTimeout(resolve, 10));
        calm = quiet() ? calm + 1 : 0;
      }
    },
    async stop() {
      unsubscribe();
      await Promise.allSettled([...pending]);
      await gateway.stop();
      await stepFunctions.stop();
      await secretsManager.stop();
      destroyStoreClients(clients);
      await standIns.stop();
    },
  };
}

function context(functionName: string): LambdaContext {
  const deadline = Date.now() + 900_000;
  return {
    awsRequestId: randomUUID(),
    functionName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/** Calls a handler as Lambda does: the payload and the result cross a JSON boundary. */
function invoker(name: string, handler: HttpHandler): HttpHandler {
  return async (event, ctx) => {
    const result = await handler(JSON.parse(JSON.stringify(event)), { ...context(name), ...ctx });
    return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
  };
}
