import { encodeS3Key, type S3EventRecord } from '../../lib/ingest/s3-event.js';

let clock = 0x10000000;

/** An S3 notification record as S3 sends it; each call gets a newer sequencer. */
export function s3Record(
  eventName: 'ObjectCreated:Put' | 'ObjectRemoved:Delete',
  bucket: string,
  key: string,
  sequencer: string = (clock++).toString(16).toUpperCase().padStart(16, '0'),
): S3EventRecord {
  return {
    eventName,
    eventTime: new Date().toISOString(),
    s3: { bucket: { name: bucket }, object: { key: encodeS3Key(key), sequencer } },
  };
}
