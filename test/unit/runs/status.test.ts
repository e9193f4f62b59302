import { describe, expect, it } from 'vitest';
import { AnnotationRunError } from '../../../lib/errors/index.js';
import {
  assertTransition,
  canTransition,
  RUN_STATUSES,
  type RunStatus,
} from '../../../lib/runs/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

// The lifecycle, written out independently of RUN_TRANSITIONS so the table is checked.
const ALLOWED: ReadonlyArray<[RunStatus, RunStatus]> = [
  ['registered', 'uploading'],
  ['uploading', 'annotating'],
  ['annotating', 'loading'],
  ['loading', 'annotating'],
  ['loading', 'loaded'],
  ['loaded', 'loading'],
  ['registered', 'failed'],
  ['uploading', 'failed'],
  ['annotating', 'failed'],
  ['loading', 'failed'],
  ['loaded', 'failed'],
  ['annotating', 'cleaned'],
  ['loaded', 'cleaned'],
  ['failed', 'cleaned'],
];

const isAllowed = (from: RunStatus, to: RunStatus) =>
  from === to || ALLOWED.some(([a, b]) => a === from && b === to);

describe('Constant: RUN_STATUSES', () => {
  it('lists the seven statuses in lifecycle order', () => {
    expect(RUN_STATUSES).toEqual([
      'registered',
      'uploading',
      'annotating',
      'loading',
      'loaded',
      'failed',
      'cleaned',
    ]);
  });
});

describe('Function: assertTransition', () => {
  for (const [from, to] of ALLOWED) {
    it(`allows ${from} → ${to}`, () => {
      expect(() => assertTransition(from, to)).not.toThrow();
    });
  }

  for (const status of RUN_STATUSES) {
    it(`allows ${status} → ${status}, so retries are no-ops`, () => {
      expect(() => assertTransition(status, status)).not.toThrow();
    });
  }

  for (const from of RUN_STATUSES) {
    for (const to of RUN_STATUSES) {
      if (isAllowed(from, to)) continue;
      it(`rejects ${from} → ${to} with INVALID_RUN_TRANSITION naming both`, () => {
        const error = thrown(() => assertTransition(from, to));
        expect(error).toBeInstanceOf(AnnotationRunError);
        expect(error).toMatchObject({
          code: 'INVALID_RUN_TRANSITION',
          message: expect.stringContaining(
            `Cannot move annotation run from status '${from}' to '${to}'`,
          ),
        });
      });
    }
  }

  it('rejects a status that does not exist', () => {
    const error = thrown(() => assertTransition('registered', 'done' as RunStatus));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'INVALID_RUN_TRANSITION',
      message: expect.stringContaining("from status 'registered' to 'done'"),
    });
  });

  it('rejects moving from a status that does not exist, even to itself', () => {
    const error = thrown(() => assertTransition('done' as RunStatus, 'done' as RunStatus));
    expect(error).toMatchObject({ code: 'INVALID_RUN_TRANSITION' });
  });

  it('lists the allowed next statuses in the message', () => {
    const error = thrown(() => assertTransition('loaded', 'uploading'));
    expect(error).toMatchObject({
      message: expect.stringContaining('allowed: loaded, loading, failed, cleaned'),
    });
  });
});

describe('Function: canTransition', () => {
  it('agrees with assertTransition', () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        expect(canTransition(from, to), `${from} → ${to}`).toBe(isAllowed(from, to));
      }
    }
  });
});
