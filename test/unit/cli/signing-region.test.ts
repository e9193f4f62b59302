import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lib/cli/main.js';

describe('CLI signing region', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.unstubAllEnvs();
  });

  it('signs for the region of an execute-api endpoint even when AWS_REGION names another', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_PROFILE', '');
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (_url: URL, init: RequestInit) => {
      seen.push(String((init.headers as Record<string, string>).authorization));
      return new Response('{"items":[]}', { headers: { 'content-type': 'application/json' } });
    });
    let err = '';
    const code = await main(['datasets', 'list'], {
      stdout: { write: () => true },
      stderr: {
        write: (t: string) => {
          err += t;
          return true;
        },
        isTTY: false,
      } as never,
      env: {
        ANNOFLOW_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
        AWS_REGION: 'us-east-1',
      },
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    // API Gateway in eu-west-1 refuses any other scope: "Credential should be scoped to a valid region".
    expect(seen[0]).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\//);
  });
});
