import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { isFrameField, LABEL_TYPES } from '../../labels/label-types.js';
import { deterministicObjectId } from '../../labels/object-id.js';
import type { Annotations } from '../../merge/contract.js';
import type { FieldSchema, LabelSchema } from '../../schema/types.js';
import { CLASS_FEATURE, featureName, parseJson } from './ontology.js';

const xy = z.object({ x: z.number(), y: z.number() });

interface Answer {
  name: string;
  radio_answer?:
    | { name?: string | undefined; value: string; classifications?: Answer[] | undefined }
    | undefined;
  checklist_answers?: Array<{ value: string; classifications?: Answer[] | undefined }> | undefined;
  text_answer?: { content: string } | undefined;
  feature_id?: string | undefined;
}
const answerSchema: z.ZodType<Answer> = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    feature_id: z.string().optional(),
    radio_answer: z
      .looseObject({
        name: z.string().optional(),
        value: z.string(),
        classifications: z.array(answerSchema).optional(),
      })
      .optional(),
    checklist_answers: z
      .array(
        z.looseObject({ value: z.string(), classifications: z.array(answerSchema).optional() }),
      )
      .optional(),
    text_answer: z.looseObject({ content: z.string() }).optional(),
  }),
);

const objectSchema = z.looseObject({
  feature_id: z.string(),
  name: z.string(),
  classifications: z.array(answerSchema).default([]),
  bounding_box: z
    .object({ top: z.number(), left: z.number(), height: z.number(), width: z.number() })
    .optional(),
  polygon: z.array(xy).optional(),
  line: z.array(xy).optional(),
  point: xy.optional(),
  mask: z.looseObject({ url: z.string() }).optional(),
});
type ExportObject = z.infer<typeof objectSchema>;

/** One NDJSON line of export v2, as far as the conversion reads it. */
export const exportLineSchema = z.looseObject({
  data_row: z.looseObject({ id: z.string(), global_key: z.string().nullish() }),
  media_attributes: z
    .looseObject({ width: z.number().optional(), height: z.number().optional() })
    .nullish(),
  projects: z.record(
    z.string(),
    z.looseObject({
      labels: z.array(
        z.looseObject({
          id: z.string(),
          label_details: z.looseObject({ updated_at: z.string().optional() }).optional(),
          annotations: z.looseObject({
            objects: z.array(objectSchema).default([]),
            classifications: z.array(answerSchema).default([]),
            /** Videos: per 1-based frame number, objects keyed by feature id (one per track). */
            frames: z
              .record(
                z.string(),
                z.looseObject({
                  objects: z.record(z.string(), objectSchema).default({}),
                  classifications: z.array(answerSchema).default([]),
                }),
              )
              .optional(),
          }),
        }),
      ),
      project_details: z.looseObject({ workflow_status: z.string().optional() }).optional(),
    }),
  ),
});
export type ExportLine = z.infer<typeof exportLineSchema>;

export interface ExportContext {
  readonly labelSchema: LabelSchema;
  readonly projectId: string;
  readonly sampleIds: readonly string[];
  /** Image sizes from the samples' metadata, by sample id (the export's are the fallback). */
  readonly sizes: Readonly<Record<string, readonly [number, number]>>;
  /** Decoded mask PNGs by URL, fetched beforehand. */
  readonly masks: ReadonlyMap<string, number[][]>;
}

/** The mask URLs a conversion of these lines will need. */
export function maskUrls(lines: readonly ExportLine[], projectId: string): string[] {
  return lines.flatMap((line) => {
    const annotations = latestLabel(line, projectId)?.annotations;
    const frames = Object.values(annotations?.frames ?? {}).flatMap((f) =>
      Object.values(f.objects),
    );
    return [...(annotations?.objects ?? []), ...frames].flatMap((object) =>
      object.mask ? [object.mask.url] : [],
    );
  });
}

/** The row's label in the project: the latest, should consensus have made several [I]. */
function latestLabel(line: ExportLine, projectId: string) {
  const labels = line.projects[projectId]?.labels ?? [];
  return [...labels].sort((a, b) =>
    (a.label_details?.updated_at ?? '').localeCompare(b.label_details?.updated_at ?? ''),
  )[labels.length - 1];
}

/**
 * Converts the export of one task (its batch) to the core's download contract (SEMANTICS
 * §4.4). Coordinates are absolute pixels in Labelbox and relative in FiftyOne, so every
 * geometry is divided by the image's size. Labels get ids derived from Labelbox's feature
 * ids, so reading the same export twice yields the same labels and a re-load merges, not
 * re-adds. Features that are not the run's fields are ignored: the run's schema decides.
 *
 * @throws BackendError `BACKEND_RESULT_INVALID` for a row that is not one of the task's
 *   samples, or whose image size is unknown.
 */
