import middy from '@middy/core';
import { parseInput } from '../../lib/errors/index.js';
import { s3EventSchema } from '../../lib/ingest/s3-event.js';
import { sharedStoreClients } from '../../lib/store/clients.js';
import { loadStoreConfig } from '../../lib/store/config.js';
import { createStore, type Store } from '../../lib/store/store.js';
import { ingestRecord } from '../../lib/workflows/ingest.js';

// Built per invocation from the environment (cheap: no I/O); the SDK clients underneath
// are shared per process.
function ingestStore(): Store {
  const config = loadStoreConfig();
  return createStore(sharedStoreClients(config), {
    tableName: config.tableName,
    bucket: config.mediaBucket,
  });
}

/**
 * S3 notifications for `datasets/`: each record becomes, refreshes or retires a sample.
 * A thrown error (a store outage) fails the invocation so Lambda retries, then the DLQ.
 */
export const handler = middy().handler(async (event: unknown) => {
  const { Records } = parseInput(s3EventSchema, event, 'S3 event');
  const store = ingestStore();
  const outcomes = [];
  for (const record of Records) {
    const outcome = await ingestRecord(store, record);
    console.log(
      JSON.stringify({
        level: outcome.outcome === 'rejected' ? 'warn' : 'info',
        message: 'ingest',
        ...outcome,
      }),
    );
    outcomes.push(outcome);
  }
  return { outcomes };
});
