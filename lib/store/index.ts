/**
 * The store: DynamoDB repositories and the S3 media/blob store on AWS SDK v3 (ARCHITECTURE
 * "Data"). Everything takes its clients by parameter; `createStore` wires them.
 */
export * from './batch-write.js';
export * from './blob-store.js';
export * from './clients.js';
export * from './config.js';
export * from './corrupt-data-error.js';
export * from './cursor.js';
export * from './datasets.js';
export * from './deliveries.js';
export * from './executions.js';
export * from './item-size.js';
export * from './keys.js';
export * from './large-fields.js';
export * from './media-objects.js';
export * from './media-store.js';
export * from './merge-dataset-schema.js';
export * from './paging.js';
export * from './runs.js';
export * from './samples.js';
export * from './store.js';
export * from './sweeps.js';
export * from './table.js';
export * from './tasks.js';
