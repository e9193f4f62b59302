import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareSequencers,
  decodeS3Key,
  encodeS3Key,
  s3EventSchema,
} from '../../../lib/ingest/index.js';
import { normalizeS3rverRecord, routeS3rverEvent } from '../../../lib/local/s3-events.js';

describe('Function: decodeS3Key', () => {
  it('decodes form-encoded keys as S3 sends them', () => {
    expect(decodeS3Key('datasets/street/my+photo%281%29.jpg')).toBe(
      'datasets/street/my photo(1).jpg',
    );
  });

  it('inverts encodeS3Key for any key', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (key) => {
        expect(decodeS3Key(encodeS3Key(key))).toBe(key);
      }),
    );
  });
});

describe('Function: compareSequencers', () => {
  it.each([
    ['0055AED6DCD90281E5', '0055AED6DCD90281E6', -1],
    ['55AED6DCD90281E6', '0055AED6DCD90281E5', 1],
    ['00ff', 'FF', 0],
  ])('compares %s with %s as numbers', (a, b, expected) => {
    expect(compareSequencers(a, b)).toBe(expected);
  });
});

describe('Function: s3EventSchema', () => {
  it('refuses an event that is not an object notification, naming the field', () => {
    const result = s3EventSchema.safeParse({
      Records: [{ eventName: 'ObjectTagging:Put', eventTime: 'x', s3: {} }],
    });
    expect(result.success).toBe(false);
  });
});

const s3rverRecord = (eventName: string, key: string) => ({
  eventName,
  eventTime: '2026-11-25T00:00:00.000Z',
  s3: {
    bucket: { name: 'media', arn: 'arn:aws:s3: : :media' },
    object: { key, size: 3, eTag: 'abc', sequencer: '18F00AA' },
  },
});

describe('Function: normalizeS3rverRecord', () => {
  it('encodes the key, fixes the ARN, pads the sequencer and names multipart completion like S3', () => {
    expect(
      normalizeS3rverRecord(s3rverRecord('ObjectCreated:Post', 'datasets/a b.jpg')),
    ).toMatchObject({
      eventName: 'ObjectCreated:CompleteMultipartUpload',
      s3: {
        bucket: { arn: 'arn:aws:s3:::media' },
        object: { key: 'datasets/a+b.jpg', sequencer: '00000000018F00AA' },
      },
    });
  });
});

describe('Function: normalizeS3rverRecord (sequencers)', () => {
  it('orders two events of the same millisecond (s3rver stamps Date.now()) as they came', () => {
    const at = (sequencer: number) => ({
      ...s3rverRecord('ObjectCreated:Put', 'datasets/a.jpg'),
      s3: {
        bucket: { name: 'media' },
        object: { key: 'datasets/a.jpg', sequencer },
      },
    });
    const sequencerOf = (record: ReturnType<typeof at>) =>
      String(normalizeS3rverRecord(record).s3.object.sequencer);

    const first = sequencerOf(at(1_764_115_200_000));
    const second = sequencerOf(at(1_764_115_200_000));
    const later = sequencerOf(at(1_764_115_200_001));

    expect(compareSequencers(first, second)).toBeLessThan(0);
    expect(compareSequencers(second, later)).toBeLessThan(0);
    expect(first).toMatch(/^[0-9A-F]{16}$/);
  });
});

describe('Function: routeS3rverEvent', () => {
  it('delivers only to targets whose bucket, event and prefix match', async () => {
    const delivered: string[] = [];
    const target = (name: string, events: string[], prefix?: string) => ({
      bucket: 'media',
      events,
      ...(prefix ? { prefix } : {}),
      deliver: async (event: { Records: unknown[] }) => {
        delivered.push(`${name}:${(event.Records[0] as { eventName: string }).eventName}`);
      },
    });
    const targets = [
      target('created', ['s3:ObjectCreated:*'], 'datasets/'),
      target('removed', ['s3:ObjectRemoved:*'], 'datasets/'),
    ];
    routeS3rverEvent(
      { Records: [s3rverRecord('ObjectCreated:Put', 'datasets/x.jpg')] },
      targets,
      () => {},
    );
    routeS3rverEvent(
      { Records: [s3rverRecord('ObjectCreated:Put', 'other/x.jpg')] },
      targets,
      () => {},
    );
    routeS3rverEvent(
      { Records: [s3rverRecord('ObjectRemoved:Delete', 'datasets/x.jpg')] },
      targets,
      () => {},
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual(['created:ObjectCreated:Put', 'removed:ObjectRemoved:Delete']);
  });
});
