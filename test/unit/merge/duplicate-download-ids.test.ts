import { describe, expect, it } from 'vitest';
import { type Annotations, duplicateDownloadIds } from '../../../lib/merge/index.js';
import { oid } from '../../support/builders.js';

const A = oid(1);
const B = oid(2);
const label = { _cls: 'Detection', label: 'cat' };

describe('Function: duplicateDownloadIds', () => {
  it.each<[string, Annotations, ReturnType<typeof duplicateDownloadIds>]>([
    [
      'an id returned on two samples',
      { gt: { detections: { s1: { [A]: label, [B]: label }, s2: { [A]: label } } } },
      { gt: { detections: [A] } },
    ],
    [
      'an id returned on two frames of one sample',
      { 'frames.gt': { detections: { v1: { '1': { [A]: label }, '2': { [A]: label } } } } },
      { 'frames.gt': { detections: [A] } },
    ],
    [
      'nothing when every id is returned once',
      { gt: { detections: { s1: { [A]: label }, s2: { [B]: label } } } },
      {},
    ],
    [
      'each return type counted on its own',
      { gt: { detections: { s1: { [A]: label } }, polylines: { s2: { [A]: label } } } },
      {},
    ],
    [
      'each field counted on its own',
      { gt: { detections: { s1: { [A]: label } } }, pred: { detections: { s1: { [A]: label } } } },
      {},
    ],
    ['no scalars (they have no ids)', { score: { scalar: { s1: 1, s2: 1 } } }, {}],
  ])('finds %s', (_what, annotations, expected) => {
    expect(duplicateDownloadIds(annotations)).toEqual(expected);
  });

  it('names a field called `__proto__` as an own key, leaving the prototype alone', () => {
    const annotations = JSON.parse(
      `{"__proto__":{"detections":{"s1":{"${A}":{}},"s2":{"${A}":{}}}}}`,
    ) as Annotations;

    const found = duplicateDownloadIds(annotations);

    expect(Object.hasOwn(found, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).detections).toBeUndefined();
  });
});
