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
      expect.objectContaining({ message: expect.stringContaining('samples.[0].filepath') }),
    );
  });
});
