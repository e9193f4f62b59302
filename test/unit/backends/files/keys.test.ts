import { describe, expect, it } from 'vitest';
import {
  backendTaskIdOf,
  filesTaskId,
  manifestKey,
  parseBackendTaskId,
  parseResultKey,
  reportKey,
  resultKey,
} from '../../../../lib/backends/files/keys.js';

const location = { dataset: 'street.v2', objectKey: 'gt_review', taskId: 'gt_review-00003' };

describe('Module: files backend keys', () => {
  it('names a page task after the run key and the zero-padded page index', () => {
    expect(filesTaskId('gt_review', 3)).toBe('gt_review-00003');
  });

  it('keeps the task files of a run under runs/<dataset>/<objectKey>/', () => {
    expect([manifestKey(location), resultKey(location), reportKey(location)]).toEqual([
      'runs/street.v2/gt_review/tasks/gt_review-00003.json',
      'runs/street.v2/gt_review/results/gt_review-00003.json',
      'runs/street.v2/gt_review/results/gt_review-00003.report.json',
    ]);
  });

  it('round-trips a location through its backend task id', () => {
    expect(parseBackendTaskId(backendTaskIdOf(location))).toEqual(location);
  });

  it.each([['a/b'], ['a/b/c/d'], ['bad name/k/t'], ['d/not-a-key/t'], ['d/k/t.json']])(
    'refuses the backend task id %s',
    (id) => {
      expect(() => parseBackendTaskId(id)).toThrow(
        expect.objectContaining({ code: expect.any(String) }),
      );
    },
  );

  it('finds the task of a result key', () => {
    expect(parseResultKey(resultKey(location))).toEqual(location);
  });

  it.each([
    ['a manifest', manifestKey(location)],
    ['a report', reportKey(location)],
    ['a result in a sub-folder', 'runs/street.v2/gt_review/results/x/t.json'],
    ['a result of an invalid run key', 'runs/street.v2/9key/results/t.json'],
    ['a key outside runs/', 'datasets/street.v2/gt_review/results/t.json'],
  ])('finds no task in %s', (_name, key) => {
    expect(parseResultKey(key)).toBeUndefined();
  });
});
