import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError, parseInput } from '../errors/index.js';
import { validateAnnoKey } from '../runs/keys.js';
import { utf8Length } from './item-size.js';

/**
 * The key scheme of annoflow's one table: the ONLY module that builds keys, so no call site
 * concatenates strings into a key (ARCHITECTURE "Data", STYLE §7.6).
 *
 * ```
 * item      pk                            sk              gsi1pk                           gsi1sk
 * dataset   DS#<dataset>                  META            DATASETS                         DS#<dataset>
 * sample    DS#<dataset>                  S#<sampleId>
 * object    DS#<dataset>                  OBJ#<mediaKey>   (a media object ingest has seen;
 *                                         OBJ##sha256:<hex> when the key is too long)
 * run       DS#<dataset>                  RUN#<annoKey>
 * task      RUN#<dataset>#<annoKey>       T#<taskId>      TASK#<backend>#<backendTaskId>   T#<taskId>
 * execution RUN#<dataset>#<annoKey>       X#<startDate>#<executionName>
 * intent    RUN#<dataset>#<annoKey>       XI#<executionName>   (a start not yet recorded)
 * delivery  HOOK#<backend>#<deliveryId>   HOOK
 * sweep     SWEEP                         RESUME          (where the next sweep begins)
 * ```
 *
 * `gsi1` serves two lookups: a webhook's backend task id → its task (and so its run), and
 * the list of datasets (one `DATASETS` partition, so listing never scans the table).
 *
 * Forgery: `#` separates components, so no component may carry a raw `#`. Dataset names are
 * validated (`^[A-Za-z0-9_.-]{1,128}$`), run keys are Python identifiers (no `#`), and every
 * other component (sample, task, delivery and backend task ids, backend names) is escaped,
 * `%` → `%25` then `#` → `%23`, which is injective: distinct inputs give distinct keys. Each
 * escaped component is at most 256 UTF-8 bytes before escaping, which keeps every key below
 * DynamoDB's limits (2048 bytes for a partition key, 1024 for a sort key).
 *
 * S3 keys for large label fields are built here too: `blobs/<dataset>/<sampleId>/<field>/
 * <sha256>.json`, with sample id and field URI-encoded so a `/` cannot forge a path; and the
 * prefix of a run's objects, `runs/<dataset>/<objectKey>/`, under which backends and workflows
 * keep task files, results and reports.
 */

/** Dataset names appear raw in keys and S3 prefixes, so only this safe alphabet is allowed. */
export const datasetNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 characters from A-Z a-z 0-9 _ . -')
  // URLs resolve `.` and `..` away (encoded too): such a dataset could never be addressed.
  .refine((name) => name !== '.' && name !== '..', "must not be '.' or '..'");

const MAX_COMPONENT_BYTES = 256;
const MAX_ANNO_KEY_LENGTH = 128;

/** A free-form key component: non-empty, at most 256 UTF-8 bytes. */
export const keyComponentSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine(
    (value) => utf8Length(value) <= MAX_COMPONENT_BYTES,
    `must be at most ${MAX_COMPONENT_BYTES} bytes`,
  );

export const DATASETS_PARTITION = 'DATASETS';
export const DATASET_META_SK = 'META';
export const DELIVERY_SK = 'HOOK';
export const SWEEP_PARTITION = 'SWEEP';
export const SWEEP_RESUME_SK = 'RESUME';
/** Sort key prefixes, for `begins_with` queries within a partition. */
export const SK_PREFIX = {
  sample: 'S#',
  run: 'RUN#',
  task: 'T#',
  execution: 'X#',
  /** Not under `X#`, so listing executions never reads an intent as one. */
  executionIntent: 'XI#',
  dataset: 'DS#',
  mediaObject: 'OBJ#',
} as const;
/** Where large label field values live in the media bucket. */
export const BLOB_PREFIX = 'blobs/';
/** Where annotation runs keep their objects (task manifests, results, reports). */
export const RUN_OBJECT_PREFIX = 'runs/';

