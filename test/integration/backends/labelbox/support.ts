import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '../../../../lib/backends/backend.js';
import {
  BackendRegistry,
  type BackendSecretStore,
  BUILTIN_BACKEND_FACTORIES,
} from '../../../../lib/backends/index.js';
import { createLabelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import type { AnnotateRequest } from '../../../../lib/workflows/index.js';
import type { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';
import type { LocalStore } from '../../../support/local-aws.js';
import { DATASET, depsFor } from '../../workflows/run-support.js';

/** A stand-in for the service's webhook route: it keeps what it receives, raw. */
export async function startReceiver() {
  const received: WebhookRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      received.push({ headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/labelbox`;
  return {
    url,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Workflow deps whose `labelbox` backend talks to the emulator and keeps secrets in `secrets`. */
export function labelboxDeps(
  local: LocalStore,
  emulator: LabelboxEmulator,
  secrets: BackendSecretStore,
  webhookUrl?: string,
) {
  const backends = new BackendRegistry({
    ...BUILTIN_BACKEND_FACTORIES,
    labelbox: createLabelboxBackend,
  });
  const config = {
    defaultBackend: 'labelbox',
    backends: {
      labelbox: {
        url: emulator.url,
        api_key: emulator.apiKey,
        export_poll_interval_ms: 0,
        data_row_poll_interval_ms: 0,
        ...(webhookUrl ? { webhook_url: webhookUrl } : {}),
      },
    },
  };
  return { ...depsFor(local.store, { backends, config }), secrets };
}

/** Two NEW fields (Labelbox edits no existing labels): boxes with an attribute, and a tag. */
export const NEW_FIELDS = {
  dataset: DATASET,
  annoKey: 'lb',
  backend: 'labelbox',
  labelSchema: {
    vehicles: {
      type: 'detections',
      classes: ['car', 'truck'],
      attributes: { parked: { type: 'radio', values: [true, false] } },
    },
    time_of_day: { type: 'classification', classes: ['day', 'night'] },
  },
  pageSize: 2,
} satisfies AnnotateRequest;
