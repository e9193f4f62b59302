export * from './keys.js';
export * from './record.js';
export * from './status.js';
