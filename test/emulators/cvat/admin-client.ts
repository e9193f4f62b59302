import type { CvatEmulator } from './index.js';

/** A JSON call to the emulator as its admin (token auth), for the emulator's own specs. */
export async function adminCall(
  cvat: CvatEmulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${cvat.url}${path}`, {
    method,
    headers: {
      authorization: `Token ${cvat.tokens.admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
  };
}
