import { InvalidInputError, parseInput } from '../../errors/index.js';
import { decodeS3Key, type S3EventRecord, s3EventSchema } from '../../ingest/s3-event.js';
import type { WebhookEvent, WebhookRequest } from '../backend.js';
import { timingSafeEqualText } from '../webhook.js';
import { backendTaskIdOf, parseResultKey } from './keys.js';

/**
 * The files backend has no tool to call it back: S3 does. A result upload's `ObjectCreated`
 * notification, delivered with the S3 event as the body, is the task's "finished" signal.
 * Such an event carries no signature, so verification is about shape and origin: every
 * record must be an object creation in our bucket under a result key. The trigger is wired
 * by the service (S3 → Lambda), never exposed as an HTTP webhook; and a forged "finished"
 * could only make a load read a result file that is really there.
 */
export function verifyS3Trigger(request: WebhookRequest, bucket: string): boolean {
  const records = recordsOf(request);
  return records?.every((record) => resultCreation(record, bucket) !== undefined) === true;
}

/**
 * `task.completed` for each result upload in the event; the revision is the record's
 * sequencer (S3 orders a key's events by it), else its ETag, so a redelivered notification
 * names the same revision and a new upload of the same file a new one.
 *
 * @throws InvalidInputError `INVALID_INPUT` when the body is not an S3 event.
 */
export function parseS3Trigger(request: WebhookRequest, bucket: string): WebhookEvent[] {
  return s3Records(request).flatMap((record) => {
    const backendTaskId = resultCreation(record, bucket);
    if (backendTaskId === undefined) return [];
    const revision = record.s3.object.sequencer || record.s3.object.eTag;
    return [{ type: 'task.completed' as const, backendTaskId, ...(revision ? { revision } : {}) }];
  });
}

/** @throws InvalidInputError `INVALID_INPUT` naming what is wrong with the body. */
function s3Records(request: WebhookRequest): S3EventRecord[] {
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody);
  } catch (error) {
    throw new InvalidInputError('Invalid S3 event: the body is not JSON', {}, { cause: error });
  }
  return parseInput(s3EventSchema, body, 'S3 event').Records;
}

function recordsOf(request: WebhookRequest): S3EventRecord[] | undefined {
  try {
    return s3Records(request);
  } catch {
    return undefined;
  }
}

/** The backend task id of a result creation in `bucket`; undefined for any other record. */
function resultCreation(record: S3EventRecord, bucket: string): string | undefined {
  if (!record.eventName.startsWith('ObjectCreated:')) return undefined;
  if (!timingSafeEqualText(record.s3.bucket.name, bucket)) return undefined;
  let key: string;
  try {
    key = decodeS3Key(record.s3.object.key);
  } catch {
    return undefined;
  }
  const location = parseResultKey(key);
  return location ? backendTaskIdOf(location) : undefined;
}
