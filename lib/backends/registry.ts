import type { ResolvedBackend } from '../config/backend.js';
import { AnnotationConfigError, BackendError } from '../errors/index.js';
import type { AnnotationBackend } from './backend.js';
import {
  type BackendFactory,
  type BackendFactoryInput,
  loadCustomBackend,
} from './custom-module.js';
import { assertBackendShape, guardBackend } from './shape.js';

/**
 * The backends annoflow implements, by the name the annotation config uses. Each loads its
 * module on first use: a Lambda runs one tool, and the four together (~95 KiB minified, their
 * schemas, clients and codecs) were over half of our own code parsed at each cold start.
 * Bundled with splitting (cdk/function-build.ts), each is a chunk fetched by that `import()`.
 */
export const BUILTIN_BACKEND_FACTORIES: Readonly<Record<string, BackendFactory>> = Object.freeze({
  files: async ({ params, objects, clock }) => {
    const { createFilesBackend } = await import('./files/files-backend.js');
    return createFilesBackend({ objects, params, ...(clock ? { clock } : {}) });
  },
  cvat: async (input) => (await import('./cvat/index.js')).createCvatBackend(input),
  labelstudio: async (input) =>
    (await import('./labelstudio/index.js')).createLabelStudioBackend(input),
  labelbox: async (input) => (await import('./labelbox/index.js')).createLabelboxBackend(input),
});

/** Params naming a user's module; `module` wins over `config_cls` when both are set. */
const MODULE_PARAMS = ['module', 'config_cls'] as const;

function moduleOf(params: ResolvedBackend['params']): string | undefined {
  for (const key of MODULE_PARAMS) {
    const value = params[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export interface CreateBackendOptions extends Omit<BackendFactoryInput, 'name' | 'params'> {
  /** Where relative module paths are resolved; the working directory by default. */
  readonly baseDir?: string;
}

/**
 * Backends by name. A resolved backend (`resolveBackend`) whose params name a module is the
 * user's own: its module is loaded, its factory's product is checked and every result it
 * returns is parsed. Otherwise the name must be a registered implementation.
 *
 * @example
 * const registry = new BackendRegistry();
 * const backend = await registry.create(resolveBackend(config, 'files'), { objects: store.media });
 */
export class BackendRegistry {
  readonly #factories = new Map<string, BackendFactory>();

  constructor(factories: Readonly<Record<string, BackendFactory>> = BUILTIN_BACKEND_FACTORIES) {
    for (const [name, factory] of Object.entries(factories)) this.#factories.set(name, factory);
  }

  /**
   * Adds an implementation under `name` (an embedding application's own backend, in code).
   * @throws AnnotationConfigError `UNSUPPORTED_BACKEND` when the name is taken: silently
   *   replacing a backend would send a run's tasks to another tool.
   */
  register(name: string, factory: BackendFactory): this {
    if (this.#factories.has(name)) {
      throw new AnnotationConfigError(
        'UNSUPPORTED_BACKEND',
        `A backend named '${name}' is already registered`,
        { backend: name },
      );
    }
    this.#factories.set(name, factory);
    return this;
  }

  /** The registered names, sorted. */
  names(): string[] {
    return [...this.#factories.keys()].sort();
  }

  /**
   * @throws AnnotationConfigError `UNSUPPORTED_BACKEND` for a name with no implementation and
   *   no module; BackendError `BACKEND_MODULE_INVALID` for a module that does not load, does
   *   not export a factory, or whose factory makes no backend.
   */
  async create(
    resolved: ResolvedBackend,
    options: CreateBackendOptions,
  ): Promise<AnnotationBackend> {
    const { baseDir, ...parts } = options;
    const input: BackendFactoryInput = { ...parts, name: resolved.name, params: resolved.params };
    const modulePath = moduleOf(resolved.params);
    if (modulePath !== undefined) {
      const factory = await loadCustomBackend(modulePath, baseDir ? { baseDir } : {});
      const source = `Backend module '${modulePath}' (backend '${resolved.name}')`;
      let made: unknown;
      try {
        made = await factory(input);
      } catch (error) {
        if (error instanceof BackendError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new BackendError(
          'BACKEND_MODULE_INVALID',
          `${source} failed to create a backend: ${reason}`,
          { module: modulePath, backend: resolved.name },
          { cause: error },
        );
      }
      return guardBackend(assertBackendShape(made, source), resolved.name);
    }
    const factory = this.#factories.get(resolved.name);
    if (factory === undefined) {
      const available = this.names();
      throw new AnnotationConfigError(
        'UNSUPPORTED_BACKEND',
        `Backend '${resolved.name}' has no implementation; the available backends are ` +
          `[${available.map((name) => `'${name}'`).join(', ')}], or give a \`module\` to load your own`,
        { backend: resolved.name, available },
      );
    }
    return factory(input);
  }
}
