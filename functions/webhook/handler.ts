import middy from '@middy/core';
import { serveWebhook } from '../../lib/api/webhook.js';
import { serviceWorkflowDeps } from '../../lib/workflows/service-deps.js';

const log = (entry: Record<string, unknown>): void => console.log(JSON.stringify(entry));

/** `POST /webhooks/{backend}`: tools' notifications, verified by their own signatures. */
export const handler = middy().handler(async (event: unknown) =>
  serveWebhook(await serviceWorkflowDeps(), event, log),
);
