import { z } from 'zod';
import { frameSchema, sampleSchema } from '../labels/schemas.js';

const frameNumberSchema = sampleSchema.shape.frames.unwrap().keyType;

/** A frame as sent to a tool: its id and the frame fields of the run (without `frames.`). */
export const uploadFrameSchema = z.object({
  id: frameSchema.shape.id,
  fields: z.record(z.string(), z.unknown()),
});
export type UploadFrame = z.infer<typeof uploadFrameSchema>;

/**
 * What a backend is given for one sample: its media and, per existing field of the run, the
 * value to show for editing — a single label or `null`, a list container holding only the
 * labels chosen for upload, or a scalar (`null` when not uploaded). New fields are absent:
 * there is nothing to show. Video samples list every frame, so tools can address new labels.
 */
export const uploadSampleSchema = z.object({
  id: sampleSchema.shape.id,
  filepath: sampleSchema.shape.filepath,
  media_type: sampleSchema.shape.media_type,
  metadata: sampleSchema.shape.metadata,
  tags: sampleSchema.shape.tags,
  fields: z.record(z.string(), z.unknown()),
  frames: z.record(frameNumberSchema, uploadFrameSchema).optional(),
});
export type UploadSample = z.infer<typeof uploadSampleSchema>;
