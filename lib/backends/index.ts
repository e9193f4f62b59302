/**
 * Annotation backends (ARCHITECTURE "Layers"): the interface the workflows call, the
 * registry that finds a backend by name or loads a user's module, and the built-in ones.
 */
export * from './backend.js';
export * from './custom-module.js';
export * as files from './files/index.js';
export { createFilesBackend } from './files/index.js';
export type { BackendObjectStore } from './object-store.js';
export * from './registry.js';
export * from './secrets.js';
export { assertBackendShape, guardBackend } from './shape.js';
export { headerValue, timingSafeEqualText } from './webhook.js';
