import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { labelboxBackend } from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import { AnnoflowError } from '../../../../lib/errors/index.js';

const backend = labelboxBackend({
  objects: { bucket: 'media' } as never,
  params: { api_key: 'k' },
  secrets: memorySecretStore(),
});

// Bodies a sender could post: any text, any JSON, and JSON shaped almost like ours.
const bodies = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .record({
      project: fc.oneof(fc.record({ id: fc.string() }), fc.anything()),
      updated_at: fc.anything(),
    })
    .map((value) => JSON.stringify(value)),
);
const headers = fc.dictionary(
  fc.constantFrom('X-Hub-Signature', 'X-Hub-Signature-256', 'X-Labelbox-Id', 'x-other'),
  fc.string(),
);

describe('Property: Labelbox webhooks from anyone', () => {
  it('are refused, never thrown on, by verifyWebhook', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, headers, async (rawBody, given) => {
        expect(await backend.verifyWebhook({ headers: given, rawBody })).toBe(false);
      }),
    );
  });

  it('parse to events or to a typed error (a 4xx), never anything else', () => {
    fc.assert(
      fc.property(bodies, headers, (rawBody, given) => {
        try {
          const events = backend.parseWebhook({ headers: given, rawBody });
          expect(events).toHaveLength(1);
        } catch (error) {
          expect(error).toBeInstanceOf(AnnoflowError);
          expect((error as AnnoflowError).code).toBe('INVALID_INPUT');
        }
      }),
    );
  });
});
