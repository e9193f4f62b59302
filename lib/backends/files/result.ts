import { z } from 'zod';
import { FRAMES_PREFIX, isFrameField, LABEL_TYPES } from '../../labels/label-types.js';
import { scalarSchema } from '../../labels/schemas.js';
import type { Annotations } from '../../merge/contract.js';
import type { FieldSchema, LabelSchema } from '../../schema/types.js';
import { IssueList, type ResultIssue } from './issues.js';
import { FILES_FORMAT_VERSION } from './manifest.js';
import { AnnotationsBuilder, isRecord, type ValueSite } from './result-labels.js';

const fieldValues = z.record(z.string(), z.unknown());

/**
 * A result file: the task manifest with its labels edited. Only what the conversion reads is
 * checked here; everything else of the manifest (`mediaUrl`, `metadata`, the label schema)
 * may stay, change or go.
 */
export const taskResultSchema = z.looseObject({
  version: z.literal(FILES_FORMAT_VERSION),
  taskId: z.string().min(1),
  samples: z.array(
    z.looseObject({
      id: z.string().min(1),
      fields: fieldValues,
      frames: z
        .record(
          z.string().regex(/^[1-9]\d*$/, 'frame numbers are 1-based'),
          z.looseObject({ fields: fieldValues }),
        )
        .optional(),
    }),
  ),
});
export type TaskResult = z.infer<typeof taskResultSchema>;

export interface ResultContext {
  /** The run's label schema: which fields exist, their types, which ones were uploaded. */
  readonly labelSchema: LabelSchema;
  /** The task the result must be for. */
  readonly taskId: string;
  /** The task's samples: a result lists each of them once, and no other. */
  readonly sampleIds: readonly string[];
}

export type ResultConversion =
  | { readonly ok: true; readonly annotations: Annotations }
  | { readonly ok: false; readonly issues: ResultIssue[]; readonly issueCount: number };

/**
 * Turns a result file (already JSON-parsed) into the core's download contract for its task,
 * or lists every problem found. All-or-nothing: one bad label rejects the whole file, so a
 * load never merges half a result.
 *
 * The result states the final labels of each sample of the task, so every sample must be
 * there: dropping one would silently delete its labels. Likewise every field that was
 * uploaded (an existing field) must be present on each sample (and each listed frame);
 * null, or an empty list, is how labels are removed. New fields may be absent (no labels).
 * Frames are keyed by frame number; a frame left out has no labels.
 */
export function resultToAnnotations(raw: unknown, ctx: ResultContext): ResultConversion {
  const issues = new IssueList();
  const parsed = taskResultSchema.safeParse(raw);
  if (!parsed.success) {
    issues.addZod('', parsed.error);
    return { ok: false, issues: issues.issues, issueCount: issues.count };
  }
  const result = parsed.data;
  if (result.taskId !== ctx.taskId) {
    issues.add('taskId', `is '${result.taskId}', but this is the result of task '${ctx.taskId}'`);
  }

  const builder = new AnnotationsBuilder(ctx.taskId, issues);
  const sampleFields = fieldsAt(ctx.labelSchema, false);
  const frameFields = fieldsAt(ctx.labelSchema, true);
  const expected = new Set(ctx.sampleIds);
  const seen = new Set<string>();

  result.samples.forEach((sample, i) => {
    const path = `samples[${i}]`;
    if (!expected.has(sample.id)) {
      issues.add(
        `${path}.id`,
        `unknown sample '${sample.id}': task '${ctx.taskId}' has no such sample`,
      );
      return;
    }
    if (seen.has(sample.id)) {
      issues.add(`${path}.id`, `sample '${sample.id}' appears more than once`);
      return;
    }
    seen.add(sample.id);
    convertFields(builder, issues, sampleFields, sample.fields, {
      sampleId: sample.id,
      path: `${path}.fields`,
    });
    for (const [frame, { fields }] of Object.entries(sample.frames ?? {})) {
      convertFields(builder, issues, frameFields, fields, {
        sampleId: sample.id,
        frame,
        path: `${path}.frames.${frame}.fields`,
      });
    }
  });
  for (const sampleId of ctx.sampleIds) {
    if (!seen.has(sampleId)) {
      issues.add(
        'samples',
        `sample '${sampleId}' of the task is missing: keep every sample (set a field to null to remove its labels)`,
      );
    }
  }

  return issues.empty
    ? { ok: true, annotations: builder.annotations }
    : { ok: false, issues: issues.issues, issueCount: issues.count };
}

/** The schema's fields at one level, keyed as results name them (frame fields unprefixed). */
function fieldsAt(
  schema: LabelSchema,
  frameLevel: boolean,
): Map<string, { name: string; field: FieldSchema }> {
  const out = new Map<string, { name: string; field: FieldSchema }>();
  for (const [name, field] of Object.entries(schema)) {
    if (isFrameField(name) !== frameLevel) continue;
    out.set(frameLevel ? name.slice(FRAMES_PREFIX.length) : name, { name, field });
  }
  return out;
}

function convertFields(
  builder: AnnotationsBuilder,
  issues: IssueList,
  known: Map<string, { name: string; field: FieldSchema }>,
  values: Record<string, unknown>,
  at: { sampleId: string; frame?: string; path: string },
): void {
  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      const names = [...known.keys()].map((name) => `'${name}'`).join(', ');
      issues.add(
        `${at.path}.${key}`,
        `is not a field of the run here (fields: ${names || 'none'})`,
      );
    }
  }
  for (const [key, { name, field }] of known) {
    const site: ValueSite = { ...at, field: name, path: `${at.path}.${key}` };
    if (!Object.hasOwn(values, key)) {
      if (field.existingField) {
        issues.add(
          at.path,
          `field '${key}' is missing: it was uploaded, so keep it (null removes its labels)`,
        );
      }
      continue;
    }
    convertValue(builder, issues, field, site, values[key]);
  }
}

function convertValue(
  builder: AnnotationsBuilder,
  issues: IssueList,
  field: FieldSchema,
  site: ValueSite,
  value: unknown,
): void {
  const { returnType, storedAs } = LABEL_TYPES[field.type];
  if (returnType !== 'scalar' && storedAs !== null) {
    builder.touch(site, returnType);
    builder.labels(site, value, storedAs);
    return;
  }
  // A label in a scalar field is of another kind than the field: filed as unexpected.
  if (isRecord(value) && typeof value._cls === 'string') {
    builder.labels(site, value, value._cls);
    return;
  }
  const scalar = scalarSchema.safeParse(value);
  if (scalar.success) builder.scalar(site, scalar.data);
  else issues.add(site.path, 'must be a string, number, boolean or null');
}
