import { describe, expect, it } from 'vitest';
import {
  annotationConfigPath,
  BUILTIN_DEFAULT_BACKEND,
  resolveAnnotationConfig,
} from '../../../lib/config/index.js';
import { InvalidInputError } from '../../../lib/errors/index.js';

const BUILTINS = {
  cvat: { url: 'https://app.cvat.ai' },
  files: {},
  labelbox: { url: 'https://labelbox.com' },
  labelstudio: { url: 'https://labelstud.io' },
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('Function: resolveAnnotationConfig', () => {
  describe('with no sources', () => {
    it('exposes the four built-in backends with their default params', () => {
      expect(resolveAnnotationConfig().backends).toEqual(BUILTINS);
    });

    it("defaults to the files backend, not FiftyOne's cvat", () => {
      expect(resolveAnnotationConfig().defaultBackend).toBe('files');
      expect(BUILTIN_DEFAULT_BACKEND).toBe('files');
    });

    it('treats an undefined file as an empty one', () => {
      expect(resolveAnnotationConfig({ file: undefined })).toEqual(resolveAnnotationConfig({}));
    });
  });

  describe('default backend', () => {
    it('takes default_backend from the file', () => {
      const config = resolveAnnotationConfig({ file: { default_backend: 'cvat' } });
      expect(config.defaultBackend).toBe('cvat');
    });

    it('accepts the camelCase defaultBackend in the file', () => {
      const config = resolveAnnotationConfig({ file: { defaultBackend: 'labelbox' } });
      expect(config.defaultBackend).toBe('labelbox');
    });

    it('prefers default_backend over defaultBackend when the file has both', () => {
      const config = resolveAnnotationConfig({
        file: { default_backend: 'cvat', defaultBackend: 'labelbox' },
      });
      expect(config.defaultBackend).toBe('cvat');
    });

    it('treats a null default_backend in the file as unset', () => {
      const config = resolveAnnotationConfig({ file: { default_backend: null } });
      expect(config.defaultBackend).toBe('files');
    });

    it('lets FIFTYONE_ANNOTATION_DEFAULT_BACKEND beat the file', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_DEFAULT_BACKEND: 'labelstudio' },
        file: { default_backend: 'cvat' },
      });
      expect(config.defaultBackend).toBe('labelstudio');
    });

    it('lets ANNOFLOW_ANNOTATION_DEFAULT_BACKEND beat the file', () => {
      const config = resolveAnnotationConfig({
        env: { ANNOFLOW_ANNOTATION_DEFAULT_BACKEND: 'labelstudio' },
        file: { default_backend: 'cvat' },
      });
      expect(config.defaultBackend).toBe('labelstudio');
    });

    it('lets ANNOFLOW_ANNOTATION_DEFAULT_BACKEND beat FIFTYONE_ANNOTATION_DEFAULT_BACKEND', () => {
      const config = resolveAnnotationConfig({
        env: {
          FIFTYONE_ANNOTATION_DEFAULT_BACKEND: 'cvat',
          ANNOFLOW_ANNOTATION_DEFAULT_BACKEND: 'labelbox',
        },
      });
      expect(config.defaultBackend).toBe('labelbox');
    });

    it('ignores an empty default backend env var', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_DEFAULT_BACKEND: '' },
        file: { default_backend: 'cvat' },
      });
      expect(config.defaultBackend).toBe('cvat');
    });

    it('falls back to FIFTYONE_ when the ANNOFLOW_ default backend is empty', () => {
      const config = resolveAnnotationConfig({
        env: {
          ANNOFLOW_ANNOTATION_DEFAULT_BACKEND: '',
          FIFTYONE_ANNOTATION_DEFAULT_BACKEND: 'labelbox',
        },
      });
      expect(config.defaultBackend).toBe('labelbox');
    });

    it('falls back to the alphabetically first exposed backend when the default is not exposed', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'labelstudio,cvat' },
      });
      expect(config.defaultBackend).toBe('cvat');
    });

    it('falls back when the file names a backend that does not exist', () => {
      const config = resolveAnnotationConfig({ file: { default_backend: 'nope' } });
      expect(config.defaultBackend).toBe('cvat');
    });

    it('sorts fallback candidates by code point, as Python does (uppercase first)', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'zeta,alpha,Beta' },
      });
      expect(config.defaultBackend).toBe('Beta');
    });
  });

  describe('exposed backends', () => {
    it('keeps every file-declared backend plus the built-ins without the env var', () => {
      const config = resolveAnnotationConfig({
        file: { backends: { custom: { config_cls: 'my.Config' }, cvat: { task_size: 5 } } },
      });
      expect(Object.keys(config.backends).sort()).toEqual([
        'custom',
        'cvat',
        'files',
        'labelbox',
        'labelstudio',
      ]);
    });

    it('exposes exactly the backends FIFTYONE_ANNOTATION_BACKENDS lists', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat,custom' },
        file: { backends: { custom: { module: './custom.js' }, other: { module: './o.js' } } },
      });
      expect(Object.keys(config.backends).sort()).toEqual(['custom', 'cvat']);
    });

    it('keeps the file params of each listed backend', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'custom' },
        file: { backends: { custom: { module: './custom.js', team: 'a' } } },
      });
      expect(config.backends.custom).toEqual({ module: './custom.js', team: 'a' });
    });

    it('gives a listed backend the file does not declare an empty entry', () => {
      const config = resolveAnnotationConfig({ env: { FIFTYONE_ANNOTATION_BACKENDS: 'custom' } });
      expect(config.backends).toEqual({ custom: {} });
    });

    it('does not trim the listed names', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat, labelbox' },
      });
      expect(Object.keys(config.backends)).toEqual(['cvat', ' labelbox']);
    });

    it('lists a repeated name once', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat,cvat' },
      });
      expect(Object.keys(config.backends)).toEqual(['cvat']);
    });

    it('adds all built-ins for a "*" item', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: '*,custom' },
        file: { backends: { custom: { module: './c.js' }, other: { module: './o.js' } } },
      });
      expect(Object.keys(config.backends).sort()).toEqual([
        'custom',
        'cvat',
        'files',
        'labelbox',
        'labelstudio',
      ]);
    });

    it('lets ANNOFLOW_ANNOTATION_BACKENDS beat FIFTYONE_ANNOTATION_BACKENDS', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat', ANNOFLOW_ANNOTATION_BACKENDS: 'labelbox' },
      });
      expect(Object.keys(config.backends)).toEqual(['labelbox']);
    });

    it('treats an empty backends env var as unset rather than a backend named ""', () => {
      const config = resolveAnnotationConfig({ env: { FIFTYONE_ANNOTATION_BACKENDS: '' } });
      expect(config.backends).toEqual(BUILTINS);
    });

    it('ignores env entries whose value is undefined', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: undefined, FIFTYONE_CVAT_URL: undefined },
      });
      expect(config.backends).toEqual(BUILTINS);
    });
  });

  describe('per-backend env params', () => {
    it('sets a param from FIFTYONE_<BACKEND>_<PARAM>, overriding the file', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_CVAT_URL: 'http://cvat:8080' },
        file: { backends: { cvat: { url: 'http://file' } } },
      });
      expect(config.backends.cvat?.url).toBe('http://cvat:8080');
    });

    it('sets a param from ANNOFLOW_<BACKEND>_<PARAM>', () => {
      const config = resolveAnnotationConfig({ env: { ANNOFLOW_FILES_BUCKET: 'media' } });
      expect(config.backends.files).toEqual({ bucket: 'media' });
    });

    it('lets ANNOFLOW_<BACKEND>_<PARAM> beat FIFTYONE_<BACKEND>_<PARAM>', () => {
      const config = resolveAnnotationConfig({
        env: { ANNOFLOW_CVAT_URL: 'http://annoflow', FIFTYONE_CVAT_URL: 'http://fiftyone' },
      });
      expect(config.backends.cvat?.url).toBe('http://annoflow');
    });

    it('lower-cases the param name', () => {
      const config = resolveAnnotationConfig({ env: { FIFTYONE_CVAT_PROJECT_NAME: 'p' } });
      expect(config.backends.cvat?.project_name).toBe('p');
    });

    it('types the value with parseEnvValue, so a numeric password is a number', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_CVAT_PASSWORD: '12345', FIFTYONE_CVAT_JOB_ASSIGNEES: 'a,b' },
      });
      expect(config.backends.cvat).toMatchObject({ password: 12345, job_assignees: ['a', 'b'] });
    });

    it('matches prefixes naively: FIFTYONE_CVAT_V2_URL sets v2_url on cvat', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat,cvat_v2', FIFTYONE_CVAT_V2_URL: 'http://v2' },
      });
      expect(config.backends.cvat?.v2_url).toBe('http://v2');
      expect(config.backends.cvat_v2?.url).toBe('http://v2');
    });

    it('upper-cases the backend name to build the prefix', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'myTool', FIFTYONE_MYTOOL_MODULE: './tool.js' },
      });
      expect(config.backends.myTool).toEqual({ module: './tool.js' });
    });

    it('does not create a hidden backend from its params', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat', FIFTYONE_LABELBOX_API_KEY: 'k' },
      });
      expect(config.backends).not.toHaveProperty('labelbox');
    });

    it('keeps an explicit null from an empty env value instead of the built-in url', () => {
      const config = resolveAnnotationConfig({ env: { FIFTYONE_CVAT_URL: '' } });
      expect(config.backends.cvat?.url).toBeNull();
    });
  });

  describe('built-in defaults', () => {
    it('fill only the keys nothing else set', () => {
      const config = resolveAnnotationConfig({
        file: { backends: { labelstudio: { url: 'http://ls', api_key: null } } },
      });
      expect(config.backends.labelstudio).toEqual({ url: 'http://ls', api_key: null });
      expect(config.backends.labelbox).toEqual({ url: 'https://labelbox.com' });
    });

    it('are not applied to custom backends', () => {
      const config = resolveAnnotationConfig({
        file: { backends: { custom: { module: './c.js' } } },
      });
      expect(config.backends.custom).toEqual({ module: './c.js' });
    });
  });

  describe('overrides', () => {
    it('replace the default backend, beating env', () => {
      const config = resolveAnnotationConfig({
        env: { ANNOFLOW_ANNOTATION_DEFAULT_BACKEND: 'cvat' },
        overrides: { defaultBackend: 'labelbox' },
      });
      expect(config.defaultBackend).toBe('labelbox');
    });

    it('replace the default backend without checking it is exposed', () => {
      const config = resolveAnnotationConfig({ overrides: { defaultBackend: 'nope' } });
      expect(config.defaultBackend).toBe('nope');
    });

    it('may set the default backend to null', () => {
      const config = resolveAnnotationConfig({ overrides: { defaultBackend: null } });
      expect(config.defaultBackend).toBeNull();
    });

    it('merge backend params over env and file params', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_CVAT_URL: 'http://env', FIFTYONE_CVAT_TASK_SIZE: '10' },
        file: { backends: { cvat: { segment_size: 5 } } },
        overrides: { backends: { cvat: { url: 'http://override' } } },
      });
      expect(config.backends.cvat).toEqual({
        url: 'http://override',
        task_size: 10,
        segment_size: 5,
      });
    });

    it('may add a backend', () => {
      const config = resolveAnnotationConfig({
        overrides: { backends: { custom: { module: './c.js' } } },
      });
      expect(config.backends.custom).toEqual({ module: './c.js' });
    });

    it('give a re-added hidden built-in its default params', () => {
      const config = resolveAnnotationConfig({
        env: { FIFTYONE_ANNOTATION_BACKENDS: 'files' },
        overrides: { backends: { cvat: { username: 'u' } } },
      });
      expect(config.backends.cvat).toEqual({ url: 'https://app.cvat.ai', username: 'u' });
    });

    it('are rejected as INVALID_INPUT when malformed', () => {
      const error = thrown(() =>
        resolveAnnotationConfig({ overrides: { backends: { cvat: 5 } } as never }),
      );
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining("'backends.cvat'"),
      });
    });
  });

  describe('config file validation', () => {
    const bad: Array<[what: string, file: unknown, path: string]> = [
      ['backends is not an object', { backends: ['cvat'] }, "'backends'"],
      ['a backend entry is not an object', { backends: { cvat: 'x' } }, "'backends.cvat'"],
      ['default_backend is not a string', { default_backend: 5 }, "'default_backend'"],
      ['backends is null', { backends: null }, "'backends'"],
    ];
    for (const [what, file, path] of bad) {
      it(`rejects a file where ${what}, naming ${path}`, () => {
        const error = thrown(() => resolveAnnotationConfig({ file }));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error).toMatchObject({
          code: 'INVALID_INPUT',
          message: expect.stringContaining(`annotation config file at ${path}`),
        });
      });
    }

    for (const file of ['cvat', ['cvat'], 5]) {
      it(`rejects a file whose JSON is ${JSON.stringify(file)}`, () => {
        const error = thrown(() => resolveAnnotationConfig({ file }));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error).toMatchObject({ code: 'INVALID_INPUT' });
      });
    }

    it('treats a file whose JSON is null as empty, as FiftyOne does', () => {
      expect(resolveAnnotationConfig({ file: null })).toEqual(resolveAnnotationConfig({}));
    });

    it('ignores unknown keys in the file', () => {
      const config = resolveAnnotationConfig({ file: { something_else: 1 } });
      expect(config).toEqual({ defaultBackend: 'files', backends: BUILTINS });
    });

    it('does not mutate the file object', () => {
      const file = { backends: { cvat: { task_size: 5 } } };
      resolveAnnotationConfig({ file, env: { FIFTYONE_CVAT_URL: 'http://x' } });
      expect(file).toEqual({ backends: { cvat: { task_size: 5 } } });
    });
  });
});

