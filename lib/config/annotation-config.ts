import { posix } from 'node:path';
import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import { parseEnvValue } from './env-value.js';

/** A backend's parameters, free-form and named as FiftyOne names them (`url`, `task_size`). */
export const backendParamsSchema = z.record(z.string(), z.unknown());
export type BackendParams = z.infer<typeof backendParamsSchema>;

/** The resolved annotation config: FiftyOne's `fo.annotation_config`, in camelCase. */
export const annotationConfigSchema = z.object({
  /** Used when a caller names no backend; null when no backend is exposed at all. */
  defaultBackend: z.string().nullable(),
  /** Exactly the exposed backends; a backend missing here cannot be used. */
  backends: z.record(z.string(), backendParamsSchema),
});
export type AnnotationConfig = z.infer<typeof annotationConfigSchema>;

/** Runtime edits, FiftyOne's `fo.annotation_config.x = ...`: they beat env and file. */
export const annotationConfigOverridesSchema = annotationConfigSchema.partial();
export type AnnotationConfigOverrides = z.infer<typeof annotationConfigOverridesSchema>;

/**
 * The JSON file, with FiftyOne's keys. Unknown keys are ignored as FiftyOne ignores them;
 * a null `default_backend` counts as unset, as in FiftyOne.
 */
export const annotationConfigFileSchema = z.looseObject({
  default_backend: z.string().nullable().optional(),
  /** annoflow's own spelling; `default_backend` wins when both are present. */
  defaultBackend: z.string().nullable().optional(),
  backends: z.record(z.string(), backendParamsSchema).optional(),
});
export type AnnotationConfigFile = z.infer<typeof annotationConfigFileSchema>;

/**
 * Built-in backends and the defaults that fill their missing params. Unlike FiftyOne we
 * add no `config_cls`: built-ins are implemented in annoflow, not loaded from a class path.
 */
export const BUILTIN_BACKENDS: Readonly<Record<string, Readonly<BackendParams>>> = Object.freeze({
  cvat: Object.freeze({ url: 'https://app.cvat.ai' }),
  /** annoflow's own backend: tasks as files in S3, so a run works with no tool deployed. */
  files: Object.freeze({}),
  labelbox: Object.freeze({ url: 'https://labelbox.com' }),
  labelstudio: Object.freeze({ url: 'https://labelstud.io' }),
});

/**
 * Deviation from FiftyOne: its built-in default is `cvat`. Ours is `files`, the embedded
 * default, because it needs no tool account or server, so a fresh deployment can run an
 * annotation loop end to end before anyone configures CVAT.
 */
export const BUILTIN_DEFAULT_BACKEND = 'files';

/**
 * Env prefixes, strongest first: annoflow's own names beat FiftyOne's whenever both set the
 * same thing, so an annoflow deployment can override an inherited FiftyOne environment.
 */
export const ENV_PREFIXES = ['ANNOFLOW_', 'FIFTYONE_'] as const;

/** Values whose env var is absent or undefined are simply missing. */
export type EnvRecord = Readonly<Record<string, string | undefined>>;

export interface AnnotationConfigSources {
  /** The process environment (pass `process.env`); read, never mutated. */
  env?: EnvRecord;
  /**
   * The parsed JSON of the config file; undefined when there is no file. A file holding
   * `null` also counts as empty, as in FiftyOne.
   */
  file?: unknown;
  overrides?: AnnotationConfigOverrides;
}

export function isBuiltinBackend(name: string): boolean {
  return Object.hasOwn(BUILTIN_BACKENDS, name);
}

/**
 * The value of a global setting such as `ANNOTATION_DEFAULT_BACKEND`, `ANNOFLOW_` first.
 * An empty value counts as unset: FiftyOne already treats an empty default backend that
 * way, and deployment tools commonly emit empty strings for "not configured".
 */
