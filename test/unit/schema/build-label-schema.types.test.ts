import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../lib/errors/index.js';
import {
  type BackendCapabilities,
  CVAT_CAPABILITIES,
  FILES_CAPABILITIES,
  LABEL_STUDIO_CAPABILITIES,
  LABELBOX_CAPABILITIES,
} from '../../../lib/schema/index.js';
import { build, expectSchemaError, VIDEO_DATASET } from './fixtures.js';

// Classes are given so that these tests exercise only type resolution.
const classes = ['a'];

describe('Function: buildLabelSchema', () => {
  describe('type resolution of existing fields (§3.2)', () => {
    it.each([
      ['ground_truth', 'detections'],
      ['best', 'detection'],
      ['shapes', 'polygons'],
      ['shape', 'polygon'],
      ['weather', 'classification'],
      ['topics', 'classifications'],
      ['pose', 'keypoints'],
      ['point', 'keypoint'],
      ['seg', 'segmentation'],
      ['count', 'scalar'],
      ['score', 'scalar'],
      ['caption', 'scalar'],
      ['reviewed', 'scalar'],
      ['wrapped', 'classification'],
    ])('resolves %s without a type to %s', (field, type) => {
      const { labelSchema } = build({ labelSchema: { [field]: {} }, classes });
      expect(labelSchema[field]).toMatchObject({ type, existingField: true });
    });

    it.each([
      ['ground_truth', 'instances'],
      ['ground_truth', 'detections'],
      ['best', 'instance'],
      ['shapes', 'polylines'],
      ['shape', 'polyline'],
      ['weather', 'classification'],
      ['count', 'scalar'],
    ])('accepts %s with the explicit type %s it can hold', (field, type) => {
      const { labelSchema, warnings } = build({ labelSchema: { [field]: { type } }, classes });
      expect(labelSchema[field]?.type).toBe(type);
      expect(warnings).toEqual([]);
    });

    it('takes frame field types from the frame schema', () => {
      const { labelSchema } = build(
        { labelSchema: { 'frames.objects': {}, 'frames.scene': {} }, classes },
        { dataset: VIDEO_DATASET },
      );
      expect(labelSchema['frames.objects']).toMatchObject({
        type: 'detections',
        existingField: true,
      });
      expect(labelSchema['frames.scene']).toMatchObject({
        type: 'classification',
        existingField: true,
      });
    });

    it('treats a frames. name missing from the frame schema as a new field', () => {
      const { labelSchema } = build(
        { labelSchema: { 'frames.clip_label': { type: 'detections' } }, classes },
        { dataset: VIDEO_DATASET },
      );
      expect(labelSchema['frames.clip_label']?.existingField).toBe(false);
    });

    it('accepts any label type string for a new field that the backend supports', () => {
      const { labelSchema } = build({ labelSchema: { fresh: { type: 'instances' } }, classes });
      expect(labelSchema.fresh).toEqual({
        type: 'instances',
        classes: ['a'],
        attributes: {},
        existingField: false,
      });
    });
  });

  describe('multi-type narrowing (§3.2)', () => {
    it.each([
      ['ground_truth', "['detections', 'instances']", 'detections'],
      ['best', "['detection', 'instance']", 'detection'],
      ['shapes', "['polygons', 'polylines']", 'polygons'],
      ['shape', "['polygon', 'polyline']", 'polygon'],
    ])('defaults %s to boxes or filled polygons with a warning', (field, types, chosen) => {
      const { warnings } = build({ labelSchema: [field], classes });
      expect(warnings).toEqual([
        `Found existing field '${field}' with multiple types ${types}. Only the '${chosen}' will be annotated`,
      ]);
    });

    it('does not warn for a class that holds a single kind', () => {
      expect(build({ labelSchema: ['weather', 'pose', 'seg'], classes }).warnings).toEqual([]);
    });
  });

  describe('type errors (§3.2, §3.3)', () => {
    const cases: Array<{
      name: string;
      schema: Record<string, Record<string, unknown>>;
      backend?: BackendCapabilities;
      code: ErrorCode;
      fragment: string;
    }> = [
      {
        name: 'a new field without a type',
        schema: { nope: {} },
        code: 'SCHEMA_TYPE_REQUIRED',
        fragment: "You must specify a type for new label field 'nope'",
      },
      ...[
        ['keywords', 'ListField(StringField)'],
        ['created_at', 'DateTimeField'],
        ['info', 'DictField'],
        ['ref', 'ObjectIdField'],
      ].map(([field, type]) => ({
        name: `an existing ${type} field`,
        schema: { [field as string]: {} },
        code: 'UNSUPPORTED_SCALAR_TYPE' as const,
        fragment: `Field '${field}' has unsupported scalar type ${type}. The 'cvat' backend supports ['IntField', 'FloatField', 'StringField', 'BooleanField']`,
      })),
      {
        name: 'any existing primitive field on Label Studio',
        schema: { count: {} },
        backend: LABEL_STUDIO_CAPABILITIES,
        code: 'UNSUPPORTED_SCALAR_TYPE',
        fragment:
          "Field 'count' has unsupported scalar type IntField. The 'labelstudio' backend supports []",
      },
      ...[
        ['depth', 'Regression'],
        ['events', 'TemporalDetection'],
        ['heat', 'Heatmap'],
        ['where', 'GeoLocation'],
      ].map(([field, type]) => ({
        name: `an existing ${type} field`,
        schema: { [field as string]: {} },
        code: 'UNSUPPORTED_FIELD_TYPE' as const,
        fragment: `Field '${field}' has unsupported type ${type}`,
      })),
      {
        name: 'a type of the other container size',
        schema: { ground_truth: { type: 'detection' } },
        code: 'LABEL_TYPE_MISMATCH',
        fragment:
          "Manually reported label type 'detection' for existing field 'ground_truth' does not match its actual type '['detections', 'instances']'",
      },
      {
        name: 'a type of another class on a single-type field',
        schema: { weather: { type: 'classifications' } },
        code: 'LABEL_TYPE_MISMATCH',
        fragment: "does not match its actual type 'classification'",
      },
      {
        name: 'a label type on a scalar field',
        schema: { count: { type: 'classification' } },
        code: 'LABEL_TYPE_MISMATCH',
        fragment: "does not match its actual type 'scalar'",
      },
      {
        name: 'a mismatch before backend support',
        schema: { topics: { type: 'classification' } },
        backend: LABEL_STUDIO_CAPABILITIES,
        code: 'LABEL_TYPE_MISMATCH',
        fragment: 'Manually reported label type',
      },
      {
        name: 'an unknown type string',
        schema: { fresh: { type: 'boxes' } },
        code: 'UNSUPPORTED_LABEL_TYPE',
        fragment: "Field 'fresh' has unsupported label type 'boxes'. The 'cvat' backend supports [",
      },
      {
        name: 'an unknown type before missing classes',
        schema: { fresh: { type: 'boxes', classes: [] } },
        code: 'UNSUPPORTED_LABEL_TYPE',
        fragment: 'has unsupported label type',
      },
      {
        name: 'an existing Classifications field on Label Studio',
        schema: { topics: {} },
        backend: LABEL_STUDIO_CAPABILITIES,
        code: 'UNSUPPORTED_LABEL_TYPE',
        fragment:
          "Field 'topics' has unsupported label type 'classifications'. The 'labelstudio' backend supports",
      },
      {
        name: 'a new classifications field on Label Studio',
        schema: { fresh: { type: 'classifications', classes } },
        backend: LABEL_STUDIO_CAPABILITIES,
        code: 'UNSUPPORTED_LABEL_TYPE',
        fragment: "unsupported label type 'classifications'",
      },
    ];

    it.each(cases)('rejects $name', ({ schema, backend, code, fragment }) => {
      expectSchemaError(
        () => build({ labelSchema: schema }, { backend: backend ?? CVAT_CAPABILITIES }),
        code,
        fragment,
      );
    });
  });

  describe('video placement (§3.4)', () => {
    it.each([
      'detections',
      'instances',
      'polygons',
      'polylines',
      'keypoints',
      'segmentation',
      'detection',
    ])('rejects a sample-level %s field on a video, on every backend', (type) => {
      for (const backend of [CVAT_CAPABILITIES, FILES_CAPABILITIES]) {
        expectSchemaError(
          () =>
            build(
              { labelSchema: { fresh: { type, classes, maskTargets: { '1': 'a' } } } },
              { dataset: VIDEO_DATASET, backend },
            ),
          'VIDEO_SPATIAL_FIELD_NOT_FRAME_LEVEL',
          `Invalid label field 'fresh'. Spatial labels of type '${type}' being annotated on a video must be stored in a frame-level field`,
        );
      }
    });

    it.each([
      ['cvat', CVAT_CAPABILITIES, 'clip_label'],
      ['cvat', CVAT_CAPABILITIES, 'rating'],
      ['labelbox', LABELBOX_CAPABILITIES, 'clip_label'],
    ])('rejects sample-level video field %s on %s', (name, backend, field) => {
      expectSchemaError(
        () => build({ labelSchema: [field], classes }, { dataset: VIDEO_DATASET, backend }),
        'VIDEO_SAMPLE_FIELD_UNSUPPORTED',
        `Invalid label field '${field}'. Backend '${name}' does not support annotating video fields at a sample-level`,
      );
    });

    it('allows sample-level non-spatial video fields on a backend that supports them', () => {
      const { labelSchema } = build(
        { labelSchema: ['clip_label', 'rating'], classes },
        { dataset: VIDEO_DATASET, backend: FILES_CAPABILITIES },
      );
      expect(labelSchema.clip_label?.type).toBe('classification');
      expect(labelSchema.rating?.type).toBe('scalar');
    });

    it('allows frame-level fields of every kind', () => {
      const { labelSchema } = build(
        {
          labelSchema: {
            'frames.objects': {},
            'frames.lanes': {},
            'frames.joints': {},
            'frames.mask': {},
            'frames.speed': {},
          },
          classes,
        },
        { dataset: VIDEO_DATASET },
      );
      expect(Object.values(labelSchema).map((field) => field.type)).toEqual([
        'detections',
        'polygons',
        'keypoints',
        'segmentation',
        'scalar',
      ]);
    });
  });
});