describe('Function: annotationConfigPath', () => {
  it('uses ANNOFLOW_ANNOTATION_CONFIG_PATH first', () => {
    const path = annotationConfigPath({
      ANNOFLOW_ANNOTATION_CONFIG_PATH: '/a.json',
      FIFTYONE_ANNOTATION_CONFIG_PATH: '/f.json',
      HOME: '/home/u',
    });
    expect(path).toBe('/a.json');
  });

  it("uses FIFTYONE_ANNOTATION_CONFIG_PATH when annoflow's is unset", () => {
    const path = annotationConfigPath({ FIFTYONE_ANNOTATION_CONFIG_PATH: '/f.json' });
    expect(path).toBe('/f.json');
  });

  it('treats an empty path variable as unset', () => {
    const path = annotationConfigPath({
      ANNOFLOW_ANNOTATION_CONFIG_PATH: '',
      FIFTYONE_ANNOTATION_CONFIG_PATH: '/f.json',
    });
    expect(path).toBe('/f.json');
  });

  it('defaults to ~/.fiftyone/annotation_config.json under HOME', () => {
    expect(annotationConfigPath({ HOME: '/home/u/' })).toBe(
      '/home/u/.fiftyone/annotation_config.json',
    );
  });

  it('keeps the ~ when HOME is unset', () => {
    expect(annotationConfigPath({})).toBe('~/.fiftyone/annotation_config.json');
  });
});
