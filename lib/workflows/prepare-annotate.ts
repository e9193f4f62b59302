import { z } from 'zod';
import {
  type AnnoflowError,
  AnnotationRunError,
  isAnnoflowError,
  VersionConflictError,
} from '../errors/index.js';
import { objectKeyOf } from '../runs/keys.js';
import { createRunRecord, type RunRecord } from '../runs/record.js';
import { buildLabelSchema } from '../schema/build-label-schema.js';
import type { AnnotateOptions } from '../schema/types.js';
import { runObjectPrefix } from '../store/keys.js';
import { createStepBackend, now, resolveStepBackend, type WorkflowDeps } from './deps.js';
import {
  type AnnotateRequest,
  annotateRequestSchema,
  type ParsedAnnotateRequest,
  parseStepInput,
} from './inputs.js';
import { fingerprint, pageKey, suffixedObjectKey } from './keys.js';
import { putJson } from './objects.js';
import { SchemaSampleDigest } from './schema-sample-digest.js';
import { regroup, selectedSamples } from './selection.js';

/** `runs/<dataset>/<objectKey>/pages/<n>.json`: one page of the run's selection. */
export const pageManifestSchema = z.object({
  index: z.number().int().nonnegative(),
  sampleIds: z.array(z.string().min(1)).min(1),
});
export type PageManifest = z.infer<typeof pageManifestSchema>;

export interface PreparedAnnotate {
  /** The pages' indices, in order (manifests at `pageKey(dataset, objectKey, n)`): what the upload Map iterates. */
  readonly pages: number[];
  /** `buildLabelSchema`'s warnings, for the caller to surface. */
  readonly warnings: string[];
}

const OPTION_KEYS = [
  'labelSchema',
  'labelField',
  'labelType',
  'classes',
  'attributes',
  'maskTargets',
  'allowAdditions',
  'allowDeletions',
  'allowLabelEdits',
  'allowIndexEdits',
  'allowSpatialEdits',
] as const;

function annotateOptions(request: ParsedAnnotateRequest): AnnotateOptions {
  const options: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) if (request[key] !== undefined) options[key] = request[key];
  return options as AnnotateOptions;
}

/**
 * `AnnotateWorkflow`'s first step, in FiftyOne's order (SEMANTICS §2.1): validate the
 * request, build the label schema from the dataset's schema and the selected samples (read
 * page by page, reduced to what the builder learns from), register the run only if its key
 * is free, then write the selection as page manifests and move the run to `uploading`.
 *
 * Retrying the same request continues the run it registered (the record keeps the request's
 * fingerprint); a different request for a taken key fails `RUN_KEY_EXISTS`. A failure after
 * registration that a retry cannot fix (a selected sample deleted meanwhile) marks the run
 * `failed` with the reason before it is rethrown, so nothing is left `registered` silently;
 * nothing is in the tool yet, so there is nothing to clean up. Transient failures are
 * rethrown as they are, for the state machine to retry.
 *
 * @throws InvalidInputError `INVALID_INPUT` naming the field (nothing registered);
 *   LabelSchemaError (nothing registered); AnnotationRunError `INVALID_ANNO_KEY`,
 *   `RUN_KEY_EXISTS`; AnnotationConfigError `UNSUPPORTED_BACKEND`; StoreError
 *   `DATASET_NOT_FOUND`, `SAMPLE_NOT_FOUND`
 */
