import { z } from 'zod';

/** The fields of an S3 event notification record that ingest reads. */
export const s3EventRecordSchema = z.looseObject({
  eventName: z
    .string()
    .regex(/^(ObjectCreated|ObjectRemoved):/, 'must be an ObjectCreated or ObjectRemoved event'),
  eventTime: z.string(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      /** URL-encoded, spaces as `+`, as S3 sends it. */
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      /** Orders events for one key: a larger (hex, zero-padded by S3) sequencer is newer. */
      sequencer: z.string().min(1),
    }),
  }),
});
export type S3EventRecord = z.infer<typeof s3EventRecordSchema>;

export const s3EventSchema = z.object({ Records: z.array(s3EventRecordSchema).min(1) });
export type S3Event = z.infer<typeof s3EventSchema>;

/** S3 sends object keys form-encoded (`+` for spaces). */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** The inverse of {@link decodeS3Key}, as S3 encodes keys in notifications. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/**
 * Compares two sequencers of the same key. S3 documents them as hex strings to compare as
 * numbers after padding the shorter with leading zeros.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padStart(width, '0');
  const right = b.toUpperCase().padStart(width, '0');
  return left < right ? -1 : left > right ? 1 : 0;
}
