import { z } from 'zod';

/**
 * The parts of CVAT's REST responses the backend reads (schema `openapi.yml`, v2.39), loose:
 * servers add fields between releases and DRF ignores what we do not send.
 */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.looseObject({
    count: z.number().int(),
    next: z.string().nullable().optional(),
    results: z.array(item),
  });

export const attributeSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  mutable: z.boolean(),
  input_type: z.enum(['checkbox', 'radio', 'number', 'text', 'select']),
  values: z.array(z.string()),
  default_value: z.string().optional(),
});
export type CvatAttribute = z.infer<typeof attributeSchema>;

export const labelSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  attributes: z.array(attributeSchema).default([]),
});
export type CvatLabel = z.infer<typeof labelSchema>;

export const projectSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  tasks: z.looseObject({ count: z.number().int().optional() }).optional(),
});

export const taskSchema = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  project_id: z.number().int().nullable().optional(),
  updated_date: z.string(),
});

export const jobSchema = z.looseObject({
  id: z.number().int(),
  task_id: z.number().int(),
  project_id: z.number().int().nullable().optional(),
  stage: z.string(),
  state: z.string(),
  type: z.string().default('annotation'),
  start_frame: z.number().int(),
  stop_frame: z.number().int(),
  updated_date: z.string(),
});
export type CvatJob = z.infer<typeof jobSchema>;

export const dataMetaSchema = z.looseObject({
  /** Images: one entry per frame; a video: a single entry for all its frames. */
  frames: z.array(z.looseObject({ width: z.number(), height: z.number(), name: z.string() })),
  size: z.number().int().optional(),
});

const attributeValueSchema = z.looseObject({ spec_id: z.number().int(), value: z.string() });
export type CvatAttributeValue = z.infer<typeof attributeValueSchema>;

const itemBase = {
  id: z.number().int().nullable().optional(),
  frame: z.number().int(),
  label_id: z.number().int(),
  group: z.number().int().nullable().optional(),
  attributes: z.array(attributeValueSchema).default([]),
};
const geometry = {
  type: z.string(),
  points: z.array(z.number()).default([]),
  occluded: z.boolean().default(false),
  outside: z.boolean().default(false),
  rotation: z.number().default(0),
};

export const shapeSchema = z.looseObject({ ...itemBase, ...geometry });
export type CvatShape = z.infer<typeof shapeSchema>;
export const tagSchema = z.looseObject(itemBase);
export type CvatTag = z.infer<typeof tagSchema>;
export const trackSchema = z.looseObject({
  ...itemBase,
  shapes: z.array(
    z.looseObject({
      ...geometry,
      frame: z.number().int(),
      attributes: z.array(attributeValueSchema).default([]),
    }),
  ),
});
export type CvatTrack = z.infer<typeof trackSchema>;

export const labeledDataSchema = z.looseObject({
  version: z.number().int().optional(),
  shapes: z.array(shapeSchema).default([]),
  tags: z.array(tagSchema).default([]),
  tracks: z.array(trackSchema).default([]),
});
export type CvatLabeledData = z.infer<typeof labeledDataSchema>;

export const webhookSchema = z.looseObject({
  id: z.number().int(),
  target_url: z.string().optional(),
  project_id: z.number().int().nullable().optional(),
  description: z.string().optional(),
});

export const tokenSchema = z.looseObject({ key: z.string() });

export const userSchema = z.looseObject({ id: z.number().int(), username: z.string() });
