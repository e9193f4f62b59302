import type { FieldSchema, LabelSchema } from '../../../../lib/schema/types.js';

const objectAttributes: FieldSchema['attributes'] = {
  occluded: { type: 'radio', values: [true, false] },
  note: { type: 'text' },
  color: { type: 'select', values: ['red', 'blue'] },
  parts: { type: 'checkbox', values: ['wheel', 'door'] },
};

const field = (type: FieldSchema['type'], extra: Partial<FieldSchema> = {}): FieldSchema => ({
  type,
  classes: ['car', 'person'],
  attributes: {},
  existingField: false,
  ...extra,
});

/** One field of every label type Labelbox supports, with every attribute type it supports. */
export const EVERY_TYPE: LabelSchema = {
  boxes: field('detections', { attributes: objectAttributes }),
  box: field('detection'),
  masks: field('instances', { attributes: { note: { type: 'text' } } }),
  mask: field('instance'),
  areas: field('polygons'),
  area: field('polygon'),
  lanes: field('polylines'),
  lane: field('polyline'),
  joints: field('keypoints'),
  joint: field('keypoint'),
  scene: field('segmentation', {
    classes: ['road', 'car'],
    maskTargets: { '0': 'background', '1': 'road', '2': 'car' },
  }),
  weather: field('classification', {
    classes: ['sunny', 'rainy'],
    attributes: { certainty: { type: 'radio', values: [1, 2, 3] } },
  }),
  topics: field('classifications', { classes: ['city', 'night'] }),
  caption: field('scalar', { classes: [] }),
  rating: field('scalar', { classes: ['good', 'bad'] }),
};
