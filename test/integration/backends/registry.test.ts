import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type BackendFactory,
  type BackendFactoryInput,
  BackendRegistry,
  BUILTIN_BACKEND_FACTORIES,
  createFilesBackend,
  loadCustomBackend,
} from '../../../lib/backends/index.js';
import { resolveAnnotationConfig, resolveBackend } from '../../../lib/config/index.js';
import { createStepBackend } from '../../../lib/workflows/deps.js';
import { listKeys } from '../../support/bucket.js';
import { useLocalAws } from '../../support/local-aws.js';

import { depsFor } from '../workflows/run-support.js';

const aws = useLocalAws();

const ROOT = resolve(import.meta.dirname, '../../..');
const ECHO = './test/fixtures/backends/echo-backend.ts';
const BROKEN = './test/fixtures/backends/broken-backends.ts';
const run = { dataset: 'street', annoKey: 'k', labelSchema: {} };
const page = { index: 3, samples: [{ id: 's1', filepath: 'https://x/a.jpg', fields: {} }] };

/** The annotation config a user would write, with their own backends declared. */
const config = resolveAnnotationConfig({
  file: {
    backends: {
      echo: { module: ECHO, prefix: 'from-config' },
      legacy: { config_cls: `${ECHO}#createEcho` },
      broken: { module: BROKEN },
      incomplete: { module: `${BROKEN}#incomplete` },
      throwing: { module: `${BROKEN}#throwing` },
      lying: { module: `${BROKEN}#lying` },
      missing: { module: './test/fixtures/backends/nowhere.ts' },
    },
  },
});

async function create(name: string) {
  const local = await aws.newStore();
  const backend = await new BackendRegistry().create(resolveBackend(config, name), {
    objects: local.store.media,
    baseDir: ROOT,
  });
  return { local, backend };
}

describe('Class: BackendRegistry', () => {
  it('creates the built-in files backend by name', async () => {
    const { backend } = await create('files');

    expect(backend.capabilities.name).toBe('files');
  });

  it('names the available backends when a name has no implementation', async () => {
    const local = await aws.newStore();

    // A registry of the files backend alone stands for a build without the cvat one.
    const filesOnly = new BackendRegistry({
      files: BUILTIN_BACKEND_FACTORIES.files as BackendFactory,
    });
    const creating = filesOnly.create(resolveBackend(config, 'cvat'), {
      objects: local.store.media,
    });

    await expect(creating).rejects.toMatchObject({
      name: 'AnnotationConfigError',
      code: 'UNSUPPORTED_BACKEND',
      message: expect.stringContaining(
        "Backend 'cvat' has no implementation; the available backends are ['files']",
      ),
    });
  });

  it('loads a custom backend from the module given in the config and gives it its params and the bucket', async () => {
    const { local, backend } = await create('echo');

    const { tasks } = await backend.upload({ run, page });

    expect(backend.capabilities.name).toBe('echo');
    expect(tasks).toEqual([
      { taskId: 'page-3', backendTaskId: 'from-config:page-3', sampleIds: ['s1'] },
    ]);
    expect(await listKeys(local)).toEqual(['custom/from-config/page-3.json']);
  });

  it('loads a named export given as config_cls with #export', async () => {
    const { backend } = await create('legacy');

    expect(backend.capabilities.name).toBe('legacy');
  });

  it('takes backends registered in code', async () => {
    const local = await aws.newStore();
    const registry = new BackendRegistry().register(
      'mine',
      await loadCustomBackend(resolve(ROOT, ECHO)),
    );

    const backend = await registry.create(
      { name: 'mine', params: {} },
      { objects: local.store.media },
    );

    expect(registry.names()).toEqual([...Object.keys(BUILTIN_BACKEND_FACTORIES), 'mine'].sort());
    expect(backend.capabilities.name).toBe('mine');
  });

  it('refuses to register a name twice', () => {
    const registry = new BackendRegistry();

    expect(() => registry.register('files', () => ({}) as never)).toThrow(
      expect.objectContaining({
        code: 'UNSUPPORTED_BACKEND',
        message: "A backend named 'files' is already registered",
      }),
    );
  });

  it.each([
    [
      'a module that does not exist',
      'missing',
      "Cannot import backend module './test/fixtures/backends/nowhere.ts'",
    ],
    [
      'a module without a factory',
      'broken',
      "must export a function 'createBackend' or a default export that is a function; it exports ['incomplete', 'lying', 'notAFunction', 'throwing']",
    ],
    [
      'a factory that makes no backend',
      'incomplete',
      "did not return an AnnotationBackend: 'download' must be a function",
    ],
    ['a factory that throws', 'throwing', 'failed to create a backend: needs an api_key'],
  ])('refuses %s with BACKEND_MODULE_INVALID', async (_name, backend, message) => {
    await expect(create(backend)).rejects.toMatchObject({
      name: 'BackendError',
      code: 'BACKEND_MODULE_INVALID',
      message: expect.stringContaining(message),
    });
  });

  it("parses a custom backend's answers, naming the method that answered wrong", async () => {
    const { backend } = await create('lying');

    await expect(backend.upload({ run, page })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("result of backend 'lying'.upload() at 'tasks[0].taskId'"),
    });
    await expect(
      backend.status({ run }, { taskId: 't', backendTaskId: 'x', sampleIds: [] }),
    ).rejects.toMatchObject({ message: expect.stringContaining("backend 'lying'.status()") });
  });
});

describe('Function: loadCustomBackend', () => {
  it('refuses an export that is not a function', async () => {
    await expect(
      loadCustomBackend(`${BROKEN}#notAFunction`, { baseDir: ROOT }),
    ).rejects.toMatchObject({
      code: 'BACKEND_MODULE_INVALID',
      message: expect.stringContaining("must export a function 'notAFunction'"),
    });
  });
});

describe('Backends made for workflow steps', () => {
  it("hand the workflow's log to the backend, so its lines go where the service's go", async () => {
    const local = await aws.newStore();
    const lines: Record<string, unknown>[] = [];
    let given: BackendFactoryInput['log'];
    const backends = new BackendRegistry().register('spy', (input) => {
      given = input.log;
      return createFilesBackend({ objects: input.objects });
    });
    const deps = {
      ...depsFor(local.store, { backends }),
      log: (e: Record<string, unknown>) => lines.push(e),
    };

    await createStepBackend(deps, { name: 'spy', params: {} });
    given?.({ level: 'info', message: 'from the backend' });

    expect(lines).toEqual([{ level: 'info', message: 'from the backend' }]);
  });
});
