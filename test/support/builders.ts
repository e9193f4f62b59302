import type { Sample } from '../../lib/labels/index.js';
import {
  type Annotations,
  type IdMap,
  type MergeInput,
  type MergeResult,
  mergeAnnotations,
} from '../../lib/merge/index.js';
import type { DatasetSchema, FieldSchema } from '../../lib/schema/types.js';

/** A readable, deterministic 24-hex label id: `oid(7)` → `000…007`. */
export const oid = (n: number): string => n.toString(16).padStart(24, '0');

export function detection(
  id: string,
  label: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { _cls: 'Detection', id, label, bounding_box: [0.1, 0.1, 0.2, 0.2], ...extra };
}

export function detections(...labels: Record<string, unknown>[]): Record<string, unknown> {
  return { _cls: 'Detections', detections: labels };
}

export function classification(
  id: string,
  label: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { _cls: 'Classification', id, label, ...extra };
}

export function imageSample(id: string, fields: Record<string, unknown> = {}): Sample {
  return { id, filepath: `/data/${id}.jpg`, media_type: 'image', ...fields };
}

/** Labels keyed by id, as a tool's download holds them. */
export function byId(
  ...labels: Record<string, unknown>[]
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(labels.map((label) => [label.id as string, label]));
}

export function field(overrides: Partial<FieldSchema> & Pick<FieldSchema, 'type'>): FieldSchema {
  return { classes: [], attributes: {}, existingField: true, ...overrides };
}

export const imageDataset = (sampleFields: Record<string, string>): DatasetSchema => ({
  mediaType: 'image',
  sampleFields,
});

/** A merge input for one field `gt`, with the common parts filled in. */
export function mergeInput(parts: {
  samples: Sample[];
  gt: FieldSchema;
  idMap?: IdMap;
  annotations?: Annotations;
  dataset?: DatasetSchema;
  destField?: MergeInput['destField'];
  unexpected?: MergeInput['unexpected'];
}): MergeInput {
  return {
    dataset: parts.dataset ?? imageDataset({ gt: 'Detections' }),
    samples: parts.samples,
    labelSchema: { gt: parts.gt },
    idMap: parts.idMap ?? {},
    annotations: parts.annotations ?? {},
    ...(parts.destField !== undefined ? { destField: parts.destField } : {}),
    ...(parts.unexpected !== undefined ? { unexpected: parts.unexpected } : {}),
  };
}

/**
 * Merges `input`, then the same download again into the first merge's samples, id map and
 * dataset schema: what a retried load step does. `again` should change nothing.
 */
export function mergeTwice(input: MergeInput): { first: MergeResult; again: MergeResult } {
  const first = mergeAnnotations(input);
  const again = mergeAnnotations({
    ...input,
    samples: first.samples,
    idMap: first.idMap,
    dataset: first.dataset,
  });
  return { first, again };
}
