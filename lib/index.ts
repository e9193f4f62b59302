/**
 * annoflow's annotation core: pure TypeScript, no I/O. Everything the service does with
 * labels goes through these functions, and so can anyone who embeds the core.
 *
 * - {@link buildLabelSchema}: validate `annotate()` options into a label schema (SEMANTICS §3).
 * - {@link prepareUpload}: decide what each sample sends to the tool, and record the id map.
 * - {@link mergeAnnotations}: merge a tool's download back, one page at a time (SEMANTICS §6).
 * - {@link resolveAnnotationConfig}: annotation config from env, file and overrides (§8).
 * - {@link validateAnnoKey}: run keys are identifiers (§7.2).
 */
export * from './config/index.js';
export { toHttpError } from './errors/http.js';
export * from './errors/index.js';
export * from './labels/index.js';
export * from './merge/index.js';
export * from './runs/index.js';
export * from './schema/index.js';
