import { z } from 'zod';
import type { ReturnType, SingleLabelClass } from './label-types.js';

/** A FiftyOne label id: a 24-hex ObjectId string. */
export const labelIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'must be a 24-hex ObjectId');

const num = z.number();
// Keypoints use NaN for missing coordinates; JSON has no NaN, so null stands in for it.
const coord = z.number().nullable();
const attributesDict = z.record(z.string(), z.unknown());
const mask = z.array(z.array(z.number()));

// Labels are loose objects: any extra key is a custom attribute (SEMANTICS §1.3).
const labelBase = {
  id: labelIdSchema,
  tags: z.array(z.string()).optional(),
};

export const classificationSchema = z.looseObject({
  _cls: z.literal('Classification'),
  ...labelBase,
  label: z.string().nullable().optional(),
  confidence: num.nullable().optional(),
  logits: z.array(num).nullable().optional(),
});

export const detectionSchema = z.looseObject({
  _cls: z.literal('Detection'),
  ...labelBase,
  label: z.string().nullable().optional(),
  bounding_box: z.tuple([num, num, num, num]).nullable().optional(),
  mask: mask.nullable().optional(),
  mask_path: z.string().nullable().optional(),
  confidence: num.nullable().optional(),
  index: z.number().int().nullable().optional(),
  attributes: attributesDict.optional(),
});

export const polylineSchema = z.looseObject({
  _cls: z.literal('Polyline'),
  ...labelBase,
  label: z.string().nullable().optional(),
  points: z.array(z.array(z.tuple([num, num]))),
  closed: z.boolean().optional(),
  filled: z.boolean().optional(),
  confidence: num.nullable().optional(),
  index: z.number().int().nullable().optional(),
  attributes: attributesDict.optional(),
});

export const keypointSchema = z.looseObject({
  _cls: z.literal('Keypoint'),
  ...labelBase,
  label: z.string().nullable().optional(),
  points: z.array(z.tuple([coord, coord])),
  confidence: z.array(coord).nullable().optional(),
  index: z.number().int().nullable().optional(),
  attributes: attributesDict.optional(),
});

export const segmentationSchema = z.looseObject({
  _cls: z.literal('Segmentation'),
  ...labelBase,
  mask: mask.nullable().optional(),
  mask_path: z.string().nullable().optional(),
});

/** One label, as annotation tools return them and as containers hold them. */
export const labelSchema = z.discriminatedUnion('_cls', [
  classificationSchema,
  detectionSchema,
  polylineSchema,
  keypointSchema,
  segmentationSchema,
]);

export const classificationsSchema = z.looseObject({
  _cls: z.literal('Classifications'),
  classifications: z.array(classificationSchema),
  logits: z.array(num).nullable().optional(),
});
export const detectionsSchema = z.looseObject({
  _cls: z.literal('Detections'),
  detections: z.array(detectionSchema),
});
export const polylinesSchema = z.looseObject({
  _cls: z.literal('Polylines'),
  polylines: z.array(polylineSchema),
});
export const keypointsSchema = z.looseObject({
  _cls: z.literal('Keypoints'),
  keypoints: z.array(keypointSchema),
});

/** What a label field holds: a single label or a list container. */
export const fieldLabelSchema = z.discriminatedUnion('_cls', [
  classificationSchema,
  detectionSchema,
  polylineSchema,
  keypointSchema,
  segmentationSchema,
  classificationsSchema,
  detectionsSchema,
  polylinesSchema,
  keypointsSchema,
]);

export const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const frameSchema = z.looseObject({ id: labelIdSchema });

export const mediaTypeSchema = z.enum(['image', 'video']);

/**
 * A sample in FiftyOne's flat JSON form. Field values stay `unknown` here: which fields hold
 * labels is the dataset schema's business (`lib/schema`), not the sample's.
 */
export const sampleSchema = z.looseObject({
  id: z.string().min(1),
  filepath: z.string().min(1),
  media_type: mediaTypeSchema.optional(),
  metadata: z.looseObject({}).nullable().optional(),
  tags: z.array(z.string()).optional(),
  frames: z
    .record(z.string().regex(/^[1-9]\d*$/, 'frame numbers are 1-based'), frameSchema)
    .optional(),
});

/** Each single label class: its schema, and the return type a download files it under. */
export const SINGLE_LABEL_CLASSES = {
  Classification: { returnType: 'classifications', schema: classificationSchema },
  Detection: { returnType: 'detections', schema: detectionSchema },
  Polyline: { returnType: 'polylines', schema: polylineSchema },
  Keypoint: { returnType: 'keypoints', schema: keypointSchema },
  Segmentation: { returnType: 'segmentation', schema: segmentationSchema },
} as const satisfies Record<
  SingleLabelClass,
  { returnType: Exclude<ReturnType, 'scalar'>; schema: z.ZodType }
>;

export type Classification = z.infer<typeof classificationSchema>;
export type Detection = z.infer<typeof detectionSchema>;
export type Polyline = z.infer<typeof polylineSchema>;
export type Keypoint = z.infer<typeof keypointSchema>;
export type Segmentation = z.infer<typeof segmentationSchema>;
export type Label = z.infer<typeof labelSchema>;
export type Classifications = z.infer<typeof classificationsSchema>;
export type Detections = z.infer<typeof detectionsSchema>;
export type Polylines = z.infer<typeof polylinesSchema>;
export type Keypoints = z.infer<typeof keypointsSchema>;
export type FieldLabel = z.infer<typeof fieldLabelSchema>;
export type Scalar = z.infer<typeof scalarSchema>;
export type Frame = z.infer<typeof frameSchema>;
export type MediaType = z.infer<typeof mediaTypeSchema>;
export type Sample = z.infer<typeof sampleSchema>;
