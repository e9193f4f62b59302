import { describe, expect, it } from 'vitest';
import { AnnotationRunError } from '../../../lib/errors/index.js';
import { registerRun, renameRunKey, requireRun, validateAnnoKey } from '../../../lib/runs/index.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

function* once(...keys: string[]): Generator<string> {
  yield* keys;
}

// Every case below agrees with CPython's str.isidentifier().
describe('Function: validateAnnoKey', () => {
  const valid = [
    'a',
    'anno1',
    '_private',
    '_1',
    'x_1_y',
    'Ünïcödé',
    'ключ',
    '名前',
    'a٠',
    'x·',
    '℘x',
    'ﬁle',
    'class',
    'None',
  ];
  for (const key of valid) {
    it(`accepts ${JSON.stringify(key)}`, () => {
      expect(() => validateAnnoKey(key)).not.toThrow();
    });
  }

  const invalid = [
    '',
    '1abc',
    '٠a',
    'with-dash',
    'with space',
    'dot.ted',
    ' lead',
    'trail ',
    'emoji😀',
    '$x',
    // ID_Continue but not XID_Continue: Python refuses it, so must we.
    'a\u309b',
  ];
  for (const key of invalid) {
    it(`rejects ${JSON.stringify(key)} with INVALID_ANNO_KEY`, () => {
      const error = thrown(() => validateAnnoKey(key));
      expect(error).toBeInstanceOf(AnnotationRunError);
      expect(error).toMatchObject({
        code: 'INVALID_ANNO_KEY',
        message: `Invalid annotation run key '${key}'. Keys must be valid variable names`,
      });
    });
  }

  it('rejects a key that is not a string', () => {
    const error = thrown(() => validateAnnoKey(5 as unknown as string));
    expect(error).toMatchObject({
      code: 'INVALID_ANNO_KEY',
      message: expect.stringContaining("Invalid annotation run key '5'"),
    });
  });
});

describe('Function: registerRun', () => {
  it('accepts a new valid key', () => {
    expect(() => registerRun(['a', 'b'], 'c')).not.toThrow();
  });

  it('accepts the first key of a dataset', () => {
    expect(() => registerRun([], 'first')).not.toThrow();
  });

  it('compares keys case-sensitively', () => {
    expect(() => registerRun(new Set(['run']), 'Run')).not.toThrow();
  });

  it('rejects an existing key with RUN_KEY_EXISTS', () => {
    const error = thrown(() => registerRun(new Set(['a', 'b']), 'b'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'RUN_KEY_EXISTS',
      message: "Annotation run with key 'b' already exists",
    });
  });

  it('rejects an invalid key with INVALID_ANNO_KEY', () => {
    const error = thrown(() => registerRun([], 'bad-key'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({ code: 'INVALID_ANNO_KEY' });
  });

  it('validates the key before checking uniqueness', () => {
    const error = thrown(() => registerRun(['1bad'], '1bad'));
    expect(error).toMatchObject({ code: 'INVALID_ANNO_KEY' });
  });

  it('accepts keys from a one-shot iterable', () => {
    const error = thrown(() => registerRun(once('a', 'b'), 'b'));
    expect(error).toMatchObject({ code: 'RUN_KEY_EXISTS' });
  });
});

describe('Function: renameRunKey', () => {
  it('accepts renaming an existing key to an unused valid key', () => {
    expect(() => renameRunKey(['a', 'b'], 'a', 'c')).not.toThrow();
  });

  it('rejects an unknown key with RUN_NOT_FOUND', () => {
    const error = thrown(() => renameRunKey(['a'], 'x', 'y'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: "Dataset has no annotation run key 'x'",
    });
  });

  it("rejects a taken new key with RUN_KEY_EXISTS in FiftyOne's wording", () => {
    const error = thrown(() => renameRunKey(['a', 'b'], 'a', 'b'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'RUN_KEY_EXISTS',
      message: "A annotation run with key 'b' already exists",
    });
  });

  it('rejects renaming a run to its own key, as FiftyOne does', () => {
    const error = thrown(() => renameRunKey(['a'], 'a', 'a'));
    expect(error).toMatchObject({ code: 'RUN_KEY_EXISTS' });
  });

  it("checks the new key is free before checking the old key exists, in FiftyOne's order", () => {
    const error = thrown(() => renameRunKey(['b'], 'missing', 'b'));
    expect(error).toMatchObject({ code: 'RUN_KEY_EXISTS' });
  });

  it('rejects an invalid new key with INVALID_ANNO_KEY, which FiftyOne does not', () => {
    const error = thrown(() => renameRunKey(['a'], 'a', 'not valid'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'INVALID_ANNO_KEY',
      message: "Invalid annotation run key 'not valid'. Keys must be valid variable names",
    });
  });

  it('validates the new key only after the FiftyOne checks', () => {
    const error = thrown(() => renameRunKey(['a'], 'missing', 'not valid'));
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });

  it('accepts keys from a one-shot iterable', () => {
    expect(() => renameRunKey(once('a', 'b'), 'a', 'c')).not.toThrow();
  });
});

describe('Function: requireRun', () => {
  const records = [
    { annoKey: 'a', backend: 'cvat' },
    { annoKey: 'b', backend: 'files' },
  ];

  it('returns the record with the key', () => {
    expect(requireRun(records, 'b')).toBe(records[1]);
  });

  it('returns the key when given keys', () => {
    expect(requireRun(new Set(['a', 'b']), 'a')).toBe('a');
  });

  it('rejects a missing key among records with RUN_NOT_FOUND', () => {
    const error = thrown(() => requireRun(records, 'c'));
    expect(error).toBeInstanceOf(AnnotationRunError);
    expect(error).toMatchObject({
      code: 'RUN_NOT_FOUND',
      message: "Dataset has no annotation run key 'c'",
    });
  });

  it('rejects a missing key among keys with RUN_NOT_FOUND', () => {
    const error = thrown(() => requireRun([], 'c'));
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});