export async function prepareAnnotate(
  deps: WorkflowDeps,
  input: AnnotateRequest,
): Promise<PreparedAnnotate> {
  const request = parseStepInput(annotateRequestSchema, input, 'annotate request');
  const { store } = deps;
  const dataset = await store.datasets.get(request.dataset);
  const resolved = resolveStepBackend(deps, request.backend ?? null, request.backendParams);
  const backend = await createStepBackend(deps, resolved);
  const selection = { sampleIds: request.sampleIds, tags: request.tags };

  const digest = new SchemaSampleDigest();
  for await (const page of selectedSamples(store, request.dataset, selection)) {
    for (const sample of page) digest.add(sample);
  }
  const { labelSchema, warnings, schemaless } = buildLabelSchema(annotateOptions(request), {
    dataset: dataset.schema,
    samples: digest.samples,
    backend: backend.capabilities,
  });
  // What only the tool can tell (a schemaless run's project exists), before registration.
  await backend.checkRun?.({
    run: {
      dataset: request.dataset,
      annoKey: request.annoKey,
      labelSchema,
      ...(schemaless ? { schemaless } : {}),
    },
  });

  const requestFingerprint = fingerprint({ ...request, backend: resolved.name });
  const createdAt = now(deps);
  const record = createRunRecord({
    annoKey: request.annoKey,
    objectKey: await freeObjectKey(deps, request.dataset, request.annoKey, createdAt),
    dataset: request.dataset,
    backend: resolved.name,
    config: {
      labelSchema,
      ...(schemaless ? { schemaless } : {}),
      params: resolved.params,
      ...(request.destField !== undefined ? { destField: request.destField } : {}),
      ...(request.unexpected !== undefined ? { unexpected: request.unexpected } : {}),
      view: request.sampleIds || request.tags ? [selection] : null,
      autoLoad: request.autoLoad,
      pageSize: request.pageSize,
      requestFingerprint,
    },
    now: createdAt,
  });
  const run = await register(deps, record, requestFingerprint);

  try {
    const pages: number[] = [];
    const groups = regroup(selectedSamples(store, request.dataset, selection), request.pageSize);
    for await (const group of groups) {
      const index = pages.length;
      const key = pageKey(request.dataset, objectKeyOf(run), index);
      const manifest: PageManifest = { index, sampleIds: group.map((sample) => sample.id) };
      await putJson(store, key, manifest);
      pages.push(index);
    }
    await store.runs.transition(run, 'uploading', undefined, now(deps));
    return { pages, warnings };
  } catch (error) {
    // A lasting problem fails the run now; anything else (S3 throttling, a timeout) is left
    // for the state machine's retries, which continue this same run.
    if (isAnnoflowError(error) && !(error instanceof VersionConflictError)) {
      await markFailed(deps, run, error);
    }
    throw error;
  }
}

/** How many suffixed object keys are tried before giving up (each one costs a list call). */
const OBJECT_KEY_ATTEMPTS = 8;

/**
 * Where the new run's objects will live: its own key unless another run (live, or deleted or
 * renamed away, whose objects stay) has objects there or holds it as its object key, else a
 * suffixed key no one uses. So a run never reads another's manifests, results, task data or
 * reports, and never overwrites them. A retry of a registered request may pick another key
 * here (its own pages are there now); `register` then keeps the one first stored.
 *
 * @throws AnnotationRunError `RUN_KEY_EXISTS` when every candidate is taken (only by hand).
 */
async function freeObjectKey(
  deps: WorkflowDeps,
  dataset: string,
  annoKey: string,
  createdAt: Date,
): Promise<string> {
  const held = new Set((await deps.store.runs.list(dataset)).map(objectKeyOf));
  for (let attempt = -1; attempt < OBJECT_KEY_ATTEMPTS; attempt += 1) {
    const candidate = attempt < 0 ? annoKey : suffixedObjectKey(annoKey, createdAt, attempt);
    if (held.has(candidate)) continue;
    if (!(await deps.store.media.hasObjectsUnder(runObjectPrefix(dataset, candidate)))) {
      return candidate;
    }
  }
  throw new AnnotationRunError(
    'RUN_KEY_EXISTS',
    `Annotation run key '${annoKey}' has no free object key: earlier runs' objects are ` +
      `under '${runObjectPrefix(dataset, annoKey)}' and every suffixed key tried`,
    { key: annoKey },
  );
}

/** Creates the run, or finds the one an earlier attempt of this same request created. */
async function register(
  deps: WorkflowDeps,
  record: RunRecord,
  requestFingerprint: string,
): Promise<RunRecord> {
  try {
    return await deps.store.runs.create(record);
  } catch (error) {
    if (!(error instanceof AnnotationRunError) || error.code !== 'RUN_KEY_EXISTS') throw error;
    const existing = await deps.store.runs.get(record.dataset, record.annoKey);
    const resumable = existing.status === 'registered' || existing.status === 'uploading';
    if (existing.config.requestFingerprint === requestFingerprint && resumable) return existing;
    throw error;
  }
}

async function markFailed(deps: WorkflowDeps, run: RunRecord, error: AnnoflowError): Promise<void> {
  const failure = { code: error.code, message: error.message };
  try {
    const current = await deps.store.runs.get(run.dataset, run.annoKey);
    await deps.store.runs.transition(current, 'failed', failure, now(deps));
  } catch {
    // The original error matters more; the run stays as it is and the key stays taken.
  }
}