export function exportToAnnotations(lines: readonly ExportLine[], ctx: ExportContext): Annotations {
  const builder = new Builder(ctx);
  const expected = new Set(ctx.sampleIds);
  for (const line of lines) {
    const sampleId = line.data_row.global_key ?? '';
    if (!expected.has(sampleId)) {
      throw new BackendError(
        'BACKEND_RESULT_INVALID',
        `Labelbox project ${ctx.projectId} exported data row ${line.data_row.id} with global key '${sampleId}', which is not a sample of this task`,
        { projectId: ctx.projectId, dataRowId: line.data_row.id, globalKey: sampleId },
      );
    }
    const label = latestLabel(line, ctx.projectId);
    if (!label) continue;
    const size = sizeOf(line, sampleId, ctx);
    const { objects, classifications, frames } = label.annotations;
    for (const object of objects) builder.object({ sampleId }, size, object);
    for (const answer of classifications) builder.question({ sampleId }, answer);
    // A track is one feature id across frames; FiftyOne numbers tracks with `index`.
    const tracks = new Map<string, number>();
    const numbers = Object.keys(frames ?? {}).sort((a, b) => Number(a) - Number(b));
    for (const frame of numbers) {
      const content = frames?.[frame];
      for (const [featureId, object] of Object.entries(content?.objects ?? {})) {
        if (!tracks.has(featureId)) tracks.set(featureId, tracks.size + 1);
        builder.object(
          { sampleId, frame },
          size,
          { ...object, feature_id: featureId },
          tracks.get(featureId),
        );
      }
      for (const answer of content?.classifications ?? [])
        builder.question({ sampleId, frame }, answer);
    }
  }
  builder.finishSegmentations();
  return builder.annotations;
}

function sizeOf(line: ExportLine, sampleId: string, ctx: ExportContext): [number, number] {
  const known = ctx.sizes[sampleId];
  if (known) return [known[0], known[1]];
  const { width, height } = line.media_attributes ?? {};
  if (width && height) return [width, height];
  throw new BackendError(
    'BACKEND_RESULT_INVALID',
    `Sample '${sampleId}' has no width and height (neither in its metadata nor in Labelbox's media attributes), so its pixel coordinates cannot be made relative`,
    { sampleId },
  );
}

/** The run's field a feature name stands for, by the names {@link featureName} gives. */
function fieldIndex(labelSchema: LabelSchema): Map<string, [string, FieldSchema]> {
  const index = new Map<string, [string, FieldSchema]>();
  for (const [field, schema] of Object.entries(labelSchema)) {
    index.set(featureName(field, schema.type, schema), [field, schema]);
  }
  return index;
}

/** Where a label goes: a sample, or a 1-based frame of a video sample. */
interface Site {
  readonly sampleId: string;
  readonly frame?: string;
}

/** Frame-level fields take labels from frames only, sample-level fields from the sample. */
function placedRight(field: string, site: Site): boolean {
  return isFrameField(field) === (site.frame !== undefined);
}

