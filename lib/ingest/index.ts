export * from './inspect-media.js';
export * from './mp4-header.js';
