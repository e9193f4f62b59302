import { describe, expect, it } from 'vitest';
import { inspectMedia } from '../../../lib/ingest/index.js';
import { encodePng } from '../../../lib/local/png.js';
import { gif, jpeg, mp4 } from '../../support/media.js';

describe('Function: inspectMedia', () => {
  it.each([
    ['PNG', encodePng(32, 24, () => [200, 10, 10]), 'image/png', 32, 24],
    ['JPEG', jpeg(640, 480), 'image/jpeg', 640, 480],
    ['GIF', gif(7, 9), 'image/gif', 7, 9],
  ])(
    'reads a %s header into FiftyOne image metadata',
    async (_name, bytes, mime, width, height) => {
      expect(await inspectMedia(bytes, bytes.byteLength)).toEqual({
        kind: 'image',
        metadata: {
          _cls: 'ImageMetadata',
          mime_type: mime,
          width,
          height,
          size_bytes: bytes.byteLength,
        },
      });
    },
  );

  it('reads frame size and frame count from a fast-start MP4', async () => {
    expect(await inspectMedia(mp4(1280, 720, 300))).toEqual({
      kind: 'video',
      metadata: {
        _cls: 'VideoMetadata',
        mime_type: 'video/mp4',
        frame_width: 1280,
        frame_height: 720,
        total_frame_count: 300,
      },
    });
  });

  it('accepts an MP4 whose moov is not in the header, without frame details', async () => {
    const video = mp4(64, 64, 3);
    const withoutMoov = Buffer.concat([video.subarray(0, 32)]);
    const result = await inspectMedia(withoutMoov);
    expect(result).toEqual({
      kind: 'video',
      metadata: { _cls: 'VideoMetadata', mime_type: 'video/mp4' },
    });
  });

  it.each([
    ['an empty object', Buffer.alloc(0), 'empty'],
    ['plain text', Buffer.from('hello, this is not an image'), 'not a recognised image or video'],
    [
      'a PDF',
      Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
      'application/pdf, not an image or video',
    ],
    [
      'a ZIP archive',
      Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Array(26).fill(0)]),
      'not an image or video',
    ],
  ])('rejects %s with a reason that says what it is', async (_name, bytes, reason) => {
    const result = await inspectMedia(bytes);
    expect(result.kind).toBe('rejected');
    expect(result.kind === 'rejected' && result.reason).toContain(reason);
  });

  it('rejects a PNG whose header is cut short', async () => {
    const result = await inspectMedia(encodePng(8, 8, () => [0, 0, 0]).subarray(0, 12));
    expect(result.kind).toBe('rejected');
  });
});
