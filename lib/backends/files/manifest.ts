import { z } from 'zod';
import { labelSchemaSchema } from '../../schema/types.js';
import { uploadFrameSchema, uploadSampleSchema } from '../../schema/upload-sample.js';

/** The version of the manifest and result format; a result must say which one it follows. */
export const FILES_FORMAT_VERSION = 1;

/**
 * One sample of a task manifest: what `prepareUpload` gave the backend plus a URL the
 * annotator can open. `fields` holds the existing labels to edit, keyed by field (frame
 * fields inside `frames[n].fields`, without the `frames.` prefix); new fields are absent.
 */
export const manifestSampleSchema = z.object({
  id: uploadSampleSchema.shape.id,
  filepath: uploadSampleSchema.shape.filepath,
  mediaUrl: z.string().min(1),
  media_type: uploadSampleSchema.shape.media_type,
  metadata: uploadSampleSchema.shape.metadata,
  fields: uploadSampleSchema.shape.fields,
  frames: z.record(z.string(), uploadFrameSchema).optional(),
});
export type ManifestSample = z.infer<typeof manifestSampleSchema>;

/** `runs/<dataset>/<objectKey>/tasks/<taskId>.json`: everything an annotator needs for a task. */
export const taskManifestSchema = z.object({
  version: z.literal(FILES_FORMAT_VERSION),
  dataset: z.string().min(1),
  /** The run's key when the task was made (a rename does not rewrite manifests). */
  annoKey: z.string().min(1),
  taskId: z.string().min(1),
  /**
   * Where the annotator uploads the result. The folder is the run's object key, which is not
   * always its run key (a key reused after a delete or rename), so it is never to be guessed.
   * Absent from manifests written before it was added: those live under the run key.
   */
  resultKey: z.string().min(1).optional(),
  /** The run's label schema: the fields, their types, classes, attributes and restrictions. */
  labelSchema: labelSchemaSchema,
  samples: z.array(manifestSampleSchema),
});
export type TaskManifest = z.infer<typeof taskManifestSchema>;
