export * from './annotation-config.js';
export * from './backend.js';
export * from './env-value.js';
