import { describe, expect, it } from 'vitest';
import { AnnotationRunError, InvalidInputError } from '../../../lib/errors/index.js';
import {
  createRunRecord,
  listRuns,
  type NewRunRecord,
  type RunRecord,
  runRecordSchema,
  transitionRun,
} from '../../../lib/runs/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const CREATED = new Date('2024-05-01T12:00:00.000Z');
const LATER = new Date('2024-05-01T13:00:00.000Z');

function newRun(overrides: Partial<NewRunRecord> = {}): NewRunRecord {
  return {
    annoKey: 'anno1',
    dataset: 'quickstart',
    backend: 'cvat',
    config: {
      labelSchema: { ground_truth: { type: 'detections' } },
      params: { url: 'https://app.cvat.ai', task_size: 10 },
    },
    now: CREATED,
    ...overrides,
  };
}

function issuePaths(value: unknown): string[] {
  const result = runRecordSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('Function: createRunRecord', () => {
  it('reserves the run in status registered', () => {
    expect(createRunRecord(newRun()).status).toBe('registered');
  });

  it('starts at version 0', () => {
    expect(createRunRecord(newRun()).version).toBe(0);
  });

  it('starts with every counter at zero', () => {
    expect(createRunRecord(newRun()).counters).toEqual({
      tasks: 0,
      tasksCompleted: 0,
      labelsAdded: 0,
      labelsEdited: 0,
      labelsDeleted: 0,
      labelsRefused: 0,
      unexpected: 0,
    });
  });

  it('stamps createdAt and updatedAt with now as ISO UTC', () => {
    const record = createRunRecord(newRun());
    expect(record.createdAt).toBe('2024-05-01T12:00:00.000Z');
    expect(record.updatedAt).toBe('2024-05-01T12:00:00.000Z');
  });

  it('redacts credentials from the params', () => {
    const record = createRunRecord(
      newRun({
        config: { labelSchema: {}, params: { url: 'u', password: 12345, username: 'me' } },
      }),
    );
    expect(record.config.params).toEqual({ url: 'u', password: '***', username: '***' });
  });

  it('keeps unknown config fields, as FiftyOne 2025 keeps unknown params', () => {
    const record = createRunRecord(
      newRun({ config: { labelSchema: {}, params: {}, mediaField: 'filepath', extra: 1 } }),
    );
    expect(record.config).toMatchObject({ mediaField: 'filepath', extra: 1 });
  });

  it('rejects an invalid key with INVALID_ANNO_KEY', () => {
    const error = thrown(() => createRunRecord(newRun({ annoKey: '1st' })));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({ code: 'INVALID_ANNO_KEY' });
  });

  it('rejects an empty dataset name with INVALID_INPUT naming the field', () => {
    const error = thrown(() => createRunRecord(newRun({ dataset: '' })));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'dataset'"),
    });
  });

  it('rejects the unexpected policy "prompt", which a service cannot honour', () => {
    const error = thrown(() =>
      createRunRecord(
        newRun({ config: { labelSchema: {}, params: {}, unexpected: 'prompt' as 'keep' } }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ message: expect.stringContaining("at 'config.unexpected'") });
  });

  it('does not mutate the given params', () => {
    const params = { password: 'p' };
    createRunRecord(newRun({ config: { labelSchema: {}, params } }));
    expect(params).toEqual({ password: 'p' });
  });
});

describe('Schema: runRecordSchema', () => {
  const record = createRunRecord(newRun());

  it('accepts a record it produced', () => {
    expect(runRecordSchema.parse(record)).toEqual(record);
  });

  it('rejects an unredacted credential in the params', () => {
    const leaky = { ...record, config: { ...record.config, params: { api_key: 'k' } } };
    expect(issuePaths(leaky)).toEqual(['config.params']);
  });

  it('rejects an unredacted credential nested in the params', () => {
    const leaky = { ...record, config: { ...record.config, params: { auth: { token: 't' } } } };
    expect(issuePaths(leaky)).toEqual(['config.params']);
  });

  it('accepts a null credential in the params', () => {
    const absent = { ...record, config: { ...record.config, params: { password: null } } };
    expect(issuePaths(absent)).toEqual([]);
  });

  it('rejects a failed run without a failure', () => {
    expect(issuePaths({ ...record, status: 'failed' })).toEqual(['failure']);
  });

  it('rejects updatedAt before createdAt', () => {
    expect(issuePaths({ ...record, updatedAt: '2024-01-01T00:00:00.000Z' })).toEqual(['updatedAt']);
  });

  it('rejects a timestamp that is not ISO 8601', () => {
    expect(issuePaths({ ...record, createdAt: 'yesterday' })).toContain('createdAt');
  });

  it('rejects an invalid key', () => {
    expect(issuePaths({ ...record, annoKey: 'a-b' })).toEqual(['annoKey']);
  });

  it('rejects a negative counter', () => {
    expect(issuePaths({ ...record, counters: { ...record.counters, labelsAdded: -1 } })).toEqual([
      'counters.labelsAdded',
    ]);
  });

  it('rejects an unknown status', () => {
    expect(issuePaths({ ...record, status: 'done' })).toEqual(['status']);
  });
});

