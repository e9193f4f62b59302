import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Checks that `npm start` can have its port and its data directory before anything starts:
 * a second instance otherwise failed ~20 s later with `EADDRINUSE` or dynalite's "Database
 * is closed" (the data directory's lock), neither naming the other instance.
 */
export async function claimLocalResources(options: {
  port: number;
  dataDir: string;
}): Promise<{ release(): void }> {
  await portFree(options.port);
  return lockDataDir(options.dataDir);
}

async function portFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Port ${port} is in use (another annoflow running?): stop it, or start with --port <another>`,
            )
          : error,
      );
    });
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const lock = join(dataDir, 'annoflow.pid');
  const holder = readPid(lock);
  if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `Data directory ${dataDir} is in use by process ${holder} (another annoflow?): stop it, or start with --data-dir <another>`,
    );
  }
  // A lock left by a process that is gone (killed hard) is taken over.
  writeFileSync(lock, String(process.pid));
  return {
    release: () => {
      if (readPid(lock) === process.pid) rmSync(lock, { force: true });
    },
  };
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