/** The record under `key`, created empty when absent. */
function child(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (typeof existing === 'object' && existing !== null) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

class Builder {
  readonly annotations: Annotations = {};
  readonly #fields: Map<string, [string, FieldSchema]>;
  /** Segmentation fields: per sample, the class masks to compose into one. */
  readonly #segments = new Map<
    string,
    Map<string, { site: Site; size: [number, number]; parts: Array<[number, number[][]]> }>
  >();

  constructor(private readonly ctx: ExportContext) {
    this.#fields = fieldIndex(ctx.labelSchema);
  }

  object(site: Site, [w, h]: [number, number], object: ExportObject, index?: number): void {
    const found = this.#fields.get(object.name);
    if (!found || !placedRight(found[0], site)) return;
    const [field, schema] = found;
    const classAnswer = object.classifications.find((c) => c.name === CLASS_FEATURE);
    const label = classAnswer?.radio_answer?.value ?? null;
    const attributes = attributeValues(object.classifications.filter((c) => c !== classAnswer));
    const id = deterministicObjectId(
      'labelbox',
      this.ctx.projectId,
      object.feature_id,
      site.frame ?? '',
    );
    const base = { id, label, ...(index === undefined ? {} : { index }), ...attributes };
    const box = object.bounding_box;
    if (box) {
      this.#put(field, schema, site, {
        _cls: 'Detection',
        ...base,
        bounding_box: [box.left / w, box.top / h, box.width / w, box.height / h],
      });
    } else if (object.polygon || object.line) {
      const closed = object.polygon !== undefined;
      const points = (object.polygon ?? object.line ?? []).map(({ x, y }) => [x / w, y / h]);
      this.#put(field, schema, site, {
        _cls: 'Polyline',
        ...base,
        points: [points],
        closed,
        filled: closed,
      });
    } else if (object.point) {
      this.#put(field, schema, site, {
        _cls: 'Keypoint',
        ...base,
        points: [[object.point.x / w, object.point.y / h]],
      });
    } else if (object.mask) {
      const pixels = this.ctx.masks.get(object.mask.url) ?? [];
      if (schema.type === 'segmentation') {
        // The option chosen is {label: class, value: mask value} (ontology.ts), exported as
        // radio_answer {name: label, value}: the value is the mask value.
        const targets = schema.maskTargets ?? {};
        const answer = classAnswer?.radio_answer;
        const value =
          answer !== undefined && Object.hasOwn(targets, answer.value)
            ? answer.value
            : Object.entries(targets).find(([, name]) => name === (answer?.name ?? label))?.[0];
        if (value === undefined) return;
        const bySite = this.#segments.get(field) ?? new Map();
        this.#segments.set(field, bySite);
        const key = JSON.stringify([site.sampleId, site.frame ?? null]);
        const entry = bySite.get(key) ?? { site, size: [w, h], parts: [] };
        entry.parts.push([Number(value), pixels]);
        bySite.set(key, entry);
      } else {
        const instance = cropMask(pixels, w, h);
        if (instance) this.#put(field, schema, site, { _cls: 'Detection', ...base, ...instance });
      }
    }
  }

  question(site: Site, answer: Answer): void {
    const found = this.#fields.get(answer.name);
    if (!found || !placedRight(found[0], site)) return;
    const [field, schema] = found;
    const seed = answer.feature_id ?? `${site.sampleId}/${site.frame ?? ''}/${field}`;
    if (schema.type === 'scalar') {
      const value = answer.text_answer?.content ?? answer.radio_answer?.value;
      if (value === undefined) return;
      const byType = this.#byType(field, 'scalar');
      if (site.frame === undefined) byType[site.sampleId] = value;
      else child(byType, site.sampleId)[site.frame] = value;
      return;
    }
    const chosen = answer.radio_answer ? [answer.radio_answer] : (answer.checklist_answers ?? []);
    for (const choice of chosen) {
      this.#put(field, schema, site, {
        _cls: 'Classification',
        id: deterministicObjectId('labelbox', this.ctx.projectId, seed, choice.value),
        label: choice.value,
        ...attributeValues(choice.classifications ?? []),
      });
    }
  }

  finishSegmentations(): void {
    for (const [field, bySite] of this.#segments) {
      const schema = this.ctx.labelSchema[field];
      if (!schema) continue;
      for (const { site, size, parts } of bySite.values()) {
        const [w, h] = size;
        const mask = Array.from({ length: h }, () => new Array<number>(w).fill(0));
        for (const [value, pixels] of parts) {
          pixels.forEach((row, y) => {
            const target = mask[y];
            row.forEach((on, x) => {
              if (on && target && x < w) target[x] = value;
            });
          });
        }
        this.#put(field, schema, site, {
          _cls: 'Segmentation',
          id: deterministicObjectId(
            'labelbox',
            this.ctx.projectId,
            site.sampleId,
            site.frame ?? '',
            field,
          ),
          mask,
        });
      }
    }
  }

  #put(
    field: string,
    schema: FieldSchema,
    site: Site,
    label: { id: string } & Record<string, unknown>,
  ): void {
    const byType = this.#byType(field, LABEL_TYPES[schema.type].returnType);
    const bySample = child(byType, site.sampleId);
    const slot = site.frame === undefined ? bySample : child(bySample, site.frame);
    slot[label.id] = label;
  }

  #byType(field: string, returnType: keyof NonNullable<Annotations[string]>) {
    const byField = this.annotations[field] ?? {};
    this.annotations[field] = byField;
    const byType = byField[returnType] ?? {};
    byField[returnType] = byType;
    return byType;
  }
}

/** Nested answers as FiftyOne attributes (custom label keys); option values carry JSON. */
function attributeValues(answers: readonly Answer[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const answer of answers) {
    if (answer.text_answer) out[answer.name] = answer.text_answer.content;
    else if (answer.radio_answer) out[answer.name] = parseJson(answer.radio_answer.value);
    else if (answer.checklist_answers) {
      out[answer.name] = answer.checklist_answers.map((choice) => parseJson(choice.value));
    }
  }
  return out;
}

/** An instance mask as FiftyOne stores it: a box around the on pixels, the mask cropped to it. */
function cropMask(
  pixels: number[][],
  w: number,
  h: number,
): { bounding_box: [number, number, number, number]; mask: number[][] } | undefined {
  let top = Infinity;
  let left = Infinity;
  let bottom = -1;
  let right = -1;
  pixels.forEach((row, y) => {
    row.forEach((on, x) => {
      if (!on) return;
      top = Math.min(top, y);
      left = Math.min(left, x);
      bottom = Math.max(bottom, y);
      right = Math.max(right, x);
    });
  });
  if (bottom < 0) return undefined;
  const mask = pixels.slice(top, bottom + 1).map((row) => row.slice(left, right + 1));
  return {
    bounding_box: [left / w, top / h, (right - left + 1) / w, (bottom - top + 1) / h],
    mask,
  };
}
