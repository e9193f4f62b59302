import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../lib/labels/schemas.js';
import { idMapSchema } from '../../../lib/merge/contract.js';
import {
  type FieldSchema,
  type LabelSchema,
  prepareUpload,
  uploadSampleSchema,
} from '../../../lib/schema/index.js';
import {
  build,
  classification,
  detection,
  detections,
  IMAGE_DATASET,
  imageSample,
  polyline,
  polylines,
  segmentation,
  VIDEO_DATASET,
  videoSample,
} from './fixtures.js';

function existing(type: FieldSchema['type'], extra: Partial<FieldSchema> = {}): FieldSchema {
  return { type, classes: [], attributes: {}, existingField: true, ...extra };
}

function ids(value: unknown, listKey: string): string[] {
  return ((value as Record<string, Array<{ id: string }>>)[listKey] ?? []).map((label) => label.id);
}

function prepare(labelSchema: LabelSchema, samples: Iterable<Sample>, dataset = IMAGE_DATASET) {
  return prepareUpload({ dataset, samples, labelSchema });
}

describe('Function: prepareUpload', () => {
  describe('multi-type narrowing', () => {
    const box = detection('car');
    const instance = detection('car', { mask: [[1]] });
    const instanceByPath = detection('car', { mask_path: '/m.png' });
    const filled = polyline('road', true);
    const open = polyline('road', false);
    const unset = polyline('road', undefined);
    const sample = imageSample({
      ground_truth: detections(box, instance, instanceByPath),
      shapes: polylines(filled, open, unset),
    });

    it.each([
      ['detections', 'ground_truth', 'detections', [box]],
      ['instances', 'ground_truth', 'detections', [instance, instanceByPath]],
      ['polygons', 'shapes', 'polylines', [filled]],
      ['polylines', 'shapes', 'polylines', [open, unset]],
    ] as const)('uploads and records only %s', (type, field, listKey, kept) => {
      const { samples, idMap } = prepare({ [field]: existing(type) }, [sample]);
      const expected = kept.map((label) => label.id);
      expect(ids(samples[0]?.fields[field], listKey)).toEqual(expected);
      expect(idMap[field]?.[sample.id]).toEqual(expected);
    });

    it('narrows single-label fields to null when the label is of the other kind', () => {
      const single = imageSample({ best: detection('car', { mask: [[1]] }) });
      const { samples, idMap } = prepare({ best: existing('detection') }, [single]);
      expect(samples[0]?.fields.best).toBeNull();
      expect(idMap.best?.[single.id]).toEqual([]);
    });
  });

  describe('class filtering', () => {
    const car = detection('car');
    const bus = detection('bus');
    const tree = detection('tree');
    const unlabeled = detection(null);
    const sample = imageSample({ ground_truth: detections(car, bus, tree, unlabeled) });

    it('leaves labels outside the classes out of the upload and the id map', () => {
      const { samples, idMap } = prepare(
        { ground_truth: existing('detections', { classes: ['car', 'bus'] }) },
        [sample],
      );
      expect(ids(samples[0]?.fields.ground_truth, 'detections')).toEqual([car.id, bus.id]);
      expect(idMap.ground_truth?.[sample.id]).toEqual([car.id, bus.id]);
    });

    it('flattens class groups', () => {
      const { idMap } = prepare(
        {
          ground_truth: existing('detections', {
            classes: ['car', { classes: ['tree'], attributes: {} }],
          }),
        },
        [sample],
      );
      expect(idMap.ground_truth?.[sample.id]).toEqual([car.id, tree.id]);
    });

    it('uploads every label of a field without classes', () => {
      const { idMap } = prepare({ ground_truth: existing('detections') }, [sample]);
      expect(idMap.ground_truth?.[sample.id]).toEqual([car.id, bus.id, tree.id, unlabeled.id]);
    });

    it('uploads a segmentation whole, whatever its mask-target classes', () => {
      const seg = segmentation();
      const withSeg = imageSample({ seg });
      const { samples, idMap } = prepare({ seg: existing('segmentation', { classes: ['road'] }) }, [
        withSeg,
      ]);
      expect(samples[0]?.fields.seg).toBe(seg);
      expect(idMap.seg?.[withSeg.id]).toEqual([seg.id]);
    });
  });

  describe('keyframe filtering', () => {
    it('uploads only keyframes of a field that uploads only keyframes', () => {
      const key = detection('car', { keyframe: true });
      const inBetween = detection('car', { keyframe: false });
      const legacyKey = detection('car', {
        attributes: { keyframe: { _cls: 'BooleanAttribute', value: true } },
      });
      const sample = videoSample([{ objects: detections(key, inBetween, legacyKey) }]);
      const frameId = sample.frames?.['1']?.id as string;
      const { samples, idMap } = prepare(
        { 'frames.objects': existing('detections', { onlyKeyframes: true }) },
        [sample],
        VIDEO_DATASET,
      );
      expect(ids(samples[0]?.frames?.['1']?.fields.objects, 'detections')).toEqual([
        key.id,
        legacyKey.id,
      ]);
      expect(idMap['frames.objects']?.[sample.id]).toEqual({ [frameId]: [key.id, legacyKey.id] });
    });

    it('uploads every label when the field does not use keyframes', () => {
      const sample = videoSample([{ objects: detections(detection('car', { keyframe: false })) }]);
      const { idMap } = prepare(
        { 'frames.objects': existing('detections', { onlyKeyframes: false }) },
        [sample],
        VIDEO_DATASET,
      );
      const entries = Object.values(idMap['frames.objects']?.[sample.id] ?? {});
      expect(entries).toEqual([[expect.any(String)]]);
    });
  });

  describe('id map layout', () => {
    it('records a list per sample for image fields, empty when nothing was uploaded', () => {
      const weather = classification('sunny');
      const labeled = imageSample({ weather });
      const empty = imageSample({ weather: null });
      const missing = imageSample();
      const { samples, idMap } = prepare({ weather: existing('classification') }, [
        labeled,
        empty,
        missing,
      ]);
      expect(idMap).toEqual({
        weather: { [labeled.id]: [weather.id], [empty.id]: [], [missing.id]: [] },
      });
      expect(samples.map((sample) => sample.fields.weather)).toEqual([weather, null, null]);
      expect(idMapSchema.safeParse(idMap).success).toBe(true);
    });

    it('records a list per frame for frame fields, for every frame of every sample', () => {
      const car = detection('car');
      const sample = videoSample([{ objects: detections(car) }, {}, { objects: null }]);
      const frameless = { ...videoSample([]), frames: undefined };
      const frameIds = Object.values(sample.frames ?? {}).map((frame) => frame.id);
      const { samples, idMap } = prepare(
        { 'frames.objects': existing('detections') },
        [sample, frameless],
        VIDEO_DATASET,
      );
      expect(idMap).toEqual({
        'frames.objects': {
          [sample.id]: {
            [frameIds[0] as string]: [car.id],
            [frameIds[1] as string]: [],
            [frameIds[2] as string]: [],
          },
          [frameless.id]: {},
        },
      });
      expect(samples[0]?.frames).toEqual({
        '1': { id: frameIds[0], fields: { objects: { _cls: 'Detections', detections: [car] } } },
        '2': { id: frameIds[1], fields: { objects: null } },
        '3': { id: frameIds[2], fields: { objects: null } },
      });
      expect(idMapSchema.safeParse(idMap).success).toBe(true);
    });

    it.each([
      ['a value without classes', [], 3, true, 3],
      ['a value in the classes', ['sunny', 'rain'], 'sunny', true, 'sunny'],
      ['a non-string value matched by its string form', ['3'], 3, true, 3],
      ['a value outside the classes', ['sunny'], 'fog', false, null],
      ['a null value', [], null, false, null],
      ['a missing value', [], undefined, false, null],
    ])('records a scalar entry for %s', (_name, classes, value, entry, uploaded) => {
      const sample = imageSample(value === undefined ? {} : { caption: value });
      const { samples, idMap } = prepare({ caption: existing('scalar', { classes }) }, [sample]);
      expect(idMap.caption?.[sample.id]).toBe(entry);
      expect(samples[0]?.fields.caption).toEqual(uploaded);
    });

    it('records scalar entries per frame for frame scalar fields', () => {
      const sample = videoSample([{ speed: 3.5 }, { speed: null }]);
      const [first, second] = Object.values(sample.frames ?? {}).map((frame) => frame.id);
      const { idMap } = prepare({ 'frames.speed': existing('scalar') }, [sample], VIDEO_DATASET);
      expect(idMap['frames.speed']?.[sample.id]).toEqual({
        [first as string]: true,
        [second as string]: false,
      });
    });

    it('uploads nothing and records nothing for new fields', () => {
      const sample = imageSample({ fresh: detections(detection('car')) });
      const { samples, idMap } = prepare(
        { fresh: { type: 'detections', classes: ['car'], attributes: {}, existingField: false } },
        [sample],
      );
      expect(idMap).toEqual({});
      expect(samples[0]?.fields).toEqual({});
    });
  });

  describe('upload samples', () => {
    it('carries the sample’s media, metadata and tags and passes its schema', () => {
      const sample = imageSample({
        metadata: { width: 640, height: 480 },
        tags: ['train'],
        weather: classification('sunny'),
        other: 'not sent',
      });
      const { samples } = prepare({ weather: existing('classification') }, [sample]);
      expect(samples[0]).toEqual({
        id: sample.id,
        filepath: sample.filepath,
        media_type: 'image',
        metadata: { width: 640, height: 480 },
        tags: ['train'],
        fields: { weather: sample.weather },
      });
      expect(uploadSampleSchema.safeParse(samples[0]).success).toBe(true);
    });

    it('lists every frame of a video even when no frame field exists yet', () => {
      const sample = videoSample([{}, {}]);
      const { samples } = prepare(
        {
          'frames.fresh': {
            type: 'detections',
            classes: ['a'],
            attributes: {},
            existingField: false,
          },
        },
        [sample],
        VIDEO_DATASET,
      );
      expect(Object.keys(samples[0]?.frames ?? {})).toEqual(['1', '2']);
      expect(uploadSampleSchema.safeParse(samples[0]).success).toBe(true);
    });

    it('does not mutate its inputs', () => {
      const input = [
        imageSample({
          ground_truth: detections(
            detection('car'),
            detection('tree'),
            detection('car', { mask: [[1]] }),
          ),
          caption: 'x',
        }),
      ];
      const labelSchema: LabelSchema = {
        ground_truth: existing('detections', { classes: ['car'] }),
        caption: existing('scalar', { classes: ['y'] }),
      };
      const before = structuredClone({ input, labelSchema });
      const { samples } = prepare(labelSchema, input);
      expect({ input, labelSchema }).toEqual(before);
      expect(samples[0]?.fields.ground_truth).not.toBe(input[0]?.ground_truth);
    });

    it('maps a lazy collection sample by sample', () => {
      function* lazy(): Generator<Sample> {
        yield imageSample({ weather: classification('a') });
        yield imageSample({ weather: classification('b') });
      }
      const { samples, idMap } = prepare({ weather: existing('classification') }, lazy());
      expect(samples).toHaveLength(2);
      expect(Object.keys(idMap.weather ?? {})).toHaveLength(2);
    });

    it('uploads what buildLabelSchema decided for a default Detections field', () => {
      const box = detection('car');
      const instance = detection('car', { mask: [[1]] });
      const outside = detection('tree');
      const sample = imageSample({ ground_truth: detections(box, instance, outside) });
      const { labelSchema } = build(
        { labelSchema: { ground_truth: { classes: ['car'] } } },
        { samples: [sample] },
      );
      const { idMap } = prepare(labelSchema, [sample]);
      expect(idMap.ground_truth?.[sample.id]).toEqual([box.id]);
    });
  });
});
