export * from './contract.js';
export { duplicateDownloadIds } from './duplicate-ids.js';
export {
  type MergeInput,
  type MergeResult,
  mergeAnnotations,
  mergeInputSchema,
  SCHEMALESS_KEY,
  type UnexpectedPolicy,
  unexpectedPolicySchema,
} from './merge-annotations.js';
export * from './report.js';
