import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimLocalResources } from '../../../lib/local/preflight.js';

const freshDir = () => mkdtempSync(join(tmpdir(), 'annoflow-preflight-'));

async function busyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('Function: claimLocalResources (npm start preflight)', () => {
  it('refuses a port in use, naming it and --port', async () => {
    const busy = await busyPort();
    try {
      await expect(claimLocalResources({ port: busy.port, dataDir: freshDir() })).rejects.toThrow(
        `Port ${busy.port} is in use (another annoflow running?): stop it, or start with --port <another>`,
      );
    } finally {
      await busy.close();
    }
  });

  it('refuses a data directory another live process holds, naming it and --data-dir', async () => {
    const dataDir = freshDir();
    // This test runner's parent is alive for the whole test.
    writeFileSync(join(dataDir, 'annoflow.pid'), String(process.ppid));

    await expect(claimLocalResources({ port: 0, dataDir })).rejects.toThrow(
      `Data directory ${dataDir} is in use by process ${process.ppid}`,
    );
  });

  it('takes over the lock of a process that is gone, and releases it on stop', async () => {
    const dataDir = freshDir();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dataDir, 'annoflow.pid'), String(gone));

    const claimed = await claimLocalResources({ port: 0, dataDir });

    expect(readFileSync(join(dataDir, 'annoflow.pid'), 'utf8')).toBe(String(process.pid));
    claimed.release();
    expect(existsSync(join(dataDir, 'annoflow.pid'))).toBe(false);
  });
});
