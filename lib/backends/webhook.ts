import { createHash, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from './backend.js';

/**
 * Compares two strings in time independent of where they differ and of their lengths:
 * both are hashed to 32 bytes first, since `crypto.timingSafeEqual` needs equal lengths
 * and an early length check would tell an attacker how long the secret is.
 */
export function timingSafeEqualText(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}

/** A header's value, whatever the case of its name (API Gateway lower-cases, tools do not). */
export function headerValue(request: WebhookRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
