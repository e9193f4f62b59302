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
const B = oid(2);

// Keys equal to the ids the id map records are not checked twice; every other key still is.
describe('Function: mergeAnnotations — label id keys beside recorded ids', () => {
  const input = (labels: Record<string, unknown>) =>
    mergeInput({
      samples: [imageSample('s1', { gt: detections(detection(A, 'cat'), detection(B, 'dog')) })],
      gt: field({ type: 'detections' }),
      idMap: { gt: { s1: [A, B] } },
      annotations: { gt: { detections: { s1: labels } } } as never,
    });

  it.each([
    ['after the recorded ids', { [A]: detection(A, 'cat'), [B]: detection(B, 'dog'), 'bad-1': {} }],
    ['between recorded ids', { [A]: detection(A, 'cat'), 'bad-1': {}, [B]: detection(B, 'dog') }],
    ['in place of a recorded id', { 'bad-1': {}, [B]: detection(B, 'dog') }],
    ['differing from a recorded id by case', { [A.toUpperCase().replace(/0/g, 'A')]: {} }],
  ])('refuses a key that is not an ObjectId %s', (_name, labels) => {
    expect(() => mergeAnnotations(input(labels))).toThrow(InvalidInputError);
    expect(() => mergeAnnotations(input(labels))).toThrow(
      expect.objectContaining({ message: expect.stringContaining('label id key') }),
    );
  });

  it('merges recorded keys returned out of upload order', () => {
    const { report } = mergeAnnotations(
      input({ [B]: detection(B, 'dog'), [A]: detection(A, 'bird') }),
    );
    expect(report.fields.gt).toMatchObject({ edited: 1, kept: 1, added: 0, deleted: 0 });
  });
});
