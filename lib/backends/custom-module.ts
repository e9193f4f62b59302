import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { BackendParams } from '../config/annotation-config.js';
import { BackendError } from '../errors/index.js';
import type { AnnotationBackend } from './backend.js';
import type { BackendObjectStore } from './object-store.js';
import type { BackendSecretStore } from './secrets.js';

/** What a backend factory is given: its name, its params from the config, the service's parts. */
export interface BackendFactoryInput {
  /** The name the backend is configured under. */
  readonly name: string;
  /** Its params, resolved by `resolveBackend` (call kwargs > config > env > file). */
  readonly params: BackendParams;
  /** The media bucket: where media lives and where a backend may keep files. */
  readonly objects: BackendObjectStore;
  /** Secrets the backend generates (webhook secrets); absent where none can be kept. */
  readonly secrets?: BackendSecretStore;
  readonly clock?: () => Date;
  /** Structured log lines (the service's: JSON on Lambda); silent when absent. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** Makes a backend; may be async (a module may fetch a token or a tool's version first). */
export type BackendFactory = (
  input: BackendFactoryInput,
) => AnnotationBackend | Promise<AnnotationBackend>;

/** The export a custom backend module provides unless its path names another (`path#name`). */
export const DEFAULT_FACTORY_EXPORT = 'createBackend';

const factorySchema = z.custom<BackendFactory>(
  (value) => typeof value === 'function',
  'must be a function',
);

/**
 * Loads a user's backend module (FiftyOne's `config_cls`, as the `module` or `config_cls`
 * param of a backend in the annotation config) and returns its factory.
 *
 * The specifier is a file path (absolute, or relative to `baseDir`) or a package name,
 * optionally followed by `#exportName`. Without one, the module must export a function
 * `createBackend`, or a default export that is a function. A TypeScript module loads where
 * the runtime compiles it on import (tsx, as `npm start` runs, and vitest); elsewhere give
 * the built JavaScript.
 *
 * Scope: this loads a module that is present at run time. Deployed, the CDK construct's
 * `backendModules` (or cdk.json's `annoflow:backendModules` context) bundles the module
 * beside each handler and points this backend's `module` param at the bundle.
 *
 * @throws BackendError `BACKEND_MODULE_INVALID` when the module cannot be imported or its
 *   export is not a function, with the module and the reason in the message.
 * @example
 * const factory = await loadCustomBackend('./backends/my-tool.ts#createMyTool');
 * const backend = await factory({ name: 'mytool', params, objects: store.media });
 */
export async function loadCustomBackend(
  modulePath: string,
  options: { baseDir?: string } = {},
): Promise<BackendFactory> {
  const { specifier, exportName } = splitSpecifier(modulePath);
  const url = toImportable(specifier, options.baseDir ?? process.cwd());
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new BackendError(
      'BACKEND_MODULE_INVALID',
      `Cannot import backend module '${modulePath}': ${reason}`,
      { module: modulePath, url },
      { cause: error },
    );
  }
  const name =
    exportName ??
    (typeof module[DEFAULT_FACTORY_EXPORT] === 'function' ? DEFAULT_FACTORY_EXPORT : 'default');
  const parsed = factorySchema.safeParse(module[name]);
  if (!parsed.success) {
    const wanted = exportName
      ? `a function '${exportName}'`
      : `a function '${DEFAULT_FACTORY_EXPORT}' or a default export that is a function`;
    const found = Object.keys(module).sort();
    throw new BackendError(
      'BACKEND_MODULE_INVALID',
      `Backend module '${modulePath}' must export ${wanted}; it exports [${found.map((key) => `'${key}'`).join(', ')}]`,
      { module: modulePath, exports: found },
    );
  }
  return parsed.data;
}

function splitSpecifier(modulePath: string): { specifier: string; exportName?: string } {
  const hash = modulePath.lastIndexOf('#');
  // A leading `#` is a package.json `imports` alias, not an export name.
  if (hash <= 0) return { specifier: modulePath };
  return { specifier: modulePath.slice(0, hash), exportName: modulePath.slice(hash + 1) };
}

function toImportable(specifier: string, baseDir: string): string {
  const isPath = isAbsolute(specifier) || specifier.startsWith('./') || specifier.startsWith('../');
  return isPath ? pathToFileURL(resolve(baseDir, specifier)).href : specifier;
}
