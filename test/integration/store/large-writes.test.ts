import { describe, expect, it } from 'vitest';
import { createStore } from '../../../lib/store/index.js';
import { imageSample, oid } from '../../support/builders.js';
import { useLocalAws } from '../../support/local-aws.js';

const aws = useLocalAws();

function segmentation(rows: number, cols: number, seed = 0): Record<string, unknown> {
  const mask = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => (r * 7 + c * 3 + seed) % 10),
  );
  return { _cls: 'Segmentation', id: oid(9), mask };
}

describe('Sample field writes without a caller item', () => {
  it('does not write a stale copy of an unrelated field over a sample replaced since its read', async () => {
    const local = await aws.newStore();
    // ~250 KB label field, inline (the item is under 350 KB).
    const oldGt = segmentation(200, 420, 1);
    const newGt = segmentation(200, 420, 2);
    await local.store.samples.put('d', imageSample('s1', { gt: oldGt }));

    // The writer's clients: right after its sizing read, ingest replaces the sample
    // (a whole put: version 0 again, a new generation, a new `gt`).
    const clients = aws.newClients();
    let replaced = false;
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'GetItemCommand' && !replaced) {
          replaced = true;
          await local.store.samples.put('d', imageSample('s1', { gt: newGt }));
        }
        return result;
      },
      { step: 'initialize', name: 'replaceAfterRead' },
    );
    const writer = createStore(clients, { tableName: local.tableName, bucket: local.bucket });

    // ~150 KB: together with gt the item passes 350 KB, so the plan offloads gt (largest).
    const pred = segmentation(100, 500, 3);
    await writer.samples.updateFields('d', 's1', { pred }, 0).catch(() => undefined);
    expect(replaced).toBe(true);

    const stored = (await local.store.samples.get('d', 's1')).sample as Record<string, unknown>;
    // The re-ingested value must survive: the update never touched `gt`.
    expect(JSON.stringify(stored.gt) === JSON.stringify(newGt)).toBe(true);
  });
});

describe('TaskRepository.findByBackendTaskId', () => {
  it('returns every task under one backend task id, past a 1 MB query page', async () => {
    const local = await aws.newStore();
    const at = '2024-01-01T00:00:00.000Z';
    // Eight runs whose tasks share the tool's task id (ids unique per run/server only),
    // each ~200 KB (a large id map / backendData): 1.6 MB under one gsi1 partition.
    for (let i = 0; i < 8; i += 1) {
      await local.store.tasks.put({
        dataset: 'd',
        annoKey: `run${i}`,
        taskId: 't1',
        backend: 'cvat',
        backendTaskId: '42',
        status: 'open',
        sampleIds: ['s1'],
        idMap: {},
        backendData: { blob: 'x'.repeat(200_000) },
        createdAt: at,
        updatedAt: at,
      });
    }
    const found = await local.store.tasks.findByBackendTaskId('cvat', '42');
    expect(found.map((task) => task.annoKey).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `run${i}`),
    );
  });
});

describe('SampleRepository.batchPut request size', () => {
  it('writes 25 samples that each fit (inline, under 350 KB) in one batchPut, splitting the 16 MB request', async () => {
    const local = await aws.newStore();
    // ~300 KB each as stored, ~1 MB each in DynamoDB JSON on the wire.
    const samples = Array.from({ length: 25 }, (_, i) =>
      imageSample(`s${i}`, { gt: segmentation(100, 1000) }),
    );
    await expect(local.store.samples.batchPut('d', samples)).resolves.toEqual({ written: 25 });
    expect(await local.store.samples.count('d')).toBe(25);
  });
});
