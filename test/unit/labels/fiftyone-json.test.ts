import { describe, expect, it } from 'vitest';
import { InvalidInputError, parseFiftyOneSamples } from '../../../lib/index.js';

// The shape FiftyOne's `FiftyOneDataset` exporter writes to samples.json (MongoDB extended JSON).
const exported = {
  samples: [
    {
      _id: { $oid: '64b0a1b2c3d4e5f601234567' },
      filepath: 'data/000001.jpg',
      tags: ['validation'],
      metadata: { _cls: 'ImageMetadata', width: 640, height: 480 },
      _media_type: 'image',
      _dataset_id: { $oid: '64b0a1b2c3d4e5f600000000' },
      created_at: { $date: 1700000000000 },
      ground_truth: {
        _cls: 'Detections',
        detections: [
          {
            _id: { $oid: '64b0a1b2c3d4e5f6aaaaaaaa' },
            _cls: 'Detection',
            attributes: {},
            tags: [],
            label: 'bird',
            bounding_box: [0.1, 0.2, 0.3, 0.4],
            mask: null,
            confidence: null,
            index: null,
            iscrowd: 0,
          },
        ],
      },
      uniqueness: 0.42,
    },
  ],
};

describe('Function: parseFiftyOneSamples', () => {
  it('turns extended-JSON ids into plain ids on samples and labels', () => {
    const [sample] = parseFiftyOneSamples(exported);
    expect(sample?.id).toBe('64b0a1b2c3d4e5f601234567');
    expect(
      (sample?.ground_truth as { detections: Array<{ id: string }> } | undefined)?.detections[0]
        ?.id,
    ).toBe('64b0a1b2c3d4e5f6aaaaaaaa');
  });

  it('keeps labels, custom attributes and scalar fields as they are', () => {
    const [sample] = parseFiftyOneSamples(exported);
    expect(sample).toMatchObject({
      filepath: 'data/000001.jpg',
      tags: ['validation'],
      uniqueness: 0.42,
      ground_truth: { _cls: 'Detections', detections: [{ label: 'bird', iscrowd: 0 }] },
    });
  });

  it('maps `_media_type` to `media_type` and drops dataset bookkeeping', () => {
    const [sample] = parseFiftyOneSamples(exported);
    expect(sample?.media_type).toBe('image');
    expect(sample).not.toHaveProperty('_dataset_id');
    expect(sample).not.toHaveProperty('_media_type');
  });

  it('turns `{$date}` into an ISO timestamp', () => {
    const [sample] = parseFiftyOneSamples(exported);
    expect(sample?.created_at).toBe('2023-11-14T22:13:20.000Z');
  });

  it('gives labels and samples without ids fresh ObjectIds', () => {
    const [sample] = parseFiftyOneSamples([
      { filepath: 'a.jpg', gt: { _cls: 'Classification', label: 'cat' } },
    ]);
    expect(sample?.id).toMatch(/^[0-9a-f]{24}$/);
    expect((sample?.gt as { id: string } | undefined)?.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('accepts a bare array of samples', () => {
    expect(parseFiftyOneSamples([{ filepath: 'a.jpg' }])).toHaveLength(1);
  });

  it('refuses a sample without a filepath, naming the sample', () => {
    expect(() =>
      parseFiftyOneSamples({ samples: [{ _id: { $oid: '64b0a1b2c3d4e5f601234567' } }] }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('sample [0]'),
      }),
    );
  });

  it('refuses a document that is neither an export nor a list', () => {
    expect(() => parseFiftyOneSamples({ rows: [] })).toThrow(InvalidInputError);
  });
});
