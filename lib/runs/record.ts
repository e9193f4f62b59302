import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { compareCodePoints, redactSecrets, unredactedSecretPaths } from '../config/index.js';
import { parseInput } from '../errors/index.js';
// FiftyOne's `prompt` asks on a terminal; a service has none, so it is not a storable choice.
import { unexpectedPolicySchema } from '../merge/merge-annotations.js';
import { isValidAnnoKey, validateAnnoKey } from './keys.js';
import { assertTransition, type RunStatus, runStatusSchema } from './status.js';

const count = z.number().int().nonnegative();

/** Running totals, updated as tasks finish and pages merge; the load report reads them. */
export const runCountersSchema = z.object({
  tasks: count,
  tasksCompleted: count,
  labelsAdded: count,
  labelsEdited: count,
  labelsDeleted: count,
  /** Changes refused by the schema's edit restrictions (SEMANTICS §6.3). */
  labelsRefused: count,
  unexpected: count,
});
export type RunCounters = z.infer<typeof runCountersSchema>;

/** Why a run failed, kept so the key's owner can see it (the record still blocks the key). */
export const runFailureSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
});
export type RunFailure = z.infer<typeof runFailureSchema>;

/**
 * The run's config, FiftyOne's serialized backend config (SEMANTICS §7.1). Loose, as
 * FiftyOne 2025 keeps unknown config params, so a newer writer's fields survive an older
 * reader's round trip.
 */
export const runConfigSchema = z.looseObject({
  /** The built label schema; typed loosely until the schema module's type settles. */
  labelSchema: z.record(z.string(), z.unknown()),
  /**
   * The backend params the run was created with, credentials redacted: the schema refuses
   * any unredacted credential so no code path can persist one (SEMANTICS §4.1).
   */
  params: z.record(z.string(), z.unknown()).superRefine((params, ctx) => {
    for (const path of unredactedSecretPaths(params)) {
      ctx.addIssue({ code: 'custom', message: `credential '${path.join('.')}' must be redacted` });
    }
  }),
  /** The sample field holding the media, `filepath` unless the caller chose another. */
  mediaField: z.string().min(1).optional(),
  /** Default `dest_field` for loads: null/absent merges into the annotated fields. */
  destField: z.string().min(1).nullable().optional(),
  /** Default policy for unexpected labels at load time. */
  unexpected: unexpectedPolicySchema.optional(),
  /**
   * A schemaless run (no `labelSchema` nor `labelField`): media only goes to the tool, and
   * every label it returns is unexpected at load (`RunRef.schemaless`).
   */
  schemaless: z.boolean().optional(),
  /** Serialized view stages the run was made on; null for a whole dataset (FiftyOne 2025). */
  view: z.array(z.unknown()).nullable().optional(),
});
export type RunConfig = z.infer<typeof runConfigSchema>;

/**
 * One annotation run as the store persists it. `version` is not FiftyOne's version string
 * but a counter for optimistic concurrency: 0 when created, +1 per change, and every write
 * is conditional on the version it read.
 */
export const runRecordSchema = z
  .object({
    annoKey: z.string().refine(isValidAnnoKey, 'must be a valid variable name'),
    /**
     * Where the run's objects live, `runs/<dataset>/<objectKey>/` (read it with
     * `objectKeyOf`): chosen free at registration and kept by renames, so objects never move
     * and no later run under a reused key shares them. Absent on older runs: their key.
     */
    objectKey: z.string().refine(isValidAnnoKey, 'must be a valid variable name').optional(),
    dataset: z.string().min(1),
    backend: z.string().min(1),
    status: runStatusSchema,
    config: runConfigSchema,
    /** ISO 8601 UTC, e.g. `2024-05-01T12:00:00.000Z`. */
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    version: z.number().int().nonnegative(),
    counters: runCountersSchema,
    /** Set when the run fails; kept after a later cleanup so the cause stays visible. */
    failure: runFailureSchema.optional(),
    /**
     * An `AnnotateWorkflow` started with `waitForCompletion` waits here: its task token is
     * sent success once every task is finished. Not a credential (sending needs IAM rights),
     * but internal: the API leaves it out of what it returns.
     */
    waiting: z.object({ taskToken: z.string().min(1), since: z.iso.datetime() }).optional(),
  })
  .superRefine((record, ctx) => {
    if (record.status === 'failed' && record.failure === undefined) {
      ctx.addIssue({ code: 'custom', path: ['failure'], message: 'a failed run must say why' });
    }
    if (Date.parse(record.updatedAt) < Date.parse(record.createdAt)) {
      ctx.addIssue({ code: 'custom', path: ['updatedAt'], message: 'must not precede createdAt' });
    }
  });
