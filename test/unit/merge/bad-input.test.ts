import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/errors/index.js';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import {
  detection,
  detections,
  field,
  imageSample,
  mergeInput,
  oid,
} from '../../support/builders.js';

const A = oid(1);
const input = (annotations: unknown) =>
  mergeInput({
    samples: [imageSample('s1', { gt: detections(detection(A, 'cat')) })],
    gt: field({ type: 'detections' }),
    idMap: { gt: { s1: [A] } },
    annotations: annotations as never,
  });

describe('Function: mergeAnnotations — bad input is refused with the culprit named', () => {
  it.each([
    [
      'a label that is not a detection',
      { gt: { detections: { s1: { [A]: { _cls: 'Keypoint', points: [] } } } } },
      `annotations['gt']['detections']['s1']['${A}']`,
    ],
    [
      'a box with three numbers',
      {
        gt: {
          detections: { s1: { [A]: { _cls: 'Detection', label: 'cat', bounding_box: [0, 0, 1] } } },
        },
      },
      'bounding_box',
    ],
    [
      'a label keyed by something that is not an ObjectId',
      { gt: { detections: { s1: { 'not-an-id': detection(A, 'cat') } } } },
      'label id key',
    ],
    [
      'a sample entry that is not an object',
      { gt: { detections: { s1: 42 } } },
      `annotations['gt']['detections']['s1']`,
    ],
    ['an unknown return type', { gt: { boxes: {} } }, 'Unrecognized key: "boxes"'],
  ])('refuses %s', (_name, annotations, fragment) => {
    const attempt = () => mergeAnnotations(input(annotations));
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(fragment),
      }),
    );
  });

  it('refuses an unknown unexpected policy', () => {
    const bad = { ...input({}), unexpected: 'maybe' } as never;
    expect(() => mergeAnnotations(bad)).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('unexpected'),
      }),
    );
  });

  it('refuses a sample without a filepath', () => {
    const bad = { ...input({}), samples: [{ id: 's1' }] } as never;
    expect(() => mergeAnnotations(bad)).toThrow(
      expect.objectContaining({ message: expect.stringContaining('samples[0].filepath') }),
    );
  });
});

describe('Function: mergeAnnotations — `__proto__` cannot name a field or attribute', () => {
  // Built as JSON text: an object literal's `__proto__:` would set the prototype instead.
  const withKey = (json: string): never =>
    JSON.parse(json.replaceAll('"PROTO"', '"__proto__"')) as never;
  const base = () => JSON.stringify(input({}));

  it.each([
    [
      'a label schema field',
      (text: string) =>
        text.replace(
          '"labelSchema":{',
          '"labelSchema":{"PROTO":{"type":"detections","classes":[],"attributes":{},"existingField":false},',
        ),
      'labelSchema.__proto__',
    ],
    [
      'a frame field of the label schema',
      (text: string) =>
        text.replace(
          '"labelSchema":{',
          '"labelSchema":{"frames.__proto__":{"type":"detections","classes":[],"attributes":{},"existingField":false},',
        ),
      'labelSchema.frames.__proto__',
    ],
    [
      'a dataset field',
      (text: string) => text.replace('"sampleFields":{', '"sampleFields":{"PROTO":"StringField",'),
      'dataset.sampleFields.__proto__',
    ],
    [
      'an attribute',
      (text: string) => text.replace('"attributes":{}', '"attributes":{"PROTO":{"type":"text"}}'),
      'labelSchema.gt.attributes.__proto__',
    ],
    [
      'a string destField',
      (text: string) => text.replace('"annotations"', '"destField":"PROTO","annotations"'),
      'destField',
    ],
    [
      'a destField map value',
      (text: string) => text.replace('"annotations"', '"destField":{"gt":"PROTO"},"annotations"'),
      'destField.gt',
    ],
  ])('refuses %s named `__proto__`, naming where, and merges nothing', (_name, edit, path) => {
    const attempt = () => mergeAnnotations(withKey(edit(base())));
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: `Invalid merge input at '${path}': '__proto__' cannot name a field, attribute or other key`,
      }),
    );
  });
});
