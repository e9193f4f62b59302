import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';

type Handler = (root: string, req: IncomingMessage, res: ServerResponse) => void;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A server that answers as a broken Labelbox might: `handler` decides per root field. */
async function brokenLabelbox(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const root = /\{\s*(\w+)/.exec(
        body ? (JSON.parse(body) as { query: string }).query : '',
      )?.[1];
      handler(root ?? req.url ?? '', req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const labelSchema: LabelSchema = {
  boxes: { type: 'detections', classes: ['car'], attributes: {}, existingField: false },
};
const ctx = { run: { dataset: 'd', annoKey: 'k', labelSchema } };
const task = {
  taskId: 'k-00000',
  backendTaskId: 'clpr1',
  sampleIds: ['s1'],
  backendData: { datasetId: 'ds', ontologyId: 'on', batchId: 'ba', sizes: { s1: [10, 10] } },
};
const backendAt = (url: string) =>
  labelboxBackend({
    objects: { bucket: 'media' } as never,
    params: { url, api_key: 'sk-secret', export_poll_interval_ms: 0 },
    secrets: memorySecretStore(),
  });

describe('Labelbox backend: broken tool responses', () => {
  it('names the operation and status of an HTTP failure, not the key', async () => {
    const url = await brokenLabelbox((_root, _req, res) => json(res, 503, { message: 'down' }));
    const error = await backendAt(url)
      .status(ctx, task)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'Labelbox answered project with HTTP 503',
    });
    expect(JSON.stringify(error)).not.toContain('sk-secret');
  });

  it('refuses an answer of the wrong shape, naming where', async () => {
    const url = await brokenLabelbox((_root, _req, res) =>
      json(res, 200, { data: { project: { id: 'clpr1', batches: 'many' } } }),
    );
    await expect(backendAt(url).status(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: expect.stringContaining(
        "Labelbox's answer to project is not what annoflow expects at 'batches'",
      ),
    });
  });

  it('refuses a body that is not JSON', async () => {
    const url = await brokenLabelbox((_root, _req, res) => res.writeHead(200).end('<html>'));
    await expect(backendAt(url).status(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
    });
  });

  it('reports an unreachable Labelbox by its address', async () => {
    const url = await brokenLabelbox(() => undefined);
    await close?.();
    close = undefined;
    await expect(backendAt(url).status(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining(`Labelbox cannot be reached at ${url}`),
    });
  });

  it('refuses an export line that is not a data row, naming the line', async () => {
    let base = '';
    base = await brokenLabelbox((root, req, res) => {
      if (root === 'exportDataRowsInProject')
        return json(res, 200, { data: { [root]: { taskId: 't1', isStreamable: false } } });
      if (root === 'task') {
        return json(res, 200, {
          data: { task: { id: 't1', status: 'COMPLETE', result: `${base}/result` } },
        });
      }
      if (req.url === '/result')
        return res.writeHead(200).end('{"data_row":{"id":"x"}}\nnot json\n');
      return json(res, 404, {});
    });
    await expect(backendAt(base).download(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: "Line 1 of the Labelbox export of task 'k-00000' is not an export v2 data row",
    });
  });

  it('fetches the export result link without the API key, as the SDK does', async () => {
    let base = '';
    const keys: Array<string | undefined> = [];
    base = await brokenLabelbox((root, req, res) => {
      if (root === 'exportDataRowsInProject')
        return json(res, 200, { data: { [root]: { taskId: 't1', isStreamable: false } } });
      if (root === 'task') {
        return json(res, 200, {
          data: { task: { id: 't1', status: 'COMPLETE', result: `${base}/result?sig=1` } },
        });
      }
      keys.push(req.headers.authorization);
      return res.writeHead(200).end('');
    });
    await expect(backendAt(base).download(ctx, task)).resolves.toEqual({});
    expect(keys).toEqual([undefined]);
  });

  it('refuses a complete export that names no result', async () => {
    const url = await brokenLabelbox((root, _req, res) =>
      root === 'exportDataRowsInProject'
        ? json(res, 200, { data: { [root]: { taskId: 't1', isStreamable: false } } })
        : json(res, 200, { data: { task: { id: 't1', status: 'COMPLETE', result: null } } }),
    );
    await expect(backendAt(url).download(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: "Labelbox export t1 of task 'k-00000' is complete but names no result",
    });
  });

  it('refuses a streamed export file that does not hold the byte asked for', async () => {
    let base = '';
    base = await brokenLabelbox((root, _req, res) => {
      if (root === 'exportDataRowsInProject')
        return json(res, 200, { data: { [root]: { taskId: 't1', isStreamable: true } } });
      if (root === 'task') {
        return json(res, 200, {
          data: {
            task: {
              id: 't1',
              status: 'COMPLETE',
              result: null,
              exportMetadataHeader: { totalSize: 10, totalLines: 1 },
              // Always the same file, which never reaches byte 10: no endless reading.
              exportFileFromOffset: {
                offsets: { start: 0, end: 4 },
                lines: { start: 0, end: 0 },
                file: `${base}/file`,
              },
            },
          },
        });
      }
      return res.writeHead(200).end('{"a":');
    });
    await expect(backendAt(base).download(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_RESPONSE_INVALID',
      message: 'Labelbox export t1 answered byte 5 with a file of bytes 0-4',
    });
  });

  it('deletes the dataset, then reports an ontology Labelbox will not delete, with its reason', async () => {
    const seen: string[] = [];
    const url = await brokenLabelbox((root, req, res) => {
      seen.push(`${req.method} ${root}`);
      if (root === 'project') return json(res, 200, { data: { project: null } });
      if (root === 'updateDataset') return json(res, 200, { data: { [root]: { id: 'ds' } } });
      return json(res, 422, { message: 'Ontology on has annotations' });
    });
    const error = await backendAt(url)
      .cleanup(ctx, [task])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message:
        'Labelbox answered the deletion of ontology on with HTTP 422: Ontology on has annotations',
    });
    expect(JSON.stringify(error)).not.toContain('sk-secret');
    expect(seen).toEqual(['POST project', 'POST updateDataset', 'DELETE /api/v1/ontologies/on']);
  });

  it('takes an ontology Labelbox no longer has (404) as deleted', async () => {
    const url = await brokenLabelbox((root, _req, res) =>
      root === 'project'
        ? json(res, 200, { data: { project: null } })
        : root === 'updateDataset'
          ? json(res, 200, { data: { [root]: { id: 'ds' } } })
          : json(res, 404, { message: 'not found' }),
    );
    await expect(backendAt(url).cleanup(ctx, [task])).resolves.toBeUndefined();
  });

  it('reports a failed export task', async () => {
    const url = await brokenLabelbox((root, _req, res) =>
      root === 'exportDataRowsInProject'
        ? json(res, 200, { data: { [root]: { taskId: 't1', isStreamable: false } } })
        : json(res, 200, { data: { task: { id: 't1', status: 'FAILED', result: null } } }),
    );
    await expect(backendAt(url).download(ctx, task)).rejects.toMatchObject({
      code: 'BACKEND_REQUEST_FAILED',
      message: "Labelbox export t1 of task 'k-00000' failed",
    });
  });
});
