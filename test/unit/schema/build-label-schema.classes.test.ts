import { describe, expect, it } from 'vitest';
import { LABEL_STUDIO_CAPABILITIES } from '../../../lib/schema/index.js';
import {
  build,
  classification,
  detection,
  detections,
  expectSchemaError,
  IMAGE_DATASET,
  imageSample,
  VIDEO_DATASET,
  videoSample,
} from './fixtures.js';

describe('Function: buildLabelSchema', () => {
  describe('classes (§3.5)', () => {
    const samples = [
      imageSample({
        ground_truth: detections(
          detection('person'),
          detection('car', { mask: [[1]] }),
          detection(null),
        ),
        weather: classification('sunny'),
      }),
      imageSample({ ground_truth: detections(detection('bus'), detection('car')) }),
      imageSample({ ground_truth: null }),
    ];

    it('keeps given classes in their order', () => {
      const { labelSchema } = build(
        { labelSchema: { ground_truth: { classes: ['z', 'a'] } } },
        { samples },
      );
      expect(labelSchema.ground_truth?.classes).toEqual(['z', 'a']);
    });

    it('lets a field’s own classes override the top-level ones', () => {
      const { labelSchema } = build(
        { labelSchema: { weather: { classes: ['own'] }, topics: {} }, classes: ['shared'] },
        { samples },
      );
      expect(labelSchema.weather?.classes).toEqual(['own']);
      expect(labelSchema.topics?.classes).toEqual(['shared']);
    });

    it('infers the sorted distinct labels of an existing field, narrowed-out labels included', () => {
      const { labelSchema } = build({ labelSchema: ['ground_truth'] }, { samples });
      expect(labelSchema.ground_truth?.classes).toEqual(['bus', 'car', 'person']);
    });

    it('sorts inferred classes by code point, as Python’s sorted() does', () => {
      const { labelSchema } = build(
        { labelSchema: ['weather'] },
        {
          samples: [
            imageSample({ weather: classification('\u{1F600}') }),
            imageSample({ weather: classification('\uFF21') }),
          ],
        },
      );
      // UTF-16 order would put the emoji (a surrogate pair, 0xD83D…) first.
      expect(labelSchema.weather?.classes).toEqual(['\uFF21', '\u{1F600}']);
    });

    it('infers from single-label fields', () => {
      const { labelSchema } = build({ labelSchema: ['weather'] }, { samples });
      expect(labelSchema.weather?.classes).toEqual(['sunny']);
    });

    it('infers frame-field classes over every frame of every sample', () => {
      const { labelSchema } = build(
        { labelSchema: ['frames.objects'] },
        {
          dataset: VIDEO_DATASET,
          samples: [
            videoSample([
              { objects: detections(detection('truck')) },
              { objects: detections(detection('bike')) },
            ]),
            videoSample([{}, { objects: detections(detection('ant'), detection('truck')) }]),
          ],
        },
      );
      expect(labelSchema['frames.objects']?.classes).toEqual(['ant', 'bike', 'truck']);
    });

    it('treats an empty class list as missing', () => {
      const { labelSchema } = build(
        { labelSchema: { ground_truth: { classes: [] } }, classes: ['x'] },
        { samples },
      );
      expect(labelSchema.ground_truth?.classes).toEqual(['bus', 'car', 'person']);
      expectSchemaError(
        () => build({ labelSchema: { fresh: { type: 'detections', classes: [] } } }),
        'CLASSES_REQUIRED',
        "You must provide a class list for new label field 'fresh'",
      );
    });

    it('lets a field’s null classes override the top-level ones and infer', () => {
      const { labelSchema } = build(
        { labelSchema: { weather: { classes: null } }, classes: ['shared'] },
        { samples },
      );
      expect(labelSchema.weather?.classes).toEqual(['sunny']);
    });

    it('gives an existing field without labels no classes and no error', () => {
      const { labelSchema } = build({ labelSchema: ['pose'] }, { samples });
      expect(labelSchema.pose?.classes).toEqual([]);
    });

    it.each([
      ['an existing scalar field', { count: {} }],
      ['a new scalar field', { fresh: { type: 'scalar' } }],
    ])('gives %s without classes an empty class list', (_name, schema) => {
      const { labelSchema } = build({ labelSchema: schema });
      expect(Object.values(labelSchema)[0]?.classes).toEqual([]);
    });

    it('requires classes for a new label field', () => {
      expectSchemaError(
        () => build({ labelSchema: { fresh: { type: 'classification' } } }),
        'CLASSES_REQUIRED',
        "You must provide a class list for new label field 'fresh'",
      );
    });
  });

  describe('class groups (§3.5)', () => {
    const samples = [
      imageSample({
        ground_truth: detections(
          detection('car', { make: 'vw' }),
          detection('person', { age: 31 }),
          detection('bus', { make: null, doors: 3 }),
        ),
      }),
    ];

    it('wraps a single class string in a list and normalizes the group’s attributes', () => {
      const { labelSchema } = build({
        labelSchema: {
          fresh: {
            type: 'detections',
            classes: ['tree', { classes: 'car', attributes: ['make'] }],
          },
        },
      });
      expect(labelSchema.fresh?.classes).toEqual([
        'tree',
        { classes: ['car'], attributes: { make: { type: 'text', values: [] } } },
      ]);
    });

    it('infers a group’s attributes only from labels of the group’s classes', () => {
      const { labelSchema } = build(
        {
          labelSchema: {
            ground_truth: {
              classes: [
                { classes: ['car', 'bus'], attributes: true },
                { classes: ['person'], attributes: false },
              ],
            },
          },
        },
        { samples },
      );
      expect(labelSchema.ground_truth?.classes).toEqual([
        {
          classes: ['car', 'bus'],
          attributes: { make: { type: 'text', values: [] }, doors: { type: 'text', values: [] } },
        },
        { classes: ['person'], attributes: {} },
      ]);
    });

    it('infers nothing for a group of a new field', () => {
      const { labelSchema } = build({
        labelSchema: {
          fresh: { type: 'detections', classes: [{ classes: ['car'], attributes: true }] },
        },
      });
      expect(labelSchema.fresh?.classes).toEqual([{ classes: ['car'], attributes: {} }]);
    });

    it.each([
      ['without attributes', { classes: 'cat' }, "Invalid classes dict {'classes': 'cat'}"],
      ['without classes', { attributes: {} }, "Invalid classes dict {'attributes': {}}"],
      ['with non-string classes', { classes: [1], attributes: {} }, 'Invalid classes dict'],
      ['with malformed attributes', { classes: 'cat', attributes: 3 }, 'Invalid classes dict'],
    ])('rejects a group %s', (_name, group, fragment) => {
      expectSchemaError(
        () => build({ labelSchema: { fresh: { type: 'detections', classes: ['dog', group] } } }),
        'INVALID_CLASSES_DICT',
        fragment,
      );
    });
  });

  describe('mask targets (§3.7)', () => {
    const dataset = {
      ...IMAGE_DATASET,
      sampleFields: { ...IMAGE_DATASET.sampleFields, seg2: 'Segmentation' },
      maskTargets: { seg: { '0': 'bg', '1': 'road', '2': 'sky' } },
    };

    it('keeps given mask targets and names the classes after the non-zero values', () => {
      const { labelSchema } = build({
        labelSchema: {
          fresh: { type: 'segmentation', maskTargets: { '0': 'bg', '3': 'tree', '7': 'car' } },
        },
      });
      expect(labelSchema.fresh).toEqual({
        type: 'segmentation',
        classes: ['tree', 'car'],
        attributes: {},
        maskTargets: { '0': 'bg', '3': 'tree', '7': 'car' },
        existingField: false,
      });
    });

    it('lets a field’s own mask targets override the top-level ones', () => {
      const { labelSchema } = build({
        labelSchema: {
          a: { type: 'segmentation', maskTargets: { '1': 'own' } },
          b: { type: 'segmentation' },
        },
        maskTargets: { '1': 'shared' },
      });
      expect(labelSchema.a?.maskTargets).toEqual({ '1': 'own' });
      expect(labelSchema.b?.maskTargets).toEqual({ '1': 'shared' });
    });

    it('falls back to the dataset’s targets for the field', () => {
      const { labelSchema } = build({ labelSchema: ['seg'] }, { dataset });
      expect(labelSchema.seg?.maskTargets).toEqual({ '0': 'bg', '1': 'road', '2': 'sky' });
      expect(labelSchema.seg?.classes).toEqual(['road', 'sky']);
    });

    it('falls back to the dataset’s default targets for other fields', () => {
      const { labelSchema } = build(
        { labelSchema: ['seg2'] },
        { dataset: { ...dataset, defaultMaskTargets: { '5': 'five' } } },
      );
      expect(labelSchema.seg2?.maskTargets).toEqual({ '5': 'five' });
    });

    it('looks frame-field targets up under the frames. name', () => {
      const { labelSchema } = build(
        { labelSchema: ['frames.mask'] },
        { dataset: { ...VIDEO_DATASET, maskTargets: { 'frames.mask': { '1': 'lane' } } } },
      );
      expect(labelSchema['frames.mask']?.maskTargets).toEqual({ '1': 'lane' });
    });

    it('falls back to 0..255 with a background when nothing is known', () => {
      const { labelSchema } = build({ labelSchema: ['seg'] });
      const targets = labelSchema.seg?.maskTargets ?? {};
      expect(Object.keys(targets)).toHaveLength(256);
      expect(targets['0']).toBe('background');
      expect(targets['255']).toBe('255');
      expect(labelSchema.seg?.classes).toHaveLength(255);
      expect(labelSchema.seg?.classes[0]).toBe('1');
    });

    it('requires mask targets for a new segmentation field', () => {
      expectSchemaError(
        () => build({ labelSchema: { fresh: { type: 'segmentation', maskTargets: {} } } }),
        'MASK_TARGETS_REQUIRED',
        "You must provide mask targets for new label field 'fresh'",
      );
    });

    it('ignores classes and attributes on segmentation fields, without warnings', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: { seg: { classes: ['x'], attributes: ['a'] } } },
        { backend: LABEL_STUDIO_CAPABILITIES },
      );
      expect(labelSchema.seg?.attributes).toEqual({});
      expect(labelSchema.seg?.classes).toHaveLength(255);
      expect(warnings).toEqual([]);
    });
  });
});