export type RunRecord = z.infer<typeof runRecordSchema>;

export interface NewRunRecord {
  annoKey: string;
  /** Where its objects will live; the key itself when omitted. */
  objectKey?: string;
  dataset: string;
  backend: string;
  /** Backend params may carry credentials here: they are redacted before storing. */
  config: z.input<typeof runConfigSchema>;
  now: Date;
}

/** A run's counters before anything was uploaded or merged. */
export const ZERO_COUNTERS: RunCounters = Object.freeze({
  tasks: 0,
  tasksCompleted: 0,
  labelsAdded: 0,
  labelsEdited: 0,
  labelsDeleted: 0,
  labelsRefused: 0,
  unexpected: 0,
});

/**
 * The record reserved when a run is registered (status `registered`, version 0, zero
 * counters), with credentials redacted from the params. Key uniqueness is the store's
 * conditional write; see {@link registerRun} for the check against known keys.
 *
 * @throws AnnotationRunError `INVALID_ANNO_KEY`; InvalidInputError `INVALID_INPUT` for any
 *   other bad field.
 */
export function createRunRecord(input: NewRunRecord): RunRecord {
  validateAnnoKey(input.annoKey);
  const at = input.now.toISOString();
  return parseInput(
    runRecordSchema,
    {
      annoKey: input.annoKey,
      ...(input.objectKey !== undefined ? { objectKey: input.objectKey } : {}),
      dataset: input.dataset,
      backend: input.backend,
      status: 'registered',
      config: { ...input.config, params: redactSecrets(input.config.params ?? {}) },
      createdAt: at,
      updatedAt: at,
      version: 0,
      counters: { ...ZERO_COUNTERS },
    },
    'annotation run record',
  );
}

/**
 * The record after moving to `to` at `now`: new status, `updatedAt`, version + 1, and the
 * failure when `to` is `failed` (required then). Moving to the current status returns the
 * record unchanged, so a retried step has nothing to write.
 *
 * @throws AnnotationRunError `INVALID_RUN_TRANSITION`; InvalidInputError `INVALID_INPUT`
 *   when a move to `failed` gives no failure.
 */
export function transitionRun(
  record: RunRecord,
  to: RunStatus,
  now: Date,
  failure?: RunFailure,
): RunRecord {
  assertTransition(record.status, to);
  if (record.status === to) return record;
  return parseInput(
    runRecordSchema,
    {
      ...record,
      status: to,
      updatedAt: now.toISOString(),
      version: record.version + 1,
      ...(to === 'failed' ? { failure } : {}),
    },
    'annotation run record',
  );
}

/**
 * Filters for {@link listRuns}: `backend`, `status`, and any other key compared for deep
 * equality with the run's config attribute of that name, or else its backend param (where
 * FiftyOne keeps params such as `project_name` as config attributes).
 */
export type RunFilter = { backend?: string; status?: RunStatus } & Readonly<
  Record<string, unknown>
>;

function filterValue(record: RunRecord, key: string): unknown {
  if (key === 'backend') return record.backend;
  if (key === 'status') return record.status;
  const { config } = record;
  if (Object.hasOwn(config, key)) return config[key];
  if (Object.hasOwn(config.params, key)) return config.params[key];
  return undefined;
}

/**
 * The keys of the runs matching every filter entry, sorted as Python sorts strings
 * (SEMANTICS §7.3). Filter entries that are undefined are ignored; as with FiftyOne's
 * `getattr(config, k, None) == v`, an attribute a run lacks equals null.
 */
export function listRuns(records: Iterable<RunRecord>, filter: RunFilter = {}): string[] {
  const criteria = Object.entries(filter).filter(([, value]) => value !== undefined);
  const keys: string[] = [];
  for (const record of records) {
    const matches = criteria.every(([key, expected]) =>
      isDeepStrictEqual(filterValue(record, key) ?? null, expected),
    );
    if (matches) keys.push(record.annoKey);
  }
  return keys.sort(compareCodePoints);
}
