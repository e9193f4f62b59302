import { z } from 'zod';
import { MergeError, parseInput } from '../errors/index.js';
import {
  FRAMES_PREFIX,
  isFrameField,
  LABEL_TYPES,
  type LabelClass,
  RETURN_TYPE_STORAGE,
  type ReturnType,
  returnTypeSchema,
  TRACKABLE_RETURN_TYPES,
} from '../labels/label-types.js';
import { type Sample, sampleSchema } from '../labels/schemas.js';
import { refuseProtoNames } from '../schema/proto-names.js';
import {
  type DatasetSchema,
  datasetSchemaSchema,
  type FieldSchema,
  labelSchemaSchema,
} from '../schema/types.js';
import {
  type Annotations,
  annotationsSchema,
  duplicateIdsSchema,
  type IdMap,
  idMapSchema,
} from './contract.js';
import { isPlainIdMap, isPlainSample } from './fast-guards.js';
import { IdMapSlice } from './id-map-slice.js';
import { keepConflict, unionOfDownloads } from './kept-labels.js';
import { mergeLabelField } from './merge-labels.js';
import { mergeScalarField } from './merge-scalars.js';
import { JsonParseCache } from './options-cache.js';
import { PageState } from './page-state.js';
import { parseDownloadedLabels, parseDownloadedScalars } from './parse-download.js';
import { type MergeReport, ReportBuilder } from './report.js';
import { planTargets } from './targets.js';

export const unexpectedPolicySchema = z.enum(['keep', 'ignore', 'return']);
export type UnexpectedPolicy = z.infer<typeof unexpectedPolicySchema>;

/**
 * Where a schemaless run's download keeps its labels: FiftyOne's `None` field (SEMANTICS §6.4).
 * Such a run has no label schema (the tool's project is the schema), so every label it
 * returns is unexpected, and `unexpected` decides: `keep` stores it in the field named after
 * its type, `return` returns it under this key, `ignore` drops it.
 */
export const SCHEMALESS_KEY = '';

const mergeOptionsSchema = z.object({
  dataset: datasetSchemaSchema,
  labelSchema: labelSchemaSchema,
  destField: z.union([z.string().min(1), z.record(z.string(), z.string().min(1))]).optional(),
  unexpected: unexpectedPolicySchema.default('return'),
  /** A schemaless run: `annotations[SCHEMALESS_KEY]` are merged as unexpected labels. */
  schemaless: z.boolean().optional(),
});

export const mergeInputSchema = mergeOptionsSchema.extend({
  samples: z.array(sampleSchema),
  idMap: idMapSchema,
  annotations: annotationsSchema,
  /** A page of a larger download: the ids the whole download returns more than once. */
  duplicateIds: duplicateIdsSchema.optional(),
});
export type MergeInput = z.input<typeof mergeInputSchema>;

export interface MergeResult {
  /** The page's samples in input order; changed ones are new objects, the rest the inputs. */
  samples: Sample[];
  /** The dataset schema with any field the merge created. */
  dataset: DatasetSchema;
  /** The page's id map with the ids this merge added (so re-merging edits, not re-adds). */
  idMap: IdMap;
  /** `unexpected: 'return'` only: labels of unexpected types, or null when there were none. */
  unexpected: Annotations | null;
  report: MergeReport;
  warnings: string[];
}

/**
 * Merges a tool's annotations into samples under the run's label schema: FiftyOne's
 * `load_annotations` (SEMANTICS §6) for one page. It needs only the page's samples and the
 * page's slices of the id map and annotations, so a run of any size merges page by page.
 * Inputs are never mutated; merging the same page twice changes nothing the second time.
 *
 * @example
 * const { samples, idMap, report } = mergeAnnotations({
 *   dataset, samples: page, labelSchema: run.labelSchema, idMap: run.idMap,
 *   annotations: { ground_truth: { detections: { [sampleId]: { [labelId]: detection } } } },
 * });
 */
