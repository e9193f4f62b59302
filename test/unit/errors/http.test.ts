import { describe, expect, it } from 'vitest';
import {
  AnnotationRunError,
  ERROR_CODES,
  InvalidInputError,
  LabelSchemaError,
  toHttpError,
} from '../../../lib/index.js';

describe('Function: toHttpError', () => {
  it.each([
    [new InvalidInputError('Invalid body at name: required'), 400],
    [
      new LabelSchemaError(
        'CLASSES_REQUIRED',
        "You must provide a class list for new label field 'gt'",
      ),
      400,
    ],
    [
      new LabelSchemaError(
        'UNSUPPORTED_LABEL_TYPE',
        "Field 'gt' has unsupported label type 'boxes'",
      ),
      422,
    ],
    [new AnnotationRunError('RUN_KEY_EXISTS', "Annotation run with key 'a' already exists"), 409],
    [new AnnotationRunError('RUN_NOT_FOUND', "Dataset has no annotation run key 'a'"), 404],
  ])('maps %s to %i with the documented body', (error, status) => {
    const { statusCode, body } = toHttpError(error);
    expect(statusCode).toBe(status);
    expect(body).toEqual({
      error: { code: error.code, message: error.message, details: error.details },
    });
  });

  it('never leaks the message of an unknown error', () => {
    const { statusCode, body } = toHttpError(new Error('connect ECONNREFUSED 10.0.0.1:5432'));
    expect(statusCode).toBe(500);
    expect(body.error.message).toBe('Internal error');
  });

  /** Not the caller's fault: the tool is down, and the same call may pass later. */
  const SERVICE_UNAVAILABLE: readonly string[] = ['BACKEND_UNAVAILABLE'];

  it.each(ERROR_CODES.filter((code) => !SERVICE_UNAVAILABLE.includes(code)).map((code) => [code]))(
    'gives %s a 4xx status',
    (code) => {
      const { statusCode } = toHttpError(new LabelSchemaError(code, 'x'));
      expect(statusCode).toBeGreaterThanOrEqual(400);
      expect(statusCode).toBeLessThan(500);
    },
  );

  it('gives BACKEND_UNAVAILABLE 503', () => {
    expect(toHttpError(new LabelSchemaError('BACKEND_UNAVAILABLE', 'x')).statusCode).toBe(503);
  });
});
