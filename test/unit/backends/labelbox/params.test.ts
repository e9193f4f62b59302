import { describe, expect, it } from 'vitest';
import {
  graphqlEndpoint,
  labelboxBackend,
  labelboxEndpoints,
  labelboxParamsSchema,
} from '../../../../lib/backends/labelbox/index.js';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';

const objects = { bucket: 'media' } as never;
const make = (params: Record<string, unknown>, withSecrets = true) =>
  labelboxBackend({ objects, params, ...(withSecrets ? { secrets: memorySecretStore() } : {}) });

describe('Function: graphqlEndpoint', () => {
  it.each([
    ['https://labelbox.com', 'https://api.labelbox.com/graphql'],
    ['https://api.labelbox.com', 'https://api.labelbox.com/graphql'],
    ['https://labelbox.example.org/', 'https://api.labelbox.example.org/graphql'],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000/graphql'],
    ['http://localhost:4000', 'http://localhost:4000/graphql'],
  ])('builds %s into %s, as FiftyOne does', (url, endpoint) => {
    expect(graphqlEndpoint(url)).toBe(endpoint);
  });
});

describe('Function: labelboxEndpoints', () => {
  it('puts GraphQL, experimental GraphQL and REST where the SDK does, on the API host', () => {
    expect(labelboxEndpoints('https://labelbox.com')).toEqual({
      graphql: 'https://api.labelbox.com/graphql',
      experimental: 'https://api.labelbox.com/_gql',
      rest: 'https://api.labelbox.com/api/v1',
    });
    expect(labelboxEndpoints('http://127.0.0.1:4000').rest).toBe('http://127.0.0.1:4000/api/v1');
  });
});

describe('Function: labelboxBackend params', () => {
  it('takes FiftyOne’s names with the default url', () => {
    expect(make({ api_key: 'k', project_name: 'mine' }).capabilities.name).toBe('labelbox');
  });

  it('takes an env-parsed numeric key as text', () => {
    expect(() => make({ api_key: 12345 })).not.toThrow();
  });

  it.each([
    ['no api_key', {}, "'api_key'"],
    ['classes_as_attrs false', { api_key: 'k', classes_as_attrs: false }, 'class_name question'],
    ['members to invite', { api_key: 'k', members: [['a@b.c', 'LABELER']] }, 'not supported'],
    ['a url that is not http(s)', { api_key: 'k', url: 'ftp://labelbox.com' }, "'url'"],
  ])('refuses %s with INVALID_INPUT naming it', (_name, params, fragment) => {
    expect(() => make(params)).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(fragment),
      }),
    );
  });

  it('waits for a data row import as the SDK does by default: a poll every 2 s, 5 minutes at most', () => {
    expect(labelboxParamsSchema.parse({ api_key: 'k' })).toMatchObject({
      data_row_poll_interval_ms: 2000,
      data_row_timeout_ms: 240_000,
    });
  });

  it.each([
    ['a negative data_row_poll_interval_ms', { data_row_poll_interval_ms: -1 }],
    ['a zero data_row_timeout_ms', { data_row_timeout_ms: 0 }],
  ])('refuses %s', (_name, params) => {
    expect(() => make({ api_key: 'k', ...params })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });

  it('refuses a webhook_url without a secret store to keep its secrets', () => {
    expect(() => make({ api_key: 'k', webhook_url: 'https://hooks.example/x' }, false)).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('secret store'),
      }),
    );
  });

  it('never repeats the key in an error', () => {
    let message = '';
    try {
      make({ api_key: 'sk-very-secret', url: 'not a url' });
    } catch (error) {
      message = JSON.stringify(error) + String(error);
    }
    expect(message).toContain('url');
    expect(message).not.toContain('sk-very-secret');
  });

  it('supports images and videos, and no existing labels', () => {
    const { capabilities } = make({ api_key: 'k' });
    expect(capabilities.supportedMediaTypes).toEqual(['image', 'video']);
    expect(capabilities.editsExistingLabels).toBe(false);
  });
});