/**
 * @throws InvalidInputError `INVALID_INPUT` naming the dataset when the name is not allowed.
 */
export function validateDatasetName(dataset: string): string {
  return parseInput(datasetNameSchema, dataset, `dataset name '${String(dataset)}'`);
}

/**
 * @throws AnnotationRunError `INVALID_ANNO_KEY`; InvalidInputError when longer than 128.
 */
export function validateRunKey(annoKey: string): string {
  validateAnnoKey(annoKey);
  if (annoKey.length > MAX_ANNO_KEY_LENGTH) {
    throw new InvalidInputError(
      `Invalid annotation run key: at most ${MAX_ANNO_KEY_LENGTH} characters`,
      { key: annoKey },
    );
  }
  return annoKey;
}

function component(value: string, what: string): string {
  return parseInput(keyComponentSchema, value, what).replaceAll('%', '%25').replaceAll('#', '%23');
}

export interface TableKey {
  pk: string;
  sk: string;
}

export function datasetPk(dataset: string): string {
  return `DS#${validateDatasetName(dataset)}`;
}

export function datasetKey(dataset: string): TableKey {
  return { pk: datasetPk(dataset), sk: DATASET_META_SK };
}

/**
 * The `gsi1` sort keys bounding the datasets named `from` through `to` (both included; an
 * absent end is open). `$` follows `#`, so every `DS#…` key sorts below `DS$`.
 */
export function datasetIndexRange(from?: string, to?: string): { from: string; to: string } {
  return {
    from: `${SK_PREFIX.dataset}${from === undefined ? '' : validateDatasetName(from)}`,
    to: to === undefined ? 'DS$' : `${SK_PREFIX.dataset}${validateDatasetName(to)}`,
  };
}

/** Puts a dataset's META item on `gsi1` so datasets can be listed by name. */
export function datasetIndexKey(dataset: string): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: DATASETS_PARTITION,
    gsi1sk: `${SK_PREFIX.dataset}${validateDatasetName(dataset)}`,
  };
}

export function sampleKey(dataset: string, sampleId: string): TableKey {
  return { pk: datasetPk(dataset), sk: `${SK_PREFIX.sample}${component(sampleId, 'sample id')}` };
}

/** DynamoDB's limit on a sort key, in UTF-8 bytes. */
const MAX_SORT_KEY_BYTES = 1024;

/**
 * What ingest knows of one media object (by its S3 key) of a dataset. S3 keys run to 1024
 * bytes, as sort keys do: a key the prefix and escaping make longer is named by its SHA-256
 * after a `#`, which no escaped key has.
 */
export function mediaObjectKey(dataset: string, objectKey: string): TableKey {
  const key = parseInput(z.string().min(1).max(1024), objectKey, 'media object key');
  const sk = `${SK_PREFIX.mediaObject}${key.replaceAll('%', '%25').replaceAll('#', '%23')}`;
  return {
    pk: datasetPk(dataset),
    sk:
      utf8Length(sk) <= MAX_SORT_KEY_BYTES
        ? sk
        : `${SK_PREFIX.mediaObject}#sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`,
  };
}

export function runKey(dataset: string, annoKey: string): TableKey {
  return { pk: datasetPk(dataset), sk: `${SK_PREFIX.run}${validateRunKey(annoKey)}` };
}

/** The partition holding a run's tasks and the record of its workflow executions. */
export function runTasksPk(dataset: string, annoKey: string): string {
  return `RUN#${validateDatasetName(dataset)}#${validateRunKey(annoKey)}`;
}

export function taskKey(dataset: string, annoKey: string, taskId: string): TableKey {
  return {
    pk: runTasksPk(dataset, annoKey),
    sk: `${SK_PREFIX.task}${component(taskId, 'task id')}`,
  };
}