export function mergeAnnotations(input: MergeInput): MergeResult {
  if ((input as { unexpected?: unknown }).unexpected === 'prompt') {
    throw new MergeError(
      'UNEXPECTED_PROMPT_UNSUPPORTED',
      "unexpected='prompt' is not supported: a service cannot prompt. Use 'keep', 'ignore' or 'return'",
      { unexpected: 'prompt' },
    );
  }
  const parsed = parseMergeInput(input);
  // Validated; the caller's own objects are kept so unchanged samples come back as-is.
  const samples = input.samples as Sample[];
  const warnings: string[] = [];
  const report = new ReportBuilder();
  const state = new PageState(samples);
  const dataset = copyDataset(parsed.dataset);
  const slices = new Map<string, IdMapSlice>();
  const returned: Annotations = {};

  const plan = planTargets(
    parsed.labelSchema,
    parsed.dataset,
    destFieldOf(parsed.destField, parsed.schemaless === true, warnings),
    warnings,
  );
  const fieldIdMap = (target: string): IdMapSlice => {
    let slice = slices.get(target);
    if (!slice) {
      slice = new IdMapSlice(parsed.idMap[target] ?? {});
      slices.set(target, slice);
    }
    return slice;
  };
  const markCreated = (target: string, storedAs: LabelClass | null, firstValue?: unknown): void => {
    if (isFrameField(target) && dataset.frameFields === undefined) dataset.frameFields = {};
    const fields = isFrameField(target)
      ? (dataset.frameFields as Record<string, string>)
      : dataset.sampleFields;
    const name = isFrameField(target) ? target.slice(FRAMES_PREFIX.length) : target;
    if (fields[name] === undefined) fields[name] = storedAs ?? scalarFieldType(firstValue);
  };

  // Copies pasted onto other pages' samples, named by the caller (see DuplicateIds).
  const duplicatesOf = (source: string, returnType: ReturnType): ReadonlySet<string> => {
    const ids = parsed.duplicateIds?.[source]?.[returnType];
    return ids === undefined || ids.length === 0 ? NO_DUPLICATES : new Set(ids);
  };
  const keeps = new Map<
    string,
    {
      returnType: ReturnType;
      raws: Array<Record<string, unknown>>;
      where: string;
      duplicates: Set<string>;
    }
  >();
  for (const { source, target, field } of plan) {
    const { returnType: expected, storedAs } = LABEL_TYPES[field.type];
    const downloaded = parsed.annotations[source] ?? {};
    // The expected type is merged even when absent, so recorded labels are still deleted.
    const returnTypes = new Set<ReturnType>([
      ...(Object.keys(downloaded) as ReturnType[]),
      expected,
    ]);
    const frameField = isFrameField(source);

    for (const returnType of returnTypes) {
      const raw = downloaded[returnType] ?? {};
      const where = `annotations['${source}']['${returnType}']`;
      if (returnType === expected) {
        mergeInto({
          target,
          field,
          returnType,
          storedAs,
          raw,
          where,
          duplicatedInDownload: duplicatesOf(source, returnType),
        });
        continue;
      }
      // Unexpected labels (SEMANTICS §6.4): never kept when additions are not allowed.
      unexpectedLabels({
        source,
        target,
        returnType,
        raw,
        where,
        frameField,
        allowAdditions: field.allowAdditions ?? true,
      });
    }
  }
  // A schemaless run's labels are all unexpected; on video they sit on frames, as FiftyOne
  // keeps them in `frames.<type>` (`_handle_frame_fields` with no reference field).
  if (parsed.schemaless === true) {
    const downloaded = parsed.annotations[SCHEMALESS_KEY] ?? {};
    for (const returnType of Object.keys(downloaded) as ReturnType[]) {
      unexpectedLabels({
        source: SCHEMALESS_KEY,
        target: SCHEMALESS_KEY,
        returnType,
        raw: downloaded[returnType] ?? {},
        where: `annotations['${SCHEMALESS_KEY}']['${returnType}']`,
        frameField: parsed.dataset.mediaType === 'video',
        allowAdditions: true,
      });
    }
  }
  // After every schema field, each kept type in one pass (see unionOfDownloads).
  for (const [target, { returnType, raws, where, duplicates }] of keeps) {
    mergeInto({
      target,
      field: null,
      returnType,
      storedAs: RETURN_TYPE_STORAGE[returnType],
      raw: unionOfDownloads(raws, isFrameField(target)),
      where,
      duplicatedInDownload: duplicates,
    });
  }

  function unexpectedLabels(job: {
    source: string;
    target: string;
    returnType: ReturnType;
    raw: Record<string, unknown>;
    where: string;
    frameField: boolean;
    allowAdditions: boolean;
  }): void {
    const { source, target, returnType, raw, where, frameField, allowAdditions } = job;
    const keepTarget = `${frameField ? FRAMES_PREFIX : ''}${returnType}`;
    const conflict =
      parsed.unexpected === 'keep' && allowAdditions
        ? keepConflict(keepTarget, RETURN_TYPE_STORAGE[returnType], plan, parsed.dataset)
        : undefined;
    const disposition =
      parsed.unexpected === 'keep'
        ? allowAdditions && conflict === undefined
          ? 'kept'
          : 'refused'
        : parsed.unexpected === 'return'
          ? 'returned'
          : 'ignored';
    const entries = listDownloaded(raw, returnType, frameField, where);
    for (const entry of entries) {
      report.unexpected({ field: target, returnType, disposition, ...entry });
    }
    if (parsed.unexpected === 'return' && Object.keys(raw).length > 0) {
      returned[target] = { ...(returned[target] ?? {}), [returnType]: raw };
    }
    if (conflict !== undefined && entries.length > 0) {
      warnings.push(
        `Not keeping ${entries.length} unexpected ${returnType} of field '${target}': ${conflict}`,
      );
    }
    if (disposition !== 'kept') return;
    const kept = keeps.get(keepTarget);
    const duplicates = duplicatesOf(source, returnType);
    if (kept === undefined)
      keeps.set(keepTarget, { returnType, raws: [raw], where, duplicates: new Set(duplicates) });
    else {
      kept.raws.push(raw);
      for (const id of duplicates) kept.duplicates.add(id);
    }
  }

  function mergeInto(job: {
    target: string;
    field: FieldSchema | null;
    returnType: ReturnType;
    storedAs: LabelClass | null;
    raw: Record<string, unknown>;
    where: string;
    duplicatedInDownload: ReadonlySet<string>;
  }): void {
    const { target, field, returnType, storedAs, raw, where, duplicatedInDownload } = job;
    const frameField = isFrameField(target);
    const before = report.report.changes.length;
    let firstWritten: unknown;
    if (returnType === 'scalar' || storedAs === null) {
      firstWritten = mergeScalarField({
        state,
        report,
        warnings,
        target,
        field,
        downloaded: parseDownloadedScalars(raw, frameField, where),
        idMap: fieldIdMap(target),
        isFrameField: frameField,
      });
    } else {
      const trackable = frameField && parsed.dataset.mediaType === 'video';
      mergeLabelField({
        state,
        report,
        warnings,
        target,
        field,
        storedAs,
        downloaded: parseDownloadedLabels(raw, returnType, frameField, where, fieldIdMap(target)),
        idMap: fieldIdMap(target),
        isFrameField: frameField,
        duplicatedInDownload,
        // FiftyOne reconciles tracks only for the exact plural type strings (a quirk we keep).
        tracked:
          trackable &&
          (field === null ? TRACKABLE_RETURN_TYPES.has(returnType) : TRACKED_TYPES.has(field.type)),
        // New fields are keyframe-only by force, so imported keyframes keep `keyframe=true`.
        onlyKeyframes: field === null || !field.existingField ? true : field.onlyKeyframes === true,
      });
    }
    if (report.report.changes.length > before) markCreated(target, storedAs, firstWritten);
  }

  const idMap: IdMap = { ...parsed.idMap };
  for (const [target, slice] of slices) if (slice.changed) idMap[target] = slice.toRecord();
  return {
    samples: state.result(),
    dataset,
    idMap,
    unexpected: Object.keys(returned).length > 0 ? returned : null,
    report: report.finish(),
    warnings,
  };
}

