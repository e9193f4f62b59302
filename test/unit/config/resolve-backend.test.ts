import { describe, expect, it } from 'vitest';
import {
  type AnnotationConfig,
  resolveAnnotationConfig,
  resolveBackend,
} from '../../../lib/config/index.js';
import { AnnotationConfigError } from '../../../lib/errors/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const config: AnnotationConfig = resolveAnnotationConfig({
  file: {
    default_backend: 'cvat',
    backends: {
      cvat: { task_size: 10, job_assignees: ['a'], headers: { 'X-Org': 'o' } },
      custom: { module: './custom.js', team: 't' },
      legacy: { config_cls: 'my.backends.LegacyConfig' },
      bare: { team: 't' },
      blank: { module: '' },
    },
  },
});

describe('Function: resolveBackend', () => {
  it('uses the default backend when the name is null', () => {
    expect(resolveBackend(config, null).name).toBe('cvat');
  });

  it('uses the default backend when the name is undefined', () => {
    expect(resolveBackend(config, undefined).name).toBe('cvat');
  });

  it("returns the named backend's params", () => {
    expect(resolveBackend(config, 'labelbox')).toEqual({
      name: 'labelbox',
      params: { url: 'https://labelbox.com' },
    });
  });

  it('returns a deep copy of the params', () => {
    const { params } = resolveBackend(config, 'cvat');
    (params.job_assignees as string[]).push('b');
    (params.headers as Record<string, string>)['X-Org'] = 'changed';
    expect(config.backends.cvat).toMatchObject({
      job_assignees: ['a'],
      headers: { 'X-Org': 'o' },
    });
  });

  it('lets kwargs override the config params', () => {
    const { params } = resolveBackend(config, 'cvat', { task_size: 3, segment_size: 2 });
    expect(params).toMatchObject({ url: 'https://app.cvat.ai', task_size: 3, segment_size: 2 });
  });

  it('ignores kwargs that are undefined', () => {
    const { params } = resolveBackend(config, 'cvat', { task_size: undefined });
    expect(params.task_size).toBe(10);
  });

  it('lets a null kwarg override a param, as url=None does in FiftyOne', () => {
    const { params } = resolveBackend(config, 'cvat', { url: null });
    expect(params.url).toBeNull();
  });

  it('rejects a backend that is not exposed with UNSUPPORTED_BACKEND and the sorted list', () => {
    const error = thrown(() => resolveBackend(config, 'nope'));
    expect(error).toBeInstanceOf(AnnotationConfigError);
    expect(error).toMatchObject({
      code: 'UNSUPPORTED_BACKEND',
      message:
        "Unsupported backend 'nope'. The available backends are " +
        "['bare', 'blank', 'custom', 'cvat', 'files', 'labelbox', 'labelstudio', 'legacy']",
    });
  });

  it('rejects a null default backend with UNSUPPORTED_BACKEND', () => {
    const error = thrown(() => resolveBackend({ ...config, defaultBackend: null }, null));
    expect(error).toBeInstanceOf(AnnotationConfigError);
    expect(error).toMatchObject({
      code: 'UNSUPPORTED_BACKEND',
      message: expect.stringContaining("Unsupported backend 'null'"),
    });
  });

  it('rejects an unexposed default backend set by an override', () => {
    const overridden = resolveAnnotationConfig({ overrides: { defaultBackend: 'gone' } });
    const error = thrown(() => resolveBackend(overridden, null));
    expect(error).toMatchObject({
      code: 'UNSUPPORTED_BACKEND',
      message: expect.stringContaining("Unsupported backend 'gone'"),
    });
  });

  it('does not mistake inherited object properties for backends', () => {
    const error = thrown(() => resolveBackend(config, 'constructor'));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_BACKEND' });
  });

  it('accepts a custom backend with a module param', () => {
    expect(resolveBackend(config, 'custom').params).toEqual({ module: './custom.js', team: 't' });
  });

  it('accepts a custom backend with a config_cls param', () => {
    expect(resolveBackend(config, 'legacy').params.config_cls).toBe('my.backends.LegacyConfig');
  });

  it('accepts a config_cls given as a kwarg', () => {
    const { params } = resolveBackend(config, 'bare', { config_cls: 'my.Config' });
    expect(params.config_cls).toBe('my.Config');
  });

  it("falls back to the entry's config_cls when the kwarg is null", () => {
    const { params } = resolveBackend(config, 'legacy', { config_cls: null });
    expect(params.config_cls).toBe('my.backends.LegacyConfig');
  });

  it('rejects a custom backend without config_cls or module with BACKEND_MODULE_MISSING', () => {
    const error = thrown(() => resolveBackend(config, 'bare'));
    expect(error).toBeInstanceOf(AnnotationConfigError);
    expect(error).toMatchObject({
      code: 'BACKEND_MODULE_MISSING',
      message: "Annotation backend 'bare' has no `config_cls`",
    });
  });

  it('treats an empty module param as missing', () => {
    const error = thrown(() => resolveBackend(config, 'blank'));
    expect(error).toMatchObject({ code: 'BACKEND_MODULE_MISSING' });
  });

  it('rejects a null config_cls kwarg when the entry has none', () => {
    const error = thrown(() => resolveBackend(config, 'bare', { config_cls: null }));
    expect(error).toMatchObject({ code: 'BACKEND_MODULE_MISSING' });
  });

  it('needs no module for a built-in backend', () => {
    expect(resolveBackend(config, 'files')).toEqual({ name: 'files', params: {} });
  });
});
