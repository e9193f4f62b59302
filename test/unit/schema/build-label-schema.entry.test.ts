import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors/index.js';
import type { Sample } from '../../../lib/labels/schemas.js';
import {
  FILES_CAPABILITIES,
  LABEL_STUDIO_CAPABILITIES,
  LABELBOX_CAPABILITIES,
  labelSchemaSchema,
} from '../../../lib/schema/index.js';
import type { DatasetSchema } from '../../../lib/schema/types.js';
import {
  build,
  detection,
  detections,
  expectSchemaError,
  IMAGE_DATASET,
  imageSample,
  VIDEO_DATASET,
} from './fixtures.js';

const NEW_DETECTIONS = { type: 'detections', classes: ['car'] };

describe('Function: buildLabelSchema', () => {
  describe('collection checks (§2.1 steps 3 and 5)', () => {
    it('rejects an empty collection before anything else', () => {
      expectSchemaError(
        () => build({ labelField: 'new', labelType: 'boxes' }, { samples: [] }),
        'EMPTY_COLLECTION',
        'is empty; there is nothing to annotate',
      );
    });

    it('rejects a media type the backend does not support, naming backend and media', () => {
      expectSchemaError(
        () =>
          build(
            { labelField: 'frames.new', labelType: 'detections', classes: ['a'] },
            { dataset: VIDEO_DATASET, backend: LABEL_STUDIO_CAPABILITIES },
          ),
        'UNSUPPORTED_MEDIA_TYPE',
        "The 'labelstudio' backend does not support annotating 'video' collections",
      );
    });

    it('checks the media type before the label schema', () => {
      expectSchemaError(
        () => build({}, { dataset: VIDEO_DATASET, backend: LABEL_STUDIO_CAPABILITIES }),
        'UNSUPPORTED_MEDIA_TYPE',
        'backend does not support annotating',
      );
    });

    it.each([
      [
        'a labelField',
        { labelField: '__proto__', labelType: 'detections', classes: ['car'] },
        'labelField',
      ],
      ['a list-form labelSchema entry', { labelSchema: ['gt', '__proto__'] }, 'labelSchema[1]'],
      [
        'a labelSchema field',
        '{"labelSchema":{"PROTO":{"type":"detections","classes":["car"]}}}',
        'labelSchema.__proto__',
      ],
      [
        'an attribute',
        '{"labelField":"new","labelType":"detections","classes":["car"],"attributes":{"PROTO":{"type":"text"}}}',
        'attributes.__proto__',
      ],
    ])('refuses %s named `__proto__` as INVALID_INPUT, naming where', (_name, options, path) => {
      const given =
        typeof options === 'string'
          ? JSON.parse(options.replaceAll('"PROTO"', '"__proto__"'))
          : options;
      expect(() => build(given as never)).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          message: `Invalid annotate options at '${path}': '__proto__' cannot name a field, attribute or other key`,
        }),
      );
    });

    it('refuses a dataset field named `__proto__` as INVALID_INPUT, naming where', () => {
      const dataset = JSON.parse(
        JSON.stringify(IMAGE_DATASET).replace(
          '"sampleFields":{',
          '"sampleFields":{"__proto__":"StringField",',
        ),
      ) as DatasetSchema;
      expect(() =>
        build({ labelField: 'new', labelType: 'detections', classes: ['car'] }, { dataset }),
      ).toThrow(
        expect.objectContaining({
          code: 'INVALID_INPUT',
          message:
            "Invalid dataset schema at 'sampleFields.__proto__': '__proto__' cannot name a field, attribute or other key",
        }),
      );
    });

    it('reports malformed options as INVALID_INPUT', () => {
      expect(() => build({ labelField: 5 } as never)).toThrow(InvalidInputError);
    });
  });

  describe('entry forms (§3.1)', () => {
    it.each([
      ['Label Studio', LABEL_STUDIO_CAPABILITIES],
      ['Labelbox', LABELBOX_CAPABILITIES],
      ['files', FILES_CAPABILITIES],
    ])('requires a schema or field on %s', (_name, backend) => {
      expectSchemaError(
        () => build({}, { backend }),
        'LABEL_SCHEMA_REQUIRED',
        'Either `label_schema` or `label_field` is required',
      );
    });

    it('makes a schemaless CVAT run an empty schema with a warning', () => {
      const { labelSchema, warnings } = build({ classes: ['ignored'] });
      expect(labelSchema).toEqual({});
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('schemaless');
    });

    it('marks a schemaless CVAT run as schemaless, and a run with a label field as not', () => {
      expect(build({ classes: ['ignored'] }).schemaless).toBe(true);
      expect(
        build({ labelField: 'gt', labelType: 'detections', classes: ['a'] }).schemaless,
      ).toBeUndefined();
    });

    it('treats an empty label schema as not given', () => {
      expectSchemaError(
        () => build({ labelSchema: {} }, { backend: LABEL_STUDIO_CAPABILITIES }),
        'LABEL_SCHEMA_REQUIRED',
        'is required',
      );
      expect(
        build({ labelSchema: [], labelField: 'new', labelType: 'detections', classes: ['car'] })
          .labelSchema,
      ).toHaveProperty('new');
    });

    it('synthesizes a one-field schema from labelField and the top-level arguments', () => {
      const { labelSchema } = build({
        labelField: 'ground_truth',
        labelType: 'detections',
        classes: ['car', 'person'],
        attributes: ['occluded'],
        allowAdditions: false,
        allowDeletions: false,
        allowLabelEdits: false,
        allowIndexEdits: false,
        allowSpatialEdits: false,
      });
      expect(labelSchema).toEqual({
        ground_truth: {
          type: 'detections',
          classes: ['car', 'person'],
          attributes: { occluded: { type: 'text', values: [] } },
          existingField: true,
          allowAdditions: false,
          allowDeletions: false,
          allowLabelEdits: false,
          allowSpatialEdits: false,
        },
      });
    });

    it('copies mask targets into the one-field schema', () => {
      const { labelSchema } = build({
        labelField: 'new_seg',
        labelType: 'segmentation',
        maskTargets: { '0': 'bg', '1': 'road' },
      });
      expect(labelSchema.new_seg?.maskTargets).toEqual({ '0': 'bg', '1': 'road' });
    });

    it('lets labelSchema win over labelField', () => {
      const { labelSchema } = build({
        labelSchema: { other: NEW_DETECTIONS },
        labelField: 'ignored',
      });
      expect(Object.keys(labelSchema)).toEqual(['other']);
    });

    it('reads a list of names as fields with empty specs', () => {
      const { labelSchema } = build({ labelSchema: ['weather', 'count'], classes: ['x'] });
      expect(labelSchema.weather).toMatchObject({ type: 'classification', existingField: true });
      expect(labelSchema.count).toMatchObject({ type: 'scalar', classes: ['x'] });
    });

    it('reads a null field spec as an empty one', () => {
      const { labelSchema } = build({ labelSchema: { weather: null } });
      expect(labelSchema.weather?.type).toBe('classification');
    });

    it('keeps the schema order of fields', () => {
      const { labelSchema } = build({
        labelSchema: { zeta: NEW_DETECTIONS, alpha: NEW_DETECTIONS, mid: NEW_DETECTIONS },
      });
      expect(Object.keys(labelSchema)).toEqual(['zeta', 'alpha', 'mid']);
    });

    it('applies top-level arguments as defaults to fields that do not set their own key', () => {
      const { labelSchema } = build({
        labelSchema: {
          a: {},
          b: { type: 'classification', classes: ['own'], attributes: false, allowDeletions: true },
        },
        labelType: 'detections',
        classes: ['shared'],
        attributes: { size: { type: 'select', values: ['s', 'l'] } },
        allowDeletions: false,
      });
      expect(labelSchema.a).toEqual({
        type: 'detections',
        classes: ['shared'],
        attributes: { size: { type: 'select', values: ['s', 'l'] } },
        existingField: false,
      });
      expect(labelSchema.b).toEqual({
        type: 'classification',
        classes: ['own'],
        attributes: {},
        existingField: false,
      });
    });

    it('lets a field-level flag override the top-level one', () => {
      const { labelSchema } = build({
        labelSchema: { weather: { allowDeletions: true }, topics: {} },
        allowDeletions: false,
      });
      expect(labelSchema.weather?.allowDeletions).toBe(true);
      expect(labelSchema.topics?.allowDeletions).toBe(false);
    });

    it('produces a schema that passes labelSchemaSchema', () => {
      const { labelSchema } = build(
        {
          labelSchema: {
            ground_truth: {},
            seg: {},
            count: {},
            weather: { classes: [{ classes: 'sunny', attributes: ['temp'] }, 'rain'] },
          },
        },
        { samples: [imageSample({ ground_truth: detections(detection('car', { iscrowd: 0 })) })] },
      );
      expect(labelSchemaSchema.safeParse(labelSchema).success).toBe(true);
    });
  });

  describe('FiftyOne snake_case spellings', () => {
    it('accepts top-level snake_case keys', () => {
      const { labelSchema } = build({
        label_field: 'new_seg',
        label_type: 'segmentation',
        mask_targets: { '1': 'road' },
      } as never);
      expect(labelSchema.new_seg).toMatchObject({
        type: 'segmentation',
        maskTargets: { '1': 'road' },
      });
    });

    it('accepts label_schema and snake_case keys inside field and attribute specs', () => {
      const { labelSchema } = build({
        label_schema: {
          weather: {
            allow_additions: false,
            allow_label_edits: false,
            attributes: { mood: { type: 'text', read_only: true } },
          },
        },
        allow_deletions: false,
      } as never);
      expect(labelSchema.weather).toEqual({
        type: 'classification',
        classes: [],
        attributes: { mood: { type: 'text', readOnly: true } },
        existingField: true,
        allowAdditions: false,
        allowDeletions: false,
        allowLabelEdits: false,
      });
    });

    it('lets the camelCase key win when both spellings are given', () => {
      const { labelSchema } = build({
        labelField: 'camel',
        label_field: 'snake',
        labelType: 'classification',
        classes: ['a'],
      } as never);
      expect(Object.keys(labelSchema)).toEqual(['camel']);
    });

    it('does not mutate the options it is given', () => {
      const options = {
        label_schema: { weather: { attributes: { mood: { type: 'text', read_only: true } } } },
      };
      const snapshot = structuredClone(options);
      build(options as never);
      expect(options).toEqual(snapshot);
    });
  });

  describe('reading the samples', () => {
    function oneShot(samples: Sample[]): { iterable: Iterable<Sample>; reads: () => number } {
      let reads = 0;
      let opened = 0;
      return {
        iterable: {
          *[Symbol.iterator]() {
            opened += 1;
            if (opened > 1) throw new Error('read twice');
            for (const sample of samples) {
              reads += 1;
              yield sample;
            }
          },
        },
        reads: () => reads,
      };
    }

    it('reads only the first sample when no field needs the samples', () => {
      const source = oneShot([imageSample(), imageSample(), imageSample()]);
      build(
        { labelField: 'new', labelType: 'detections', classes: ['car'] },
        { samples: source.iterable },
      );
      expect(source.reads()).toBe(1);
    });

    it('reads a lazy collection once for every field that needs it', () => {
      const source = oneShot([
        imageSample({
          ground_truth: detections(detection('car')),
          weather: { _cls: 'Classification', id: '0'.repeat(24), label: 'sun' },
        }),
        imageSample({ ground_truth: detections(detection('bus')) }),
      ]);
      const { labelSchema } = build(
        { labelSchema: ['ground_truth', 'weather'] },
        { samples: source.iterable },
      );
      expect(source.reads()).toBe(2);
      expect(labelSchema.ground_truth?.classes).toEqual(['bus', 'car']);
      expect(labelSchema.weather?.classes).toEqual(['sun']);
    });
  });

  describe('error order across fields', () => {
    it('throws an earlier field’s late-stage error before a later field’s type error', () => {
      expectSchemaError(
        () =>
          build({
            labelSchema: {
              first: { type: 'detections' },
              second: {},
            },
          }),
        'CLASSES_REQUIRED',
        "new label field 'first'",
      );
    });

    it('throws a later field’s type error when the earlier fields are valid', () => {
      expectSchemaError(
        () => build({ labelSchema: { ground_truth: {}, second: {} } }),
        'SCHEMA_TYPE_REQUIRED',
        "new label field 'second'",
      );
    });
  });
});