/**
 * A schemaless run has no field for a string `destField` to rename: its labels go to fields
 * named after their types (SEMANTICS §6.4), so the string is ignored with a warning.
 */
function destFieldOf(
  destField: string | Record<string, string> | undefined,
  schemaless: boolean,
  warnings: string[],
): string | Record<string, string> | undefined {
  if (!schemaless || typeof destField !== 'string') return destField;
  warnings.push(
    `Ignoring string \`destField='${destField}'\` since the run is schemaless: its labels are kept in fields named after their types`,
  );
  return undefined;
}

/**
 * Validates a merge input. The bulky parts (samples, id map, annotations) take the
 * allocation-free guards first and fall back to their zod schemas, which name the culprit.
 */
function parseMergeInput(input: MergeInput): z.output<typeof mergeInputSchema> {
  const { dataset, labelSchema, destField, unexpected, schemaless } = input;
  const options = optionsCache.get({ dataset, labelSchema, destField, unexpected, schemaless });
  const samples =
    Array.isArray(input.samples) && input.samples.every(isPlainSample) ? input.samples : undefined;
  const idMap = isPlainIdMap(input.idMap) ? input.idMap : undefined;
  const annotations = isPlainAnnotations(input.annotations) ? input.annotations : undefined;
  const rest =
    samples && idMap && annotations
      ? { samples, idMap, annotations }
      : parseInput(
          mergeInputSchema.pick({ samples: true, idMap: true, annotations: true }),
          input,
          'merge input',
        );
  const duplicateIds =
    input.duplicateIds === undefined
      ? {}
      : parseInput(
          mergeInputSchema.pick({ duplicateIds: true }),
          { duplicateIds: input.duplicateIds },
          'merge input',
        );
  return { ...options, ...rest, ...duplicateIds } as z.output<typeof mergeInputSchema>;
}

