import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../lib/errors/index.js';
import {
  type BackendCapabilities,
  CVAT_CAPABILITIES,
  LABEL_STUDIO_CAPABILITIES,
  LABELBOX_CAPABILITIES,
} from '../../../lib/schema/index.js';
import {
  build,
  classification,
  detection,
  detections,
  expectSchemaError,
  imageSample,
  VIDEO_DATASET,
  videoSample,
} from './fixtures.js';

const classes = ['car'];

describe('Function: buildLabelSchema', () => {
  describe('attribute inference (§3.6)', () => {
    const samples = [
      imageSample({
        ground_truth: detections(
          detection('car', { occluded: true, sex: null, confidence: 0.9, index: 1 }),
          detection('car', { group_id: 3, iscrowd: false, sex: 'f', score: 0.5 }),
          detection('car', { only_instances: 'x', mask: [[1]] }),
          detection('car', {
            never_set: null,
            attributes: { mood: { _cls: 'CategoricalAttribute', value: 'happy' } },
          }),
        ),
      }),
    ];

    it('picks each attribute’s tool from its first non-null value with CVAT’s rules', () => {
      const { labelSchema } = build({ labelSchema: { ground_truth: { classes } } }, { samples });
      expect(labelSchema.ground_truth?.attributes).toEqual({
        occluded: { type: 'occluded' },
        group_id: { type: 'group_id' },
        iscrowd: { type: 'checkbox', values: [true, false] },
        sex: { type: 'text', values: [] },
        score: { type: 'text', values: [] },
        mood: { type: 'text', values: [] },
      });
    });

    it('does not infer a legacy attribute named like a label’s own field, and says so', () => {
      const legacy = [
        imageSample({
          ground_truth: detections(
            detection('car', {
              attributes: {
                confidence: { _cls: 'NumericAttribute', value: 0.5 },
                mood: { _cls: 'CategoricalAttribute', value: 'happy' },
              },
            }),
          ),
        }),
      ];
      const { labelSchema, warnings } = build(
        { labelSchema: { ground_truth: { classes } } },
        { samples: legacy },
      );
      expect(Object.keys(labelSchema.ground_truth?.attributes ?? {})).toEqual(['mood']);
      expect(warnings).toContain(
        "Attribute 'confidence' of field 'ground_truth' has the name of a label's own field and was not inferred",
      );
    });

    it('lists inferred attributes in first-seen order', () => {
      const { labelSchema } = build({ labelSchema: { ground_truth: { classes } } }, { samples });
      expect(Object.keys(labelSchema.ground_truth?.attributes ?? {})).toEqual([
        'occluded',
        'group_id',
        'iscrowd',
        'sex',
        'score',
        'mood',
      ]);
    });

    it('infers only from labels of the annotated kind', () => {
      const { labelSchema } = build(
        { labelSchema: { ground_truth: { type: 'instances', classes } } },
        { samples },
      );
      expect(labelSchema.ground_truth?.attributes).toEqual({
        only_instances: { type: 'text', values: [] },
      });
    });

    it.each([
      ['a non-integer group_id', { group_id: 1.5 }, 'group_id', { type: 'text', values: [] }],
      ['a string occluded', { occluded: 'yes' }, 'occluded', { type: 'text', values: [] }],
      [
        'a boolean of any name',
        { truncated: true },
        'truncated',
        { type: 'checkbox', values: [true, false] },
      ],
    ])('recommends a tool for %s', (_name, attrs, name, spec) => {
      const { labelSchema } = build(
        { labelSchema: { weather: { classes } } },
        { samples: [imageSample({ weather: classification('car', attrs) })] },
      );
      expect(labelSchema.weather?.attributes).toEqual({ [name]: spec });
    });

    it('uses the first non-null value even when a null was seen first', () => {
      const { labelSchema } = build(
        { labelSchema: { weather: { classes } } },
        {
          samples: [
            imageSample({ weather: classification('car', { flag: null }) }),
            imageSample({ weather: classification('car', { flag: false }) }),
            imageSample({ weather: classification('car', { flag: 'text later' }) }),
          ],
        },
      );
      expect(labelSchema.weather?.attributes).toEqual({
        flag: { type: 'checkbox', values: [true, false] },
      });
    });

    it('uses Labelbox’s rules on Labelbox', () => {
      // Labelbox itself refuses existing fields; its inference rules are those of its capabilities.
      const { labelSchema } = build(
        { labelSchema: { ground_truth: { classes } } },
        {
          backend: { ...LABELBOX_CAPABILITIES, editsExistingLabels: true },
          samples: [
            imageSample({
              ground_truth: detections(detection('car', { iscrowd: true, sex: 'm' })),
            }),
          ],
        },
      );
      expect(labelSchema.ground_truth?.attributes).toEqual({
        iscrowd: { type: 'radio', values: [true, false] },
        sex: { type: 'text' },
      });
    });

    it('drops keyframe on trackable frame fields only', () => {
      const { labelSchema } = build(
        { labelSchema: ['frames.objects', 'frames.scene'], classes },
        {
          dataset: VIDEO_DATASET,
          samples: [
            videoSample([
              {
                objects: detections(detection('car', { keyframe: true, speed: 'fast' })),
                scene: classification('car', { keyframe: false }),
              },
            ]),
          ],
        },
      );
      expect(labelSchema['frames.objects']?.attributes).toEqual({
        speed: { type: 'text', values: [] },
      });
      expect(labelSchema['frames.scene']?.attributes).toEqual({
        keyframe: { type: 'checkbox', values: [true, false] },
      });
    });

    it.each([
      ['true on a new field', { fresh: { type: 'detections', classes, attributes: true } }],
      ['false on an existing field', { ground_truth: { classes, attributes: false } }],
      ['null on an existing field', { ground_truth: { classes, attributes: null } }],
    ])('builds no attributes for %s', (_name, schema) => {
      const { labelSchema } = build({ labelSchema: schema }, { samples });
      expect(Object.values(labelSchema)[0]?.attributes).toEqual({});
    });

    it('builds no attributes for scalar fields', () => {
      const { labelSchema } = build({ labelSchema: { count: { attributes: ['a'] } } });
      expect(labelSchema.count?.attributes).toEqual({});
    });
  });

  describe('backends without attributes (§3.6)', () => {
    it('warns and ignores truthy attributes on Label Studio', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: { ground_truth: { classes, attributes: { bad: { type: 'nope' } } } } },
        { backend: LABEL_STUDIO_CAPABILITIES },
      );
      expect(labelSchema.ground_truth?.attributes).toEqual({});
      expect(
        warnings.filter((warning) => warning.includes('does not support attributes')),
      ).toHaveLength(1);
    });

    it('warns for the default attributes on Label Studio', () => {
      const { warnings } = build(
        { labelSchema: { fresh: { type: 'detections', classes } } },
        { backend: LABEL_STUDIO_CAPABILITIES },
      );
      expect(warnings).toEqual([
        "The 'labelstudio' backend does not support attributes; the attributes of field 'fresh' will be ignored",
      ]);
    });

    it('does not warn when attributes are off on Label Studio', () => {
      const { warnings } = build(
        { labelSchema: { fresh: { type: 'detections', classes } }, attributes: false },
        { backend: LABEL_STUDIO_CAPABILITIES },
      );
      expect(warnings).toEqual([]);
    });
  });

  describe('attribute normalization (§3.6)', () => {
    it.each([
      ['a name', 'mood', { mood: { type: 'text', values: [] } }],
      [
        'a list of names',
        ['a', 'b'],
        { a: { type: 'text', values: [] }, b: { type: 'text', values: [] } },
      ],
      ['a null spec', { mood: null }, { mood: { type: 'text', values: [] } }],
      ['an empty spec', { mood: {} }, { mood: { type: 'text', values: [] } }],
      [
        'a full spec, dropping unknown keys and null flags',
        {
          mood: {
            type: 'select',
            values: ['a', 'b'],
            default: 'a',
            mutable: false,
            readOnly: true,
            extra: 1,
          },
          size: { type: 'text', mutable: null, readOnly: null, default: null },
        },
        {
          mood: {
            type: 'select',
            values: ['a', 'b'],
            default: 'a',
            mutable: false,
            readOnly: true,
          },
          size: { type: 'text' },
        },
      ],
      [
        'a default without values',
        { n: { type: 'text', default: 'x' } },
        { n: { type: 'text', default: 'x' } },
      ],
    ])('normalizes %s', (_name, attributes, expected) => {
      const { labelSchema } = build({
        labelSchema: { fresh: { type: 'detections', classes, attributes } },
      } as never);
      expect(labelSchema.fresh?.attributes).toEqual(expected);
    });
  });

  describe('attribute validation (§3.6), in order', () => {
    const cases: Array<{
      name: string;
      attributes: unknown;
      backend?: BackendCapabilities;
      code: ErrorCode;
      fragment: string;
    }> = [
      {
        name: 'a spec without a type',
        attributes: { mood: { values: ['a'] } },
        code: 'ATTRIBUTE_TYPE_REQUIRED',
        fragment: "Attribute definition {'values': ['a']} is missing a `type` key",
      },
      {
        name: 'a type the backend does not support',
        attributes: { mood: { type: 'slider' } },
        code: 'UNSUPPORTED_ATTRIBUTE_TYPE',
        fragment:
          "Attribute 'mood' has unsupported type 'slider'. The 'cvat' backend supports types ['text', 'select', 'radio', 'checkbox', 'occluded', 'group_id']",
      },
      {
        name: 'an unsupported type before missing values',
        attributes: { mood: { type: 'dropdown', default: 'x' } },
        code: 'UNSUPPORTED_ATTRIBUTE_TYPE',
        fragment: 'has unsupported type',
      },
      {
        name: 'a select without values',
        attributes: { mood: { type: 'select', default: 'x' } },
        code: 'ATTRIBUTE_VALUES_REQUIRED',
        fragment: "Attribute 'mood' of type 'select' requires a list of values",
      },
      {
        name: 'a Labelbox checkbox without values',
        attributes: { mood: { type: 'checkbox' } },
        backend: LABELBOX_CAPABILITIES,
        code: 'ATTRIBUTE_VALUES_REQUIRED',
        fragment: "Attribute 'mood' of type 'checkbox' requires a list of values",
      },
      {
        name: 'a default outside the values',
        attributes: { mood: { type: 'select', values: ['a', 'b'], default: 'c' } },
        code: 'ATTRIBUTE_DEFAULT_NOT_IN_VALUES',
        fragment:
          "Default value 'c' for attribute 'mood' does not appear in the list of values ['a', 'b']",
      },
      {
        name: 'the first failing attribute',
        attributes: { a: { type: 'select' }, b: {}, c: { type: 'nope' } },
        code: 'ATTRIBUTE_VALUES_REQUIRED',
        fragment: "Attribute 'a'",
      },
    ];

    it.each(cases)('rejects $name', ({ attributes, backend, code, fragment }) => {
      expectSchemaError(
        () =>
          build({ labelSchema: { fresh: { type: 'detections', classes, attributes } } } as never, {
            backend: backend ?? CVAT_CAPABILITIES,
          }),
        code,
        fragment,
      );
    });

    it.each([
      {
        name: 'values',
        attributes: { m: { type: 'radio' } },
        code: 'ATTRIBUTE_VALUES_REQUIRED' as const,
        fragment: "Attribute 'm' of type 'radio' requires a list of values",
      },
      {
        name: 'names',
        attributes: ['confidence'],
        code: 'ATTRIBUTE_NAME_RESERVED' as const,
        fragment: "Attribute 'confidence' of field 'fresh' has the name of a label's own field",
      },
    ])(
      'validates a class group’s attribute $name the same way',
      ({ attributes, code, fragment }) => {
        expectSchemaError(
          () =>
            build({
              labelSchema: {
                fresh: { type: 'detections', classes: [{ classes: 'car', attributes }] },
              },
            }),
          code,
          fragment,
        );
      },
    );

    it.each(['confidence', 'label', 'bounding_box', 'tags', 'index', 'id'])(
      'rejects an attribute named like a label’s own field: %s',
      (name) => {
        expectSchemaError(
          () =>
            build({
              labelSchema: {
                fresh: { type: 'detections', classes, attributes: { [name]: { type: 'text' } } },
              },
            }),
          'ATTRIBUTE_NAME_RESERVED',
          `Attribute '${name}' of field 'fresh' has the name of a label's own field`,
        );
      },
    );

    it('accepts names that only resemble a label’s own field', () => {
      const { labelSchema } = build({
        labelSchema: {
          fresh: {
            type: 'detections',
            classes,
            attributes: { Confidence: { type: 'text' }, label_source: { type: 'text' } },
          },
        },
      });
      expect(Object.keys(labelSchema.fresh?.attributes ?? {})).toEqual([
        'Confidence',
        'label_source',
      ]);
    });

    it('checks classes before attributes', () => {
      expectSchemaError(
        () =>
          build({
            labelSchema: {
              fresh: { type: 'detections', attributes: { m: {} as never, n: { type: 'x' } } },
            },
          }),
        'CLASSES_REQUIRED',
        'class list',
      );
    });
  });
});
