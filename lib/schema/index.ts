export * from './build-label-schema.js';
export * from './capabilities.js';
export * from './infer-fields.js';
export * from './prepare-upload.js';
export * from './types.js';
export * from './upload-sample.js';
