import { encodeS3Key } from '../ingest/s3-event.js';

/** A notification target, as the CDK template's `Custom::S3BucketNotifications` declares it. */
export interface S3NotificationTarget {
  bucket: string;
  events: string[];
  prefix?: string;
  suffix?: string;
  deliver(event: { Records: unknown[] }): Promise<void>;
}

interface S3rverRecord {
  eventName: string;
  s3: { bucket: { name: string; arn?: string }; object: { key: string; [key: string]: unknown } };
  [key: string]: unknown;
}

/**
 * Turns s3rver's event records into the shape S3 sends (LOCAL-STACK §0.3): keys
 * URL-encoded, multipart completion named `CompleteMultipartUpload`, a well-formed bucket
 * ARN, a zero-padded sequencer that grows with every event.
 */
export function normalizeS3rverRecord(record: S3rverRecord): S3rverRecord {
  const { bucket, object } = record.s3;
  return {
    ...record,
    eventName:
      record.eventName === 'ObjectCreated:Post'
        ? 'ObjectCreated:CompleteMultipartUpload'
        : record.eventName,
    s3: {
      ...record.s3,
      bucket: { ...bucket, arn: `arn:aws:s3:::${bucket.name}` },
      object: {
        ...object,
        key: encodeS3Key(object.key),
        sequencer: sequencerOf(object.sequencer),
      },
    },
  };
}

// The last sequencer handed out, so two events of one millisecond still compare in order.
let lastSequencer = 0;

/**
 * s3rver's sequencer is the event's `Date.now()`: two events for one key in one millisecond
 * got equal sequencers, and ingest took the second for a redelivery of the first and dropped
 * it. S3's grow per key; these grow per process, finer than the millisecond, in the order
 * s3rver emits (the order its writes completed). Anything else is only padded.
 */
function sequencerOf(given: unknown): string {
  const ms = typeof given === 'number' ? given : Number(given);
  if (!Number.isSafeInteger(ms) || ms <= 0) return String(given ?? '').padStart(16, '0');
  lastSequencer = Math.max(lastSequencer + 1, ms * 1024);
  return lastSequencer.toString(16).toUpperCase().padStart(16, '0');
}

function matches(pattern: string, eventName: string): boolean {
  // `s3:ObjectCreated:*` matches every ObjectCreated event.
  const wanted = pattern.replace(/^s3:/, '');
  return wanted.endsWith(':*') ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
}

/**
 * Delivers each s3rver event to the targets whose bucket, event type and key filters match,
 * one record per invocation like S3 does; s3rver itself ignores notification configuration.
 */
export function routeS3rverEvent(
  event: { Records: S3rverRecord[] },
  targets: ReadonlyArray<S3NotificationTarget>,
  onError: (error: unknown) => void,
): void {
  for (const raw of event.Records) {
    const record = normalizeS3rverRecord(raw);
    const key = raw.s3.object.key;
    for (const target of targets) {
      if (target.bucket !== record.s3.bucket.name) continue;
      if (!target.events.some((pattern) => matches(pattern, record.eventName))) continue;
      if (target.prefix && !key.startsWith(target.prefix)) continue;
      if (target.suffix && !key.endsWith(target.suffix)) continue;
      target.deliver({ Records: [record] }).catch(onError);
    }
  }
}
