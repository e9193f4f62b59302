export * from './contract.js';
export {
  type MergeInput,
  type MergeResult,
  mergeAnnotations,
  mergeInputSchema,
  type UnexpectedPolicy,
  unexpectedPolicySchema,
} from './merge-annotations.js';
export * from './report.js';