/**
 * A workflow execution started for a run, sorted by start time (ISO, so string order is time
 * order) then name. Execution names are Step Functions names (`[A-Za-z0-9_-]`), no `#`.
 */
export function executionKey(
  dataset: string,
  annoKey: string,
  startDate: string,
  executionName: string,
): TableKey {
  return {
    pk: runTasksPk(dataset, annoKey),
    sk: `${SK_PREFIX.execution}${startDate}#${component(executionName, 'execution name')}`,
  };
}

/**
 * A start about to be made, by the execution's name alone: the start date that sorts the
 * execution's record is Step Functions' to give, after the start.
 */
export function executionIntentKey(
  dataset: string,
  annoKey: string,
  executionName: string,
): TableKey {
  return {
    pk: runTasksPk(dataset, annoKey),
    sk: `${SK_PREFIX.executionIntent}${component(executionName, 'execution name')}`,
  };
}

export function taskIndexPk(backend: string, backendTaskId: string): string {
  return `TASK#${component(backend, 'backend name')}#${component(backendTaskId, 'backend task id')}`;
}

/** A task's `gsi1` keys: found by the backend's own task id, as webhooks name it. */
export function taskIndexKey(
  backend: string,
  backendTaskId: string,
  taskId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: taskIndexPk(backend, backendTaskId),
    gsi1sk: `${SK_PREFIX.task}${component(taskId, 'task id')}`,
  };
}

export function deliveryKey(backend: string, deliveryId: string): TableKey {
  return {
    pk: `HOOK#${component(backend, 'backend name')}#${component(deliveryId, 'delivery id')}`,
    sk: DELIVERY_SK,
  };
}

/** The one item saying where the next sweep of open runs begins (lib/store/sweeps.ts). */
export function sweepResumeKey(): TableKey {
  return { pk: SWEEP_PARTITION, sk: SWEEP_RESUME_SK };
}

/**
 * DynamoDB's order of string keys: by UTF-8 bytes. JavaScript's `<` compares UTF-16 code
 * units, which disagrees above U+FFFF, so code that must agree with a listing's order uses this.
 */
export function compareKeyStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The order a dataset's runs are listed in (by `RUN#<annoKey>`; run keys are not escaped). */
export function compareRunKeys(a: string, b: string): number {
  return compareKeyStrings(a, b);
}

/** The order a run's tasks are listed in: by their escaped ids, as their sort keys hold them. */
export function compareTaskIds(a: string, b: string): number {
  return compareKeyStrings(component(a, 'task id'), component(b, 'task id'));
}

/** Prefix of every blob of one dataset, for deleting them with it. */
export function datasetBlobPrefix(dataset: string): string {
  return `${BLOB_PREFIX}${validateDatasetName(dataset)}/`;
}

/** Content-addressed: the same value always lands on the same key, so rewrites are no-ops. */
export function sampleBlobKey(
  dataset: string,
  sampleId: string,
  field: string,
  sha256: string,
): string {
  const id = encodeURIComponent(parseInput(keyComponentSchema, sampleId, 'sample id'));
  const name = encodeURIComponent(parseInput(keyComponentSchema, field, 'field name'));
  return `${datasetBlobPrefix(dataset)}${id}/${name}/${sha256}.json`;
}

/**
 * The prefix of one run's objects, `runs/<dataset>/<objectKey>/`: the run's object key
 * (`objectKeyOf`), which is its run key unless that was taken when it was registered, and
 * which a rename keeps. Both components are validated (a dataset name has no `/`, an object
 * key is a run key, an identifier), so no run can reach into another's prefix.
 *
 * @throws InvalidInputError `INVALID_INPUT`; AnnotationRunError `INVALID_ANNO_KEY`
 */
export function runObjectPrefix(dataset: string, objectKey: string): string {
  return `${RUN_OBJECT_PREFIX}${validateDatasetName(dataset)}/${validateRunKey(objectKey)}/`;
}
