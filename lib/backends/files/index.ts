export * from './files-backend.js';
export { type ResultIssue, resultIssueSchema } from './issues.js';
export * from './keys.js';
export * from './manifest.js';
export {
  type ResultContext,
  type ResultConversion,
  resultToAnnotations,
  taskResultSchema,
} from './result.js';