describe('Function: transitionRun', () => {
  const registered = createRunRecord(newRun());

  it('moves the record to the new status', () => {
    expect(transitionRun(registered, 'uploading', LATER).status).toBe('uploading');
  });

  it('increments the version', () => {
    expect(transitionRun(registered, 'uploading', LATER).version).toBe(1);
  });

  it('stamps updatedAt and keeps createdAt', () => {
    const moved = transitionRun(registered, 'uploading', LATER);
    expect(moved.updatedAt).toBe('2024-05-01T13:00:00.000Z');
    expect(moved.createdAt).toBe(registered.createdAt);
  });

  it('returns the record unchanged when the status is the same', () => {
    expect(transitionRun(registered, 'registered', LATER)).toBe(registered);
  });

  it('does not mutate the given record', () => {
    const copy = structuredClone(registered);
    transitionRun(registered, 'uploading', LATER);
    expect(registered).toEqual(copy);
  });

  it('rejects an illegal move with INVALID_RUN_TRANSITION', () => {
    const error = thrown(() => transitionRun(registered, 'loaded', LATER));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'INVALID_RUN_TRANSITION',
      message: expect.stringContaining("from status 'registered' to 'loaded'"),
    });
  });

  it('records the failure when moving to failed', () => {
    const failure = { code: 'UPLOAD_FAILED', message: 'CVAT said no' };
    expect(transitionRun(registered, 'failed', LATER, failure).failure).toEqual(failure);
  });

  it('rejects a move to failed without a failure with INVALID_INPUT', () => {
    const error = thrown(() => transitionRun(registered, 'failed', LATER));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining("at 'failure'"),
    });
  });

  it('keeps the failure when a failed run is cleaned', () => {
    const failure = { code: 'UPLOAD_FAILED', message: 'CVAT said no' };
    const failed = transitionRun(registered, 'failed', LATER, failure);
    expect(transitionRun(failed, 'cleaned', LATER).failure).toEqual(failure);
  });

  it('rejects a time before the record was created with INVALID_INPUT', () => {
    const error = thrown(() =>
      transitionRun(registered, 'uploading', new Date('2024-01-01T00:00:00.000Z')),
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('Function: listRuns', () => {
  function run(
    annoKey: string,
    backend: string,
    config: Partial<RunRecord['config']> = {},
    status: RunRecord['status'] = 'annotating',
  ): RunRecord {
    const record = createRunRecord(
      newRun({ annoKey, backend, config: { labelSchema: {}, params: {}, ...config } }),
    );
    return { ...record, status };
  }

  const records = [
    run('b_run', 'cvat', { params: { project_name: 'p1', job_assignees: ['x', 'y'] } }),
    run('a_run', 'labelstudio', { destField: 'reviewed' }, 'loaded'),
    run('Z_run', 'cvat', { params: { project_name: 'p2' } }, 'loaded'),
    run('é_run', 'files'),
  ];

  it('returns every key sorted by code point, as Python sorts', () => {
    expect(listRuns(records)).toEqual(['Z_run', 'a_run', 'b_run', 'é_run']);
  });

  it('returns an empty list for a dataset without runs', () => {
    expect(listRuns([])).toEqual([]);
  });

  it('filters by backend', () => {
    expect(listRuns(records, { backend: 'cvat' })).toEqual(['Z_run', 'b_run']);
  });

  it('filters by status', () => {
    expect(listRuns(records, { status: 'loaded' })).toEqual(['Z_run', 'a_run']);
  });

  it('filters by a config attribute', () => {
    expect(listRuns(records, { destField: 'reviewed' })).toEqual(['a_run']);
  });

  it('filters by a backend param, where FiftyOne keeps it as a config attribute', () => {
    expect(listRuns(records, { project_name: 'p1' })).toEqual(['b_run']);
  });

  it('compares values deeply', () => {
    expect(listRuns(records, { job_assignees: ['x', 'y'] })).toEqual(['b_run']);
  });

  it('treats a missing attribute as null', () => {
    expect(listRuns(records, { destField: null })).toEqual(['Z_run', 'b_run', 'é_run']);
  });

  it('requires every filter to match', () => {
    expect(listRuns(records, { backend: 'cvat', status: 'loaded' })).toEqual(['Z_run']);
  });

  it('ignores filters whose value is undefined', () => {
    expect(listRuns(records, { backend: undefined })).toHaveLength(4);
  });

  it('returns no keys when nothing matches', () => {
    expect(listRuns(records, { backend: 'labelbox' })).toEqual([]);
  });
});
