export * from './attributes.js';
export * from './fiftyone-json.js';
export * from './json.js';
export * from './label-types.js';
export * from './object-id.js';
export * from './schemas.js';
