import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { readMp4VideoHeader } from './mp4-header.js';

/**
 * What an uploaded object is, decided from its first bytes (never from its name or the
 * Content-Type the uploader claimed). Metadata uses FiftyOne's field names, so samples
 * carry the same `metadata` FiftyOne's `compute_metadata()` would give them.
 */
export type MediaInspection =
  | {
      kind: 'image';
      metadata: {
        _cls: 'ImageMetadata';
        mime_type: string;
        width: number;
        height: number;
        size_bytes?: number;
      };
    }
  | {
      kind: 'video';
      metadata: {
        _cls: 'VideoMetadata';
        mime_type: string;
        frame_width?: number;
        frame_height?: number;
        total_frame_count?: number;
        size_bytes?: number;
      };
    }
  | {
      kind: 'rejected';
      reason: string;
      /** An image whose header may lie past the bytes given: more of the object could tell. */
      cutShort?: true;
    };

/** How many leading bytes ingest reads first: enough for most image headers and fast-start MP4s. */
export const MEDIA_HEADER_BYTES = 256 * 1024;

/**
 * The most ingest reads to find an image's header. A JPEG may carry megabytes of APP
 * segments (extended XMP: a phone's depth map, an editor's history) before its size.
 */
export const MEDIA_HEADER_MAX_BYTES = 16 * 1024 * 1024;

const IMAGE_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/bmp',
  'image/tiff',
  'image/avif',
  'image/heic',
]);
const VIDEO_TYPES = new Set([
  'video/mp4',
  'video/quicktime',
  'video/webm',
  'video/x-matroska',
  'video/x-msvideo',
  'video/mpeg',
]);
const ISO_BMFF = new Set(['video/mp4', 'video/quicktime']);

/**
 * Inspects the first bytes of an object. `sizeBytes` is the object's full size, if known.
 * Anything that is not a recognisable image or video is rejected with a reason that names
 * what was found, so the uploader can tell what went wrong.
 */
export async function inspectMedia(head: Uint8Array, sizeBytes?: number): Promise<MediaInspection> {
  if (head.byteLength === 0) return { kind: 'rejected', reason: 'the object is empty' };
  const detected = await fileTypeFromBuffer(head);
  const size = sizeBytes === undefined ? {} : { size_bytes: sizeBytes };
  if (!detected)
    return { kind: 'rejected', reason: 'the content is not a recognised image or video format' };
  if (IMAGE_TYPES.has(detected.mime)) {
    const cutShort =
      sizeBytes !== undefined && head.byteLength < sizeBytes ? { cutShort: true as const } : {};
    let dimensions: { width?: number; height?: number };
    try {
      dimensions = imageSize(head);
    } catch (error) {
      return {
        kind: 'rejected',
        reason: `a ${detected.mime} whose header cannot be read (${(error as Error).message})`,
        ...cutShort,
      };
    }
    if (!dimensions.width || !dimensions.height) {
      return {
        kind: 'rejected',
        reason: `a ${detected.mime} without dimensions in its header`,
        ...cutShort,
      };
    }
    return {
      kind: 'image',
      metadata: {
        _cls: 'ImageMetadata',
        mime_type: detected.mime,
        width: dimensions.width,
        height: dimensions.height,
        ...size,
      },
    };
  }
  if (VIDEO_TYPES.has(detected.mime)) {
    const header = ISO_BMFF.has(detected.mime) ? readMp4VideoHeader(head) : undefined;
    return {
      kind: 'video',
      metadata: {
        _cls: 'VideoMetadata',
        mime_type: detected.mime,
        ...(header
          ? {
              frame_width: header.width,
              frame_height: header.height,
              total_frame_count: header.frameCount,
            }
          : {}),
        ...size,
      },
    };
  }
  return { kind: 'rejected', reason: `the content is ${detected.mime}, not an image or video` };
}