// The options of a run's pages are the same: each distinct content is parsed once.
const optionsCache = new JsonParseCache((options) => {
  const { destField } = options as { destField?: unknown };
  refuseProtoNames(options, 'merge input', { destField });
  return parseInput(mergeOptionsSchema, options, 'merge input');
});

function isPlainAnnotations(value: unknown): value is Annotations {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const byType of Object.values(value)) {
    if (byType === null || typeof byType !== 'object' || Array.isArray(byType)) return false;
    for (const [type, bySample] of Object.entries(byType)) {
      if (
        !RETURN_TYPES.has(type) ||
        bySample === null ||
        typeof bySample !== 'object' ||
        Array.isArray(bySample)
      ) {
        return false;
      }
    }
  }
  return true;
}

const RETURN_TYPES: ReadonlySet<string> = new Set(returnTypeSchema.options);

function listDownloaded(
  raw: Record<string, unknown>,
  returnType: ReturnType,
  frameField: boolean,
  where: string,
): Array<{ sampleId: string; frameId?: string; labelId?: string }> {
  const out: Array<{ sampleId: string; frameId?: string; labelId?: string }> = [];
  if (returnType === 'scalar') {
    for (const [sampleId, frames] of parseDownloadedScalars(raw, frameField, where)) {
      for (const frameKey of frames.keys())
        out.push(frameKey ? { sampleId, frameId: frameKey } : { sampleId });
    }
    return out;
  }
  for (const { sampleId, frameKey, ids } of parseDownloadedLabels(
    raw,
    returnType,
    frameField,
    where,
  )) {
    for (const labelId of ids) {
      out.push(frameKey ? { sampleId, frameId: frameKey, labelId } : { sampleId, labelId });
    }
  }
  return out;
}

/** The caller's copy of the (frozen, shared) parsed schema; structuredClone cost 10x this. */
function copyDataset(dataset: DatasetSchema): DatasetSchema {
  const { frameFields, maskTargets, defaultMaskTargets } = dataset;
  return {
    ...dataset,
    sampleFields: { ...dataset.sampleFields },
    ...(frameFields === undefined ? {} : { frameFields: { ...frameFields } }),
    ...(maskTargets === undefined ? {} : { maskTargets: structuredClone(maskTargets) }),
    ...(defaultMaskTargets === undefined ? {} : { defaultMaskTargets: { ...defaultMaskTargets } }),
  };
}

const NO_DUPLICATES: ReadonlySet<string> = new Set();

const TRACKED_TYPES: ReadonlySet<string> = new Set(['detections', 'polylines', 'keypoints']);

function scalarFieldType(value: unknown): string {
  if (typeof value === 'boolean') return 'BooleanField';
  if (typeof value === 'number') return Number.isInteger(value) ? 'IntField' : 'FloatField';
  return 'StringField';
}
