import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.js';
import { startCannedApi } from '../client/canned-api.js';

let api: Awaited<ReturnType<typeof startCannedApi>> | undefined;
afterEach(() => api?.stop());

const item = (n: number) => ({
  workflow: 'load',
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:L:e-${n}`,
  executionName: `e-${n}`,
  startDate: `2026-01-0${n}T00:00:00.000Z`,
  startedBy: 'api',
  status: 'SUCCEEDED',
});

describe('annoflow runs executions (every page)', () => {
  it('lists every execution of the run, not only the first page', async () => {
    api = await startCannedApi({
      'GET /datasets/d/runs/k/executions': (call) => ({
        status: 200,
        body: call === 0 ? { items: [item(2)], cursor: 'next' } : { items: [item(1)] },
      }),
    });
    let stdout = '';
    const code = await main(['runs', 'executions', 'd', 'k'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { isTTY: false, write: () => true },
      env: { ANNOFLOW_ENDPOINT: api.url },
    });
    expect(code).toBe(0);
    expect(stdout).toContain('e-2');
    expect(stdout).toContain('e-1'); // the second page: never requested
  });
});
