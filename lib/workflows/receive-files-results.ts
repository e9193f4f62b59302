import { parseResultKey } from '../backends/files/keys.js';
import { parseInput } from '../errors/index.js';
import { decodeS3Key, type S3EventRecord, s3EventSchema } from '../ingest/s3-event.js';
import type { WorkflowDeps } from './deps.js';
import { receiveWebhook, type WebhookEventOutcome } from './receive-webhook.js';

function isResultUpload(record: S3EventRecord): boolean {
  if (!record.eventName.startsWith('ObjectCreated:')) return false;
  try {
    return parseResultKey(decodeS3Key(record.s3.object.key)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The files backend's "finished" signal: S3's notification of a result upload, handled as
 * that backend's webhook. S3 filters notifications by one prefix and one suffix only, so
 * the trigger on `runs/…/*.json` also sees manifests, pages and reports we write ourselves;
 * those records are dropped here before anything is read.
 *
 * @throws InvalidInputError `INVALID_INPUT` when the event is not an S3 event.
 */
export async function receiveFilesResults(
  deps: WorkflowDeps,
  event: unknown,
): Promise<{ events: WebhookEventOutcome[] }> {
  const { Records } = parseInput(s3EventSchema, event, 'S3 event');
  const results = Records.filter(isResultUpload);
  if (results.length === 0) return { events: [] };
  const events = await receiveWebhook(
    deps,
    'files',
    { headers: {}, rawBody: JSON.stringify({ Records: results }) },
    { internal: true },
  );
  return { events };
}
