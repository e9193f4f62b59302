import { z } from 'zod';
import { returnTypeSchema } from '../labels/label-types.js';
import { labelIdSchema } from '../labels/schemas.js';

/**
 * What one sample (or frame) of a field had uploaded for editing: the label ids sent to the
 * tool (possibly empty), or for scalar fields whether a value was sent (SEMANTICS §4.3).
 * Deletions are computed from these ids only, never from the field's current content.
 */
export const idMapEntrySchema = z.union([z.array(labelIdSchema), z.boolean()]);
export type IdMapEntry = z.infer<typeof idMapEntrySchema>;

/**
 * The run's id map, keyed by field, then sample id. Frame fields (`frames.x`) add a level:
 * sample id → frame id → entry. A page of a run carries only its own samples' slice.
 */
export const idMapSchema = z.record(
  z.string(),
  z.record(z.string(), z.union([idMapEntrySchema, z.record(z.string(), idMapEntrySchema)])),
);
export type IdMap = z.infer<typeof idMapSchema>;

/**
 * FiftyOne's download contract (SEMANTICS §4.4):
 * `{field: {returnType: {sampleId: {labelId: label}}}}`; video frame fields add a frame
 * level (`{sampleId: {frameId: {labelId: label}}}`); scalars are `{sampleId: value}` (video:
 * `{sampleId: {frameId: value}}`). A frame key may be a frame id or a 1-based frame number.
 * Label payloads are checked by the merge, which knows which shape each field expects.
 */
export const annotationsSchema = z.record(
  z.string(),
  z.partialRecord(returnTypeSchema, z.record(z.string(), z.unknown())),
);
export type Annotations = z.infer<typeof annotationsSchema>;

/**
 * The label ids a whole download returns more than once, by field and return type (the
 * shape of {@link Annotations}): pasted copies. A page's merge sees only its own samples, so
 * a run merged page by page passes these (from `duplicateDownloadIds`) to every page: a copy
 * pasted onto a sample of another page then gets its own id there too (SEMANTICS §6.2).
 */
export const duplicateIdsSchema = z.record(
  z.string(),
  z.partialRecord(returnTypeSchema, z.array(labelIdSchema)),
);
export type DuplicateIds = z.infer<typeof duplicateIdsSchema>;

export { labelIdSchema };
