import { expect } from 'vitest';
import { type ErrorCode, LabelSchemaError } from '../../../lib/errors/index.js';
import type { Sample } from '../../../lib/labels/schemas.js';
import {
  type AnnotateOptions,
  type BackendCapabilities,
  type BuiltLabelSchema,
  buildLabelSchema,
  CVAT_CAPABILITIES,
  type DatasetSchema,
} from '../../../lib/schema/index.js';

/** A deterministic 24-hex ObjectId for test data. */
export function oid(n: number): string {
  return n.toString(16).padStart(24, '0');
}

let nextId = 1;
/** A fresh, unique ObjectId. */
export function freshId(): string {
  nextId += 1;
  return oid(0x100000 + nextId);
}

type Extra = Record<string, unknown>;

export function detection(label: string | null, extra: Extra = {}): Extra {
  return { _cls: 'Detection', id: freshId(), label, bounding_box: [0.1, 0.1, 0.2, 0.2], ...extra };
}

export function polyline(label: string, filled: boolean | undefined, extra: Extra = {}): Extra {
  const base: Extra = {
    _cls: 'Polyline',
    id: freshId(),
    label,
    points: [
      [
        [0, 0],
        [1, 1],
        [0, 1],
      ],
    ],
  };
  if (filled !== undefined) base.filled = filled;
  return { ...base, ...extra };
}

export function classification(label: string, extra: Extra = {}): Extra {
  return { _cls: 'Classification', id: freshId(), label, ...extra };
}

export function keypoint(label: string, extra: Extra = {}): Extra {
  return { _cls: 'Keypoint', id: freshId(), label, points: [[0.5, 0.5]], ...extra };
}

export function detections(...items: Extra[]): Extra {
  return { _cls: 'Detections', detections: items };
}

export function polylines(...items: Extra[]): Extra {
  return { _cls: 'Polylines', polylines: items };
}

export function keypoints(...items: Extra[]): Extra {
  return { _cls: 'Keypoints', keypoints: items };
}

export function classifications(...items: Extra[]): Extra {
  return { _cls: 'Classifications', classifications: items };
}

export function segmentation(): Extra {
  return {
    _cls: 'Segmentation',
    id: freshId(),
    mask: [
      [0, 1],
      [1, 0],
    ],
  };
}

let nextSample = 1;
export function imageSample(fields: Extra = {}): Sample {
  nextSample += 1;
  return {
    id: oid(0x900000 + nextSample),
    filepath: `/data/${nextSample}.jpg`,
    media_type: 'image',
    ...fields,
  };
}

/** A video sample whose frames (1-based) hold the given frame fields. */
export function videoSample(frames: Extra[], fields: Extra = {}): Sample {
  nextSample += 1;
  const sampleId = oid(0x900000 + nextSample);
  return {
    id: sampleId,
    filepath: `/data/${nextSample}.mp4`,
    media_type: 'video',
    frames: Object.fromEntries(
      frames.map((frame, index) => [String(index + 1), { id: freshId(), ...frame }]),
    ),
    ...fields,
  };
}

export const IMAGE_DATASET: DatasetSchema = {
  mediaType: 'image',
  sampleFields: {
    filepath: 'StringField',
    ground_truth: 'Detections',
    best: 'Detection',
    shapes: 'Polylines',
    shape: 'Polyline',
    weather: 'Classification',
    topics: 'Classifications',
    pose: 'Keypoints',
    point: 'Keypoint',
    seg: 'Segmentation',
    count: 'IntField',
    score: 'FloatField',
    caption: 'StringField',
    reviewed: 'BooleanField',
    keywords: 'ListField(StringField)',
    created_at: 'DateTimeField',
    info: 'DictField',
    ref: 'ObjectIdField',
    depth: 'Regression',
    events: 'TemporalDetection',
    heat: 'Heatmap',
    where: 'GeoLocation',
    wrapped: 'EmbeddedDocumentField(Classification)',
  },
};

export const VIDEO_DATASET: DatasetSchema = {
  mediaType: 'video',
  sampleFields: { filepath: 'StringField', clip_label: 'Classification', rating: 'IntField' },
  frameFields: {
    objects: 'Detections',
    lanes: 'Polylines',
    joints: 'Keypoints',
    scene: 'Classification',
    mask: 'Segmentation',
    speed: 'FloatField',
  },
};

/** Builds with CVAT and a non-empty collection unless told otherwise. */
export function build(
  options: AnnotateOptions,
  {
    dataset = IMAGE_DATASET,
    samples = [imageSample()],
    backend = CVAT_CAPABILITIES,
  }: { dataset?: DatasetSchema; samples?: Iterable<Sample>; backend?: BackendCapabilities } = {},
): BuiltLabelSchema {
  return buildLabelSchema(options, { dataset, samples, backend });
}

/** Asserts that `run` throws a LabelSchemaError with this code and message fragment. */
export function expectSchemaError(run: () => unknown, code: ErrorCode, fragment: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(LabelSchemaError);
  expect((caught as LabelSchemaError).code).toBe(code);
  expect((caught as LabelSchemaError).message).toContain(fragment);
}
