import type { AnnotationBackend } from '../backends/backend.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { ResolvedBackend } from '../config/backend.js';
import { type AnnotationConfig, REDACTED, resolveBackend } from '../config/index.js';
import { AnnotationConfigError } from '../errors/index.js';
import type { RunRecord } from '../runs/record.js';
import type { Store } from '../store/store.js';

/** What every run step works against: the store, the backends and the annotation config. */
export interface WorkflowDeps {
  readonly store: Store;
  readonly backends: BackendRegistry;
  readonly config: AnnotationConfig;
  readonly clock?: () => Date;
  /** Samples merged per page of a task (default 100): bounds a merge step's memory. */
  readonly mergePageSize?: number;
}

export function now(deps: WorkflowDeps): Date {
  return deps.clock ? deps.clock() : new Date();
}

/** Params stored on the run, minus redacted credentials: the current config supplies those. */
function storedKwargs(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, value]) => value !== REDACTED));
}

/**
 * `resolveBackend`, plus backends an embedding application registered in code: those need
 * no `module` param, since the registry already has their implementation.
 */
export function resolveStepBackend(
  deps: WorkflowDeps,
  name: string | null,
  kwargs: Readonly<Record<string, unknown>>,
): ResolvedBackend {
  try {
    return resolveBackend(deps.config, name, kwargs);
  } catch (error) {
    const registered = name !== null && deps.backends.names().includes(name);
    if (!(error instanceof AnnotationConfigError && error.code === 'BACKEND_MODULE_MISSING')) {
      throw error;
    }
    if (!registered) throw error;
    const given = Object.entries(kwargs).filter(([, value]) => value !== undefined);
    const params = {
      ...structuredClone(deps.config.backends[name] ?? {}),
      ...Object.fromEntries(given),
    };
    return { name, params };
  }
}

export async function createStepBackend(
  deps: WorkflowDeps,
  resolved: ResolvedBackend,
): Promise<AnnotationBackend> {
  return deps.backends.create(resolved, {
    objects: deps.store.media,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
}

/**
 * The backend serving `run`: its name and non-secret params as the run recorded them, its
 * credentials from the current annotation config (SEMANTICS §8.6).
 */
export async function backendForRun(
  deps: WorkflowDeps,
  run: RunRecord,
): Promise<AnnotationBackend> {
  const resolved = resolveStepBackend(deps, run.backend, storedKwargs(run.config.params));
  return createStepBackend(deps, resolved);
}