function readSetting(env: EnvRecord, name: string): string | undefined {
  for (const prefix of ENV_PREFIXES) {
    const value = env[`${prefix}${name}`];
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/**
 * Python's `sorted()` order for strings: by code point. JS's default sort compares UTF-16
 * units, which orders astral characters before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i += 1) {
    const difference = (left[i]?.codePointAt(0) ?? 0) - (right[i]?.codePointAt(0) ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/**
 * Which backends exist, each starting from its JSON params (SEMANTICS §8.3).
 *
 * Without `*_ANNOTATION_BACKENDS`: every JSON-declared backend plus each missing built-in.
 * With it: exactly the listed names (comma split, no trimming), so built-ins can be hidden;
 * a `*` item adds all built-ins (FiftyOne 2025; 2023 took `*` as a literal name).
 */
function exposedBackends(
  env: EnvRecord,
  declared: Readonly<Record<string, BackendParams>>,
): Map<string, BackendParams> {
  const fromJson = (name: string): BackendParams =>
    Object.hasOwn(declared, name) ? structuredClone(declared[name] ?? {}) : {};
  const listed = readSetting(env, 'ANNOTATION_BACKENDS');
  const names =
    listed === undefined
      ? [...Object.keys(declared), ...Object.keys(BUILTIN_BACKENDS)]
      : listed
          .split(',')
          .flatMap((name) => (name === '*' ? Object.keys(BUILTIN_BACKENDS) : [name]));
  return new Map(names.map((name) => [name, fromJson(name)]));
}

/**
 * Applies `<PREFIX><BACKEND>_<PARAM>` env vars to every exposed backend (SEMANTICS §8.4).
 * Matching is FiftyOne's naive prefix test, so `FIFTYONE_CVAT_V2_URL` sets `v2_url` on
 * `cvat`. FiftyOne's names are applied first so annoflow's win on the same param.
 */
function applyEnvParams(env: EnvRecord, backends: Map<string, BackendParams>): void {
  for (const [name, params] of backends) {
    const entries = new Map(Object.entries(params));
    for (const prefix of [...ENV_PREFIXES].reverse()) {
      const backendPrefix = `${prefix}${name.toUpperCase()}_`;
      for (const [envName, envValue] of Object.entries(env)) {
        if (envValue === undefined || !envName.startsWith(backendPrefix)) continue;
        entries.set(envName.slice(backendPrefix.length).toLowerCase(), parseEnvValue(envValue));
      }
    }
    backends.set(name, Object.fromEntries(entries));
  }
}

/**
 * Resolves the annotation config from its sources. Net precedence, strongest first:
 * overrides (runtime edits) > env (`ANNOFLOW_` > `FIFTYONE_`) > JSON file > built-in
 * defaults; call kwargs, stronger still, are applied later by {@link resolveBackend}.
 *
 * Default backend: `*_ANNOTATION_DEFAULT_BACKEND` (if non-empty) > the file's
 * `default_backend` > `files`; if that backend is not exposed, the alphabetically first
 * exposed one (FiftyOne 2025), or null when none is. An override replaces the result
 * unchecked, as editing `fo.annotation_config` does; {@link resolveBackend} reports it if
 * it names nothing usable.
 *
 * @throws InvalidInputError (`INVALID_INPUT`) when the file or the overrides have a bad
 *   shape; the message names the offending path.
 * @example
 * resolveAnnotationConfig({
 *   env: { FIFTYONE_ANNOTATION_BACKENDS: 'cvat', FIFTYONE_CVAT_URL: 'http://cvat:8080' },
 * });
 * // { defaultBackend: 'cvat', backends: { cvat: { url: 'http://cvat:8080' } } }
 */
export function resolveAnnotationConfig(sources: AnnotationConfigSources = {}): AnnotationConfig {
  const env = sources.env ?? {};
  const file = parseInput(annotationConfigFileSchema, sources.file ?? {}, 'annotation config file');
  const overrides = parseInput(
    annotationConfigOverridesSchema,
    sources.overrides ?? {},
    'annotation config overrides',
  );

  const backends = exposedBackends(env, file.backends ?? {});
  applyEnvParams(env, backends);

  const requested =
    readSetting(env, 'ANNOTATION_DEFAULT_BACKEND') ??
    file.default_backend ??
    file.defaultBackend ??
    BUILTIN_DEFAULT_BACKEND;
  let defaultBackend: string | null = backends.has(requested)
    ? requested
    : ([...backends.keys()].sort(compareCodePoints)[0] ?? null);

  if (overrides.defaultBackend !== undefined) defaultBackend = overrides.defaultBackend;
  for (const [name, params] of Object.entries(overrides.backends ?? {})) {
    backends.set(name, { ...backends.get(name), ...structuredClone(params) });
  }

  // Built-in defaults fill only keys nothing else set, so any explicit value (even null)
  // survives. Done after the overrides so a built-in an override re-adds gets its url too.
  for (const [name, params] of backends) {
    if (isBuiltinBackend(name)) backends.set(name, { ...BUILTIN_BACKENDS[name], ...params });
  }

  return { defaultBackend, backends: Object.fromEntries(backends) };
}

/**
 * Where the config file lives: `ANNOFLOW_ANNOTATION_CONFIG_PATH`, else
 * `FIFTYONE_ANNOTATION_CONFIG_PATH`, else `~/.fiftyone/annotation_config.json`. Empty
 * values count as unset. Pure: the home directory comes from `HOME`; without one the path
 * keeps its `~`, as Python's `expanduser` does when it cannot find a home.
 */
export function annotationConfigPath(env: EnvRecord): string {
  const configured = readSetting(env, 'ANNOTATION_CONFIG_PATH');
  if (configured !== undefined) return configured;
  const home = env.HOME;
  return posix.join(
    home === undefined || home === '' ? '~' : home,
    '.fiftyone',
    'annotation_config.json',
  );
}
