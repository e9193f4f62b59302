import middy from '@middy/core';
import { serveWebhook } from '../../lib/api/webhook.js';
import { workflowDepsFromEnv } from '../../lib/workflows/service-deps.js';

const log = (entry: Record<string, unknown>): void => console.log(JSON.stringify(entry));

/** `POST /webhooks/{backend}`: tools' notifications, verified by their own signatures. */
export const handler = middy().handler((event: unknown) =>
  serveWebhook(workflowDepsFromEnv(), event, log),
);
