export * from './coco.js';
export * from './inspect-media.js';
export * from './mp4-header.js';
export * from './s3-event.js';
