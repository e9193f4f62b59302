import { z } from 'zod';
import { AnnotationRunError } from '../errors/index.js';

/**
 * A run's lifecycle. FiftyOne has no status (a run is a record plus optional results);
 * we need one because the steps of a run happen in separate, retried Lambda invocations.
 *
 * ```
 *   registered ──► uploading ──► annotating ◄──► loading ◄──► loaded
 *                                     │     (partial load)  (reload)
 *                                     ▼                         │
 *                                  cleaned ◄────────────────────┘
 *                                     ▲
 *   every status but cleaned ──► failed
 * ```
 *
 * - `registered`: the record is reserved (key taken, FiftyOne's registration before
 *   upload), nothing is in the tool yet.
 * - `uploading` → `annotating`: tasks exist in the tool and people work on them.
 * - `loading`: downloads are being merged; a partial load (some tasks still open)
 *   returns to `annotating`, a complete one ends in `loaded`; a loaded run may load again.
 * - `failed`: reachable from every status except `cleaned`; like FiftyOne's results-less
 *   record after a failed upload, it keeps the key taken (SEMANTICS §2.2).
 * - `cleaned`: tool-side data deleted; from `annotating`, `loaded` or `failed`.
 *
 * Moving to the status a run already has is always allowed, so retried steps are no-ops.
 */
export const RUN_STATUSES = [
  'registered',
  'uploading',
  'annotating',
  'loading',
  'loaded',
  'failed',
  'cleaned',
] as const;

export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;

/** The statuses each status may move to, besides itself. */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = Object.freeze({
  registered: ['uploading', 'failed'],
  uploading: ['annotating', 'failed'],
  annotating: ['loading', 'failed', 'cleaned'],
  loading: ['annotating', 'loaded', 'failed'],
  // FiftyOne lets a run be loaded again (annotators may keep editing after a load).
  loaded: ['loading', 'failed', 'cleaned'],
  failed: ['cleaned'],
  cleaned: [],
});

function isRunStatus(status: unknown): status is RunStatus {
  return runStatusSchema.safeParse(status).success;
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  if (!isRunStatus(from) || !isRunStatus(to)) return false;
  return from === to || RUN_TRANSITIONS[from].includes(to);
}

/**
 * @throws AnnotationRunError `INVALID_RUN_TRANSITION` naming both statuses, also when
 *   either is not a status at all (e.g. a corrupt stored record).
 */
export function assertTransition(from: RunStatus, to: RunStatus): void {
  if (canTransition(from, to)) return;
  const allowed = isRunStatus(from) ? [from, ...RUN_TRANSITIONS[from]] : [];
  throw new AnnotationRunError(
    'INVALID_RUN_TRANSITION',
    `Cannot move annotation run from status '${String(from)}' to '${String(to)}'; allowed: ${
      allowed.length > 0 ? allowed.join(', ') : 'none'
    }`,
    { from, to, allowed },
  );
}
