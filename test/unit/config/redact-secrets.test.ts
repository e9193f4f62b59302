import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../../../lib/config/index.js';

describe('Function: redactSecrets', () => {
  const secretKeys = [
    'password',
    'api_key',
    'token',
    'secret',
    'headers',
    'username',
    'db_password',
    'client_secret',
    'access_token',
    'labelbox_api_key',
    'apiKey',
    'API_KEY',
    'Password',
  ];
  for (const key of secretKeys) {
    it(`replaces "${key}" with "***"`, () => {
      expect(redactSecrets({ [key]: 'value' })).toEqual({ [key]: '***' });
    });
  }

  for (const key of ['url', 'task_size', 'project_name', 'config_cls', 'module']) {
    it(`keeps "${key}"`, () => {
      expect(redactSecrets({ [key]: 'value' })).toEqual({ [key]: 'value' });
    });
  }

  it('redacts a credential of any type, e.g. a numeric password from env', () => {
    expect(redactSecrets({ password: 12345 })).toEqual({ password: REDACTED });
  });

  it('redacts a whole headers object', () => {
    expect(redactSecrets({ headers: { Authorization: 'Bearer x' } })).toEqual({ headers: '***' });
  });

  it('redacts credentials nested in objects and arrays', () => {
    expect(redactSecrets({ auth: { token: 't' }, hooks: [{ secret: 's', url: 'u' }] })).toEqual({
      auth: { token: '***' },
      hooks: [{ secret: '***', url: 'u' }],
    });
  });

  it('leaves an absent credential null so the record shows none was given', () => {
    expect(redactSecrets({ password: null, api_key: undefined })).toEqual({
      password: null,
      api_key: undefined,
    });
  });

  it('does not mutate its input', () => {
    const params = { url: 'u', password: 'p', nested: { token: 't' } };
    redactSecrets(params);
    expect(params).toEqual({ url: 'u', password: 'p', nested: { token: 't' } });
  });
});
