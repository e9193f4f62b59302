import { describe, expect, it } from 'vitest';
import { parseS3Trigger, verifyS3Trigger } from '../../../../lib/backends/files/s3-trigger.js';
import { s3Record } from '../../../support/s3-records.js';

const BUCKET = 'media';
const RESULT = 'runs/street/gt_review/results/gt_review-00000.json';

function request(body: unknown): { headers: Record<string, string>; rawBody: string } {
  return { headers: {}, rawBody: typeof body === 'string' ? body : JSON.stringify(body) };
}

describe('Function: verifyS3Trigger', () => {
  it('accepts the creation of a result in the bucket', () => {
    expect(
      verifyS3Trigger(
        request({ Records: [s3Record('ObjectCreated:Put', BUCKET, RESULT)] }),
        BUCKET,
      ),
    ).toBe(true);
  });

  it.each([
    ['a body that is not JSON', 'nope'],
    ['a body that is not an S3 event', { hello: 'world' }],
    ['an event from another bucket', { Records: [s3Record('ObjectCreated:Put', 'other', RESULT)] }],
    ['a removal', { Records: [s3Record('ObjectRemoved:Delete', BUCKET, RESULT)] }],
    [
      'a report written beside a result',
      { Records: [s3Record('ObjectCreated:Put', BUCKET, RESULT.replace('.json', '.report.json'))] },
    ],
    [
      'a manifest',
      { Records: [s3Record('ObjectCreated:Put', BUCKET, RESULT.replace('/results/', '/tasks/'))] },
    ],
    [
      'an event with one foreign record among results',
      {
        Records: [
          s3Record('ObjectCreated:Put', BUCKET, RESULT),
          s3Record('ObjectCreated:Put', BUCKET, 'datasets/street/a.jpg'),
        ],
      },
    ],
  ])('refuses %s', (_name, body) => {
    expect(verifyS3Trigger(request(body), BUCKET)).toBe(false);
  });
});

describe('Function: parseS3Trigger', () => {
  it('makes a result creation task.completed, with the sequencer as revision', () => {
    const record = s3Record('ObjectCreated:Put', BUCKET, RESULT, '00000000000000A1');

    expect(parseS3Trigger(request({ Records: [record] }), BUCKET)).toEqual([
      {
        type: 'task.completed',
        backendTaskId: 'street/gt_review/gt_review-00000',
        revision: '00000000000000A1',
      },
    ]);
  });

  it('decodes the key as S3 encodes it', () => {
    const key = 'runs/street/clé_run/results/clé_run-00000.json';

    expect(
      parseS3Trigger(request({ Records: [s3Record('ObjectCreated:Put', BUCKET, key)] }), BUCKET),
    ).toEqual([expect.objectContaining({ backendTaskId: 'street/clé_run/clé_run-00000' })]);
  });

  it('skips records that are not result creations', () => {
    const body = { Records: [s3Record('ObjectRemoved:Delete', BUCKET, RESULT)] };

    expect(parseS3Trigger(request(body), BUCKET)).toEqual([]);
  });

  it('refuses a body that is not an S3 event with INVALID_INPUT', () => {
    expect(() => parseS3Trigger(request({ Records: 'x' }), BUCKET)).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('S3 event'),
      }),
    );
  });
});
