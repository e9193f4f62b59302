import { z } from 'zod';
import { BackendError, parseInput } from '../errors/index.js';
import { annotationsSchema } from '../merge/contract.js';
import { backendCapabilitiesSchema } from '../schema/types.js';
import {
  type AnnotationBackend,
  refreshMediaResultSchema,
  taskStatusSchema,
  uploadResultSchema,
  webhookEventsSchema,
} from './backend.js';

const method = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === 'function',
  'must be a function',
);

/** What makes an object an {@link AnnotationBackend}, checked on anything a user module made. */
const backendShapeSchema = z.object({
  capabilities: backendCapabilitiesSchema,
  upload: method,
  download: method,
  status: method,
  cleanup: method,
  registerWebhooks: method,
  verifyWebhook: method,
  parseWebhook: method,
  refreshMedia: method.optional(),
  checkRun: method.optional(),
});

/**
 * Checks that `value` is an annotation backend. Only checks: the original object is used
 * (a class instance keeps its prototype and `this`).
 *
 * @throws BackendError `BACKEND_MODULE_INVALID` naming the first missing or wrong member.
 */
export function assertBackendShape(value: unknown, source: string): AnnotationBackend {
  // Class instances keep their methods on the prototype; zod reads own and inherited alike.
  const parsed = backendShapeSchema.safeParse(
    value !== null && typeof value === 'object' ? withInherited(value) : value,
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `'${issue.path.join('.')}' ` : '';
    throw new BackendError(
      'BACKEND_MODULE_INVALID',
      `${source} did not return an AnnotationBackend: ${where}${issue?.message ?? 'invalid'}`,
      {
        source,
        issues: parsed.error.issues.map((each) => ({
          path: each.path.join('.'),
          message: each.message,
        })),
      },
    );
  }
  return value as AnnotationBackend;
}

/** A plain view of an object with the members its prototype chain provides. */
function withInherited(value: object): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const key of Object.keys(backendShapeSchema.shape)) {
    view[key] = (value as Record<string, unknown>)[key];
  }
  return view;
}

/**
 * Wraps a user's backend so that everything it returns is parsed with the interface's zod
 * schemas: a misbehaving module fails at the call that went wrong, with the method named,
 * instead of corrupting a task record or a merge later. Built-in backends need no wrapper.
 */
export function guardBackend(backend: AnnotationBackend, name: string): AnnotationBackend {
  const what = (method: string) => `result of backend '${name}'.${method}()`;
  // Optional: the guard must not invent it, since callers test for its presence.
  const refresh = backend.refreshMedia?.bind(backend);
  const checkRun = backend.checkRun?.bind(backend);
  return {
    capabilities: parseInput(
      backendCapabilitiesSchema,
      backend.capabilities,
      `backend '${name}' capabilities`,
    ),
    upload: async (ctx) =>
      parseInput(uploadResultSchema, await backend.upload(ctx), what('upload')),
    download: async (ctx, task) =>
      parseInput(annotationsSchema, await backend.download(ctx, task), what('download')),
    status: async (ctx, task) =>
      parseInput(taskStatusSchema, await backend.status(ctx, task), what('status')),
    cleanup: (ctx, tasks) => backend.cleanup(ctx, tasks),
    registerWebhooks: (ctx) => backend.registerWebhooks(ctx),
    verifyWebhook: async (request) => (await backend.verifyWebhook(request)) === true,
    parseWebhook: (request) =>
      parseInput(webhookEventsSchema, backend.parseWebhook(request), what('parseWebhook')),
    ...(refresh
      ? {
          refreshMedia: async (ctx, task) =>
            parseInput(refreshMediaResultSchema, await refresh(ctx, task), what('refreshMedia')),
        }
      : {}),
    ...(checkRun ? { checkRun: async (ctx) => void (await checkRun(ctx)) } : {}),
  };
}
