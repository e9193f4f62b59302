import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { labelConfigOf, parseLabelConfig } from '../../../../lib/backends/labelstudio/index.js';
import type { LabelType } from '../../../../lib/labels/label-types.js';
import type { FieldSchema } from '../../../../lib/schema/types.js';

const fixture = (name: string) =>
  readFileSync(
    new URL(`../../../fixtures/labelstudio/label-config/${name}.xml`, import.meta.url),
    'utf8',
  );

function field(type: LabelType, extra: Partial<FieldSchema> = {}): FieldSchema {
  return { type, classes: ['car', 'person'], attributes: {}, existingField: false, ...extra };
}

const SEGMENTATION = field('segmentation', {
  classes: [],
  maskTargets: { '1': 'road', '2': 'sky' },
});

/** Every label type FiftyOne's Label Studio backend configures (reference §2.3). */
const FIELDS: Array<[LabelType, FieldSchema]> = [
  ['classification', field('classification')],
  ['classifications', field('classifications')],
  ['detection', field('detection')],
  ['detections', field('detections')],
  ['instance', field('instance')],
  ['instances', field('instances')],
  ['polyline', field('polyline')],
  ['polylines', field('polylines')],
  ['polygon', field('polygon')],
  ['polygons', field('polygons')],
  ['keypoint', field('keypoint')],
  ['keypoints', field('keypoints')],
  ['segmentation', SEGMENTATION],
  ['scalar', field('scalar', { classes: [] })],
];

describe('Function: labelConfigOf', () => {
  it.each(FIELDS)('writes the golden config of a %s field', (type, schema) => {
    expect(labelConfigOf({ [`my_${type}`]: schema })).toBe(fixture(type));
  });

  it('writes one control per field, after one image', () => {
    const xml = labelConfigOf({ gt: field('detections'), kind: field('classification') });

    expect(xml.match(/<Image /g)).toHaveLength(1);
    expect(xml).toContain('<RectangleLabels name="gt" toName="image">');
    expect(xml).toContain('<Choices name="kind" toName="image" choice="single-radio">');
  });

  it('escapes class names and keeps `--` out of its comments', () => {
    const xml = labelConfigOf({
      'a&b': field('segmentation', { classes: [], maskTargets: { '1': 'x--<"y">' } }),
    });

    expect(xml).toContain('<Label value="x--&lt;&quot;y&quot;&gt;"/>');
    expect(xml.match(/<!--([\s\S]*?)-->/)?.[1]).not.toContain('--');
    expect(parseLabelConfig(xml)['a&b']?.maskTargets).toEqual({ '1': 'x--<"y">' });
  });
});

describe('Function: parseLabelConfig', () => {
  it.each(FIELDS)('reads back a %s field without loss', (type, schema) => {
    const parsed = parseLabelConfig(labelConfigOf({ f: schema }));

    expect(parsed).toEqual({
      f: {
        type,
        classes:
          type === 'segmentation' ? ['road', 'sky'] : type === 'scalar' ? [] : ['car', 'person'],
        ...(schema.maskTargets ? { maskTargets: schema.maskTargets } : {}),
      },
    });
  });

  it('reads a config written by hand (no annoflow comments) by its tags', () => {
    const xml = `<View><Image name="image" value="$image"/>
      <Choices name="tags" toName="image" choice="multiple"><Choice value="a"/><Choice value="b"/></Choices>
      <KeyPointLabels name="pts" toName="image"><Label value="nose"/></KeyPointLabels></View>`;

    expect(parseLabelConfig(xml)).toEqual({
      tags: { type: 'classifications', classes: ['a', 'b'] },
      pts: { type: 'keypoints', classes: ['nose'] },
    });
  });

  it('rejects a control without a name', () => {
    expect(() => parseLabelConfig('<View><RectangleLabels toName="image"/></View>')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});
