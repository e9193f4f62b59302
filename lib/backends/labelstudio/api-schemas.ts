import { z } from 'zod';

/**
 * The parts of Label Studio's API responses this backend reads (reference §2), loose: the
 * published schema has many more fields and they vary by version and edition.
 */

/** A result item of an annotation or prediction (reference §2.4): geometry in percent. */
export const resultItemSchema = z.looseObject({
  id: z.string().min(1).optional(),
  type: z.string().min(1),
  from_name: z.string().min(1),
  to_name: z.string().optional(),
  original_width: z.number().positive().optional(),
  original_height: z.number().positive().optional(),
  image_rotation: z.number().optional(),
  value: z.looseObject({}),
});
export type ResultItem = z.infer<typeof resultItemSchema>;

/**
 * A link an annotator drew between two regions: a result item, but no region (no
 * `from_name`, no `value`). Nothing of a FiftyOne label, so it is read and left out.
 */
const relationItemSchema = z.looseObject({
  type: z.literal('relation'),
  from_id: z.string(),
  to_id: z.string(),
});

/** A result list: its regions, relations dropped. */
const resultSchema = z
  .array(z.union([resultItemSchema, relationItemSchema]))
  .transform((items) => items.filter((item): item is ResultItem => 'from_name' in item));

export const annotationSchema = z.looseObject({
  id: z.number().int(),
  result: resultSchema.nullable().optional(),
  was_cancelled: z.boolean().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
});
export type LabelStudioAnnotation = z.infer<typeof annotationSchema>;

export const predictionSchema = z.looseObject({
  id: z.number().int().optional(),
  result: resultSchema.nullable().optional(),
  updated_at: z.string().optional(),
});

/** The data annoflow puts on every task it creates: the image and which sample it shows. */
export const taskDataSchema = z.looseObject({
  image: z.string(),
  sample_id: z.string().min(1),
  annoflow_run: z.string().min(1),
  annoflow_page: z.number().int().nonnegative(),
});
export type TaskData = z.infer<typeof taskDataSchema>;

export const taskSchema = z.looseObject({
  id: z.number().int(),
  data: z.looseObject({}),
  annotations: z.array(annotationSchema).default([]),
  predictions: z.array(predictionSchema).default([]),
  updated_at: z.string().optional(),
});
export type LabelStudioTask = z.infer<typeof taskSchema>;

/** `GET /api/tasks`: not DRF's `results`, and paging ends with a 404 (reference §2.2, §5.9). */
export const taskPageSchema = z.looseObject({
  tasks: z.array(taskSchema),
  total: z.number().int().optional(),
});

export const projectSchema = z.looseObject({
  id: z.number().int(),
  title: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  maximum_annotations: z.number().int().positive().optional(),
  task_number: z.number().int().optional(),
});
export type LabelStudioProject = z.infer<typeof projectSchema>;

export const projectPageSchema = z.looseObject({
  count: z.number().int(),
  next: z.string().nullable().optional(),
  results: z.array(projectSchema),
});

export const webhookSchema = z.looseObject({
  id: z.number().int(),
  url: z.string(),
  project: z.number().int().nullable().optional(),
  headers: z.unknown().optional(),
});
export const webhookListSchema = z.array(webhookSchema);

export const tokenRefreshSchema = z.looseObject({ access: z.string().min(1) });
