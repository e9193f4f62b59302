import { describe, expect, it } from 'vitest';
import { FILES_CAPABILITIES, LABELBOX_CAPABILITIES } from '../../../lib/schema/index.js';
import { build, detection, detections, VIDEO_DATASET, videoSample } from './fixtures.js';

const classes = ['car'];
const ALL_FLAGS = {
  allowAdditions: false,
  allowDeletions: false,
  allowLabelEdits: false,
  allowIndexEdits: false,
  allowSpatialEdits: false,
};

describe('Function: buildLabelSchema', () => {
  describe('stored restriction flags (§3.8)', () => {
    it.each([
      ['weather', ['allowAdditions', 'allowDeletions', 'allowLabelEdits']],
      ['topics', ['allowAdditions', 'allowDeletions', 'allowLabelEdits']],
      [
        'ground_truth',
        ['allowAdditions', 'allowDeletions', 'allowLabelEdits', 'allowSpatialEdits'],
      ],
      ['shapes', ['allowAdditions', 'allowDeletions', 'allowLabelEdits', 'allowSpatialEdits']],
      ['pose', ['allowAdditions', 'allowDeletions', 'allowLabelEdits', 'allowSpatialEdits']],
      ['seg', ['allowAdditions', 'allowDeletions', 'allowSpatialEdits']],
      ['count', ['allowAdditions', 'allowDeletions']],
    ])('stores for image field %s only %j', (field, flags) => {
      const { labelSchema } = build({ labelSchema: [field], classes, ...ALL_FLAGS });
      const stored = Object.keys(labelSchema[field] ?? {}).filter((key) => key.startsWith('allow'));
      expect(stored).toEqual(flags);
    });

    it.each([
      [
        'frames.objects',
        [
          'allowAdditions',
          'allowDeletions',
          'allowLabelEdits',
          'allowIndexEdits',
          'allowSpatialEdits',
        ],
      ],
      [
        'frames.lanes',
        [
          'allowAdditions',
          'allowDeletions',
          'allowLabelEdits',
          'allowIndexEdits',
          'allowSpatialEdits',
        ],
      ],
      [
        'frames.joints',
        [
          'allowAdditions',
          'allowDeletions',
          'allowLabelEdits',
          'allowIndexEdits',
          'allowSpatialEdits',
        ],
      ],
      ['frames.scene', ['allowAdditions', 'allowDeletions', 'allowLabelEdits']],
      ['frames.mask', ['allowAdditions', 'allowDeletions', 'allowSpatialEdits']],
      ['frames.speed', ['allowAdditions', 'allowDeletions']],
      ['clip_label', ['allowAdditions', 'allowDeletions', 'allowLabelEdits']],
    ])('stores for video field %s only %j', (field, flags) => {
      const { labelSchema } = build(
        { labelSchema: [field], classes },
        { dataset: VIDEO_DATASET, backend: FILES_CAPABILITIES },
      );
      const stored = Object.entries(labelSchema[field] ?? {}).filter(([key]) =>
        key.startsWith('allow'),
      );
      expect(stored).toEqual(flags.map((flag) => [flag, true]));
    });

    it('stores given flags and defaults the others to true', () => {
      const { labelSchema } = build({
        labelSchema: { ground_truth: { allowSpatialEdits: false } },
        classes,
        allowDeletions: false,
      });
      expect(labelSchema.ground_truth).toMatchObject({
        allowAdditions: true,
        allowDeletions: false,
        allowLabelEdits: true,
        allowSpatialEdits: false,
      });
    });

    it('stores no flags for new fields', () => {
      const { labelSchema } = build({
        labelSchema: { fresh: { type: 'detections' } },
        classes,
        ...ALL_FLAGS,
      });
      expect(labelSchema.fresh).toEqual({
        type: 'detections',
        classes,
        attributes: {},
        existingField: false,
      });
    });
  });

  describe('keyframes (§3.9)', () => {
    function objects(...labels: Array<Record<string, unknown>>) {
      return videoSample(labels.map((label) => ({ objects: detections(label) })));
    }

    it('uploads only keyframes when any label is a keyframe', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: ['frames.objects'], classes },
        {
          dataset: VIDEO_DATASET,
          samples: [
            objects(detection('car', { keyframe: false }), detection('car', { keyframe: true })),
          ],
        },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(true);
      expect(warnings).toEqual([
        "Found existing field 'frames.objects' with multiple types ['detections', 'instances']. Only the 'detections' will be annotated",
      ]);
    });

    it('reads keyframe flags kept in the legacy attributes dict', () => {
      const { labelSchema } = build(
        { labelSchema: { 'frames.objects': { type: 'detections' } }, classes },
        {
          dataset: VIDEO_DATASET,
          samples: [
            objects(
              detection('car', {
                attributes: { keyframe: { _cls: 'BooleanAttribute', value: true } },
              }),
            ),
          ],
        },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(true);
    });

    it('warns and uploads every label when keyframe values exist but none is true', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: { 'frames.objects': { type: 'detections' } }, classes },
        { dataset: VIDEO_DATASET, samples: [objects(detection('car', { keyframe: false }))] },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(false);
      expect(warnings).toEqual([
        "No keyframes found for existing labels in field 'frames.objects'. All labels will be uploaded",
      ]);
    });

    it('warns and uploads every label when the backend cannot upload only keyframes', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: { 'frames.objects': { type: 'detections' } }, classes },
        {
          dataset: VIDEO_DATASET,
          // Labelbox refuses existing fields; a tool with its capabilities that edits warns.
          backend: { ...LABELBOX_CAPABILITIES, editsExistingLabels: true },
          samples: [objects(detection('car', { keyframe: true }))],
        },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(false);
      expect(warnings).toEqual([
        "The 'labelbox' backend does not support uploading only keyframes when editing existing video tracks",
      ]);
    });

    it('stores false without a warning when no label has a keyframe value', () => {
      const { labelSchema, warnings } = build(
        { labelSchema: { 'frames.objects': { type: 'detections' } }, classes },
        { dataset: VIDEO_DATASET, samples: [objects(detection('car'))] },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(false);
      expect(warnings).toEqual([]);
    });

    it('counts only keyframes of the annotated kind', () => {
      const { labelSchema } = build(
        { labelSchema: { 'frames.objects': { type: 'detections' } }, classes },
        {
          dataset: VIDEO_DATASET,
          samples: [objects(detection('car', { keyframe: true, mask: [[1]] }))],
        },
      );
      expect(labelSchema['frames.objects']?.onlyKeyframes).toBe(false);
    });

    it('records nothing about keyframes for new or non-trackable frame fields', () => {
      const { labelSchema } = build(
        { labelSchema: { 'frames.fresh': { type: 'detections' }, 'frames.scene': {} }, classes },
        { dataset: VIDEO_DATASET },
      );
      expect(labelSchema['frames.fresh']).not.toHaveProperty('onlyKeyframes');
      expect(labelSchema['frames.scene']).not.toHaveProperty('onlyKeyframes');
    });
  });
});
