import { describe, expect, it } from 'vitest';
import {
  labelboxBackend,
  parseLabelboxWebhook,
  signatureMatches,
  webhookSecretName,
} from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';

// Reference §4: secret `example_secret`, this exact body, these exact headers.
const EXAMPLE_BODY = '{"id":"clx0label0001","event":"LABEL_CREATED"}';
const EXAMPLE_SHA1 = 'sha1=3eb986edaf123243270f652482a73f7c334351b6';
const EXAMPLE_SHA256 = 'sha256=98fd38037cf005c9ccb3b21e855c8345d1a4215cd5d99e1fbfc3c4fa3be44f5e';

describe('Function: signatureMatches (reference §4 worked example)', () => {
  it('accepts the worked example’s X-Hub-Signature', () => {
    const request = { headers: { 'X-Hub-Signature': EXAMPLE_SHA1 }, rawBody: EXAMPLE_BODY };
    expect(signatureMatches('example_secret', request)).toBe(true);
  });

  it('accepts both signatures when the SHA-256 one is sent too, in any header case', () => {
    const request = {
      headers: { 'x-hub-signature': EXAMPLE_SHA1, 'x-hub-signature-256': EXAMPLE_SHA256 },
      rawBody: EXAMPLE_BODY,
    };
    expect(signatureMatches('example_secret', request)).toBe(true);
  });

  it.each([
    ['another secret', 'other_secret', { 'X-Hub-Signature': EXAMPLE_SHA1 }, EXAMPLE_BODY],
    [
      'a re-serialized body',
      'example_secret',
      { 'X-Hub-Signature': EXAMPLE_SHA1 },
      '{"id": "clx0label0001", "event": "LABEL_CREATED"}',
    ],
    ['no signature', 'example_secret', {}, EXAMPLE_BODY],
    [
      'only the SHA-256 signature',
      'example_secret',
      { 'X-Hub-Signature-256': EXAMPLE_SHA256 },
      EXAMPLE_BODY,
    ],
    [
      'a forged SHA-256 beside a good SHA-1',
      'example_secret',
      { 'X-Hub-Signature': EXAMPLE_SHA1, 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` },
      EXAMPLE_BODY,
    ],
    [
      'a signature without its prefix',
      'example_secret',
      { 'X-Hub-Signature': EXAMPLE_SHA1.slice(5) },
      EXAMPLE_BODY,
    ],
  ])('refuses %s', (_name, secret, headers, rawBody) => {
    expect(signatureMatches(secret, { headers, rawBody })).toBe(false);
  });
});

describe('Method: labelboxBackend().verifyWebhook', () => {
  const body = '{"id":"lb1","event":"LABEL_UPDATED","project":{"id":"clpr1","name":"p"}}';
  const sign = async (secret: string) => {
    const { createHmac } = await import('node:crypto');
    return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
  };
  async function backendWith(secret?: string) {
    const secrets = memorySecretStore();
    if (secret) await secrets.put(webhookSecretName('clpr1'), secret);
    const objects = { bucket: 'media' } as never;
    return labelboxBackend({ objects, params: { api_key: 'k' }, secrets });
  }

  it('accepts a delivery signed with the project’s stored secret', async () => {
    const backend = await backendWith('s3cret');
    const headers = { 'X-Hub-Signature': await sign('s3cret') };
    expect(await backend.verifyWebhook({ headers, rawBody: body })).toBe(true);
  });

  it('refuses a delivery forged with another secret', async () => {
    const backend = await backendWith('s3cret');
    const headers = { 'X-Hub-Signature': await sign('guess') };
    expect(await backend.verifyWebhook({ headers, rawBody: body })).toBe(false);
  });

  it('refuses a delivery for a project it keeps no secret for', async () => {
    const backend = await backendWith();
    const headers = { 'X-Hub-Signature': await sign('s3cret') };
    expect(await backend.verifyWebhook({ headers, rawBody: body })).toBe(false);
  });

  it.each([['not json'], ['{"id":"lb1"}'], ['[]'], ['']])(
    'refuses the malformed body %j',
    async (rawBody) => {
      const backend = await backendWith('s3cret');
      expect(
        await backend.verifyWebhook({ headers: { 'X-Hub-Signature': 'sha1=00' }, rawBody }),
      ).toBe(false);
    },
  );
});

describe('Function: parseLabelboxWebhook', () => {
  const body =
    '{"id":"lb1","event":"LABEL_CREATED","project":{"id":"clpr1","name":"p"},"updated_at":"2026-01-01T00:00:05.000Z"}';

  it('names the project as the task and the label’s update time as the revision', () => {
    const events = parseLabelboxWebhook({ headers: {}, rawBody: body });
    expect(events).toEqual([
      { type: 'task.updated', backendTaskId: 'clpr1', revision: '2026-01-01T00:00:05.000Z' },
    ]);
  });

  it('ignores the delivery id header, which the signature does not cover', () => {
    const events = parseLabelboxWebhook({ headers: { 'X-Labelbox-Id': 'd-1' }, rawBody: body });
    expect(events[0]?.revision).toBe('2026-01-01T00:00:05.000Z');
  });

  it('falls back to the body’s hash without an update time', () => {
    const events = parseLabelboxWebhook({ headers: {}, rawBody: '{"projectId":"clpr1"}' });
    expect(events[0]).toMatchObject({
      backendTaskId: 'clpr1',
      revision: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it.each([['not json'], ['{"id":"lb1"}'], ['{"project":{"id":""}}']])(
    'throws INVALID_INPUT for %j',
    (rawBody) => {
      expect(() => parseLabelboxWebhook({ headers: {}, rawBody })).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
    },
  );
});
