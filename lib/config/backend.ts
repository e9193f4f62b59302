import { AnnotationConfigError } from '../errors/index.js';
import {
  type AnnotationConfig,
  type BackendParams,
  compareCodePoints,
  isBuiltinBackend,
} from './annotation-config.js';

export interface ResolvedBackend {
  name: string;
  params: BackendParams;
}

/** Params naming the user's own backend implementation (FiftyOne's `config_cls` idea). */
const MODULE_PARAMS = ['config_cls', 'module'] as const;

function hasModule(params: BackendParams): boolean {
  return MODULE_PARAMS.some((key) => typeof params[key] === 'string' && params[key] !== '');
}

/** Python's repr of a list of strings, as FiftyOne prints the available backends. */
function pythonList(names: readonly string[]): string {
  return `[${names.map((name) => `'${name}'`).join(', ')}]`;
}

/**
 * Picks the backend for one `annotate()`/`connect_to_api()` call (SEMANTICS §8.5): the
 * named one, or the config's default when `name` is null/undefined, with params = a deep
 * copy of its config entry overridden by the call's `kwargs` — the strongest source.
 *
 * A kwarg that is `undefined` counts as not given; a null kwarg does override (FiftyOne
 * passes `url=None` through), except for `config_cls`/`module`, where null falls back to
 * the entry's value as FiftyOne's `config_cls` does.
 *
 * @throws AnnotationConfigError `UNSUPPORTED_BACKEND` when the backend is not exposed;
 *   `BACKEND_MODULE_MISSING` when a non-built-in backend has no `config_cls`/`module`.
 * @example
 * resolveBackend(config, 'cvat', { task_size: 10 });
 * // { name: 'cvat', params: { url: 'https://app.cvat.ai', task_size: 10 } }
 */
export function resolveBackend(
  config: AnnotationConfig,
  name: string | null | undefined,
  kwargs: Readonly<Record<string, unknown>> = {},
): ResolvedBackend {
  const backend = name ?? config.defaultBackend;
  if (backend === null || !Object.hasOwn(config.backends, backend)) {
    const available = Object.keys(config.backends).sort(compareCodePoints);
    throw new AnnotationConfigError(
      'UNSUPPORTED_BACKEND',
      `Unsupported backend '${String(backend)}'. The available backends are ${pythonList(available)}`,
      { backend, available },
    );
  }

  // Deep copy: the caller may mutate the params without touching the shared config.
  const merged = new Map(Object.entries(structuredClone(config.backends[backend] ?? {})));
  for (const [key, value] of Object.entries(kwargs)) {
    if (value === undefined) continue;
    if (value === null && (MODULE_PARAMS as readonly string[]).includes(key) && merged.has(key)) {
      continue;
    }
    merged.set(key, value);
  }
  const resolved = Object.fromEntries(merged);

  if (!isBuiltinBackend(backend) && !hasModule(resolved)) {
    throw new AnnotationConfigError(
      'BACKEND_MODULE_MISSING',
      `Annotation backend '${backend}' has no \`config_cls\``,
      { backend },
    );
  }
  return { name: backend, params: resolved };
}

/** What replaces a credential in anything persisted or logged. */
export const REDACTED = '***';

// `headers` carry auth (CVAT); `username` is a CVAT credential FiftyOne never stores either.
const SECRET_KEYS = new Set(['headers', 'username']);
const SECRET_FRAGMENT = /password|secret|token|api_?key/i;

export function isSecretParam(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase()) || SECRET_FRAGMENT.test(key);
}

/** Where credentials sit in `value` (at any depth) with a value present and not redacted. */
export function unredactedSecretPaths(value: unknown, path: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    isSecretParam(key) && inner != null && inner !== REDACTED
      ? [[...path, key]]
      : unredactedSecretPaths(inner, [...path, key]),
  );
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        key,
        isSecretParam(key) && inner != null ? REDACTED : redactValue(inner),
      ]),
    );
  }
  return value;
}

/**
 * A copy of backend params fit to persist: every credential (`password`, `api_key`,
 * `token`, `secret`, `headers`, `username`, or any key containing
 * `password|secret|token|api_key`, case-insensitive, at any depth) becomes `"***"`. Run
 * records must never store secrets (SEMANTICS §4.1/§7.1); at load time credentials come
 * from the current config instead (§8.6). An absent credential (null/undefined) stays as
 * is, so the record still shows that none was given.
 *
 * @example
 * redactSecrets({ url: 'https://app.cvat.ai', password: 12345 });
 * // { url: 'https://app.cvat.ai', password: '***' }
 */
export function redactSecrets(params: Readonly<BackendParams>): BackendParams {
  return redactValue(params) as BackendParams;
}
