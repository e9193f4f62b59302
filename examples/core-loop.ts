/**
 * The annotation loop on the pure core, in one process: build a label schema, choose what to
 * upload, pretend to be an annotator, and merge the result back under the run's rules.
 * Run it with `npm run example:core`.
 */
import {
  buildLabelSchema,
  FILES_CAPABILITIES,
  mergeAnnotations,
  prepareUpload,
  type Sample,
  validateAnnoKey,
} from '../lib/index.js';

const dataset = { mediaType: 'image', sampleFields: { ground_truth: 'Detections' } };
const samples: Sample[] = [
  {
    id: 's1',
    filepath: 's3://media/street.jpg',
    ground_truth: {
      _cls: 'Detections',
      detections: [
        {
          _cls: 'Detection',
          id: '64b000000000000000000001',
          label: 'car',
          bounding_box: [0.1, 0.1, 0.4, 0.5],
          occluded: false,
        },
        {
          _cls: 'Detection',
          id: '64b000000000000000000002',
          label: 'person',
          bounding_box: [0.6, 0.2, 0.1, 0.3],
          occluded: false,
        },
      ],
    },
  },
];

validateAnnoKey('review_1');
const { labelSchema, warnings } = buildLabelSchema(
  { labelField: 'ground_truth', allowSpatialEdits: false },
  { dataset, samples, backend: FILES_CAPABILITIES },
);
console.log('label schema:', JSON.stringify(labelSchema, null, 2));
for (const warning of warnings) console.log('warning:', warning);

const { idMap } = prepareUpload({ dataset, samples, labelSchema });

// The annotator relabels the car as a truck (and nudges its box), deletes the person,
// and draws a bicycle.
const annotations = {
  ground_truth: {
    detections: {
      s1: {
        '64b000000000000000000001': {
          _cls: 'Detection',
          label: 'truck',
          bounding_box: [0.12, 0.1, 0.4, 0.5],
          occluded: true,
        },
        '64b0000000000000000000ff': {
          _cls: 'Detection',
          label: 'bicycle',
          bounding_box: [0.7, 0.6, 0.2, 0.2],
        },
      },
    },
  },
};

const result = mergeAnnotations({ dataset, samples, labelSchema, idMap, annotations });
console.log('merged sample:', JSON.stringify(result.samples[0], null, 2));
console.log('report:', JSON.stringify(result.report.fields, null, 2));
console.log('refused:', JSON.stringify(result.report.refused, null, 2));
