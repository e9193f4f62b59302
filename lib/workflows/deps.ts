import type { AnnotationBackend } from '../backends/backend.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { BackendSecretStore } from '../backends/secrets.js';
import type { ResolvedBackend } from '../config/backend.js';
import { type AnnotationConfig, REDACTED, resolveBackend } from '../config/index.js';
import { AnnotationConfigError } from '../errors/index.js';
import type { RunRecord } from '../runs/record.js';
import type { Store } from '../store/store.js';
import type { WorkflowEngine } from './engine.js';

/** What every run step works against: the store, the backends and the annotation config. */
export interface WorkflowDeps {
  readonly store: Store;
  readonly backends: BackendRegistry;
  readonly config: AnnotationConfig;
  readonly clock?: () => Date;
  /** Samples merged per page of a task (default 100): bounds a merge step's memory. */
  readonly mergePageSize?: number;
  /** Where backends keep the secrets they generate (webhook secrets). */
  readonly secrets?: BackendSecretStore;
  /** Step Functions: webhooks start loads and wake waiting workflows through it. */
  readonly engine?: WorkflowEngine;
  /** Structured log lines (JSON on Lambda); silent when absent. */
  readonly log?: (entry: Record<string, unknown>) => void;
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
    ...(deps.secrets ? { secrets: deps.secrets } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.log ? { log: deps.log } : {}),
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
