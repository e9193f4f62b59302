import { describe, expect, it } from 'vitest';
import { main } from '../../../lib/cli/main.js';

describe('CLI endpoint', () => {
  it('refuses an endpoint that carries a user and password as bad usage, printing neither', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(['datasets', 'list'], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: {
        isTTY: false,
        write: (text: string) => {
          stderr += text;
          return true;
        },
      },
      env: { ANNOFLOW_ENDPOINT: 'http://alice:s3cr3t@127.0.0.1:9/' },
    });

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('error: the endpoint must not carry a user or password');
    expect(stderr).not.toContain('s3cr3t');
    expect(stderr).not.toContain('alice');
  });
});
