import { describe, expect, it } from 'vitest';
import {
  annotateRequestJsonSchema,
  annotateRequestSchema,
  failAnnotateInputSchema,
  MAX_STEP_INPUT_BYTES,
  parseStepInput,
} from '../../../lib/workflows/inputs.js';

describe('Workflow step inputs', () => {
  it('fills the annotate request defaults', () => {
    expect(
      parseStepInput(annotateRequestSchema, { dataset: 'd', annoKey: 'k' }, 'request'),
    ).toEqual({
      dataset: 'd',
      annoKey: 'k',
      pageSize: 1000,
      waitForCompletion: false,
      autoLoad: false,
      backendParams: {},
    });
  });

  it('refuses an input over 32 KiB before parsing it', () => {
    const sampleIds = Array.from({ length: 2000 }, (_, index) => `sample-${index}-padding`);

    expect(() =>
      parseStepInput(annotateRequestSchema, { dataset: 'd', annoKey: 'k', sampleIds }, 'request'),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        details: expect.objectContaining({ max: MAX_STEP_INPUT_BYTES }),
      }),
    );
  });

  it('takes a failure as a step reports it or as a Step Functions Catch hands it on', () => {
    const base = { dataset: 'd', annoKey: 'k' };

    expect(
      parseStepInput(failAnnotateInputSchema, { ...base, error: { code: 'X', message: 'm' } }, 'f')
        .error,
    ).toEqual({ code: 'X', message: 'm' });
    expect(
      parseStepInput(
        failAnnotateInputSchema,
        { ...base, error: { Error: 'BackendError', Cause: '{"errorMessage":"tool down"}' } },
        'f',
      ).error,
    ).toEqual({ code: 'BackendError', message: 'tool down' });
    expect(
      parseStepInput(failAnnotateInputSchema, { ...base, error: { Error: 'States.Timeout' } }, 'f')
        .error,
    ).toEqual({ code: 'States.Timeout', message: 'States.Timeout' });
  });

  it('publishes the annotate request as JSON Schema', () => {
    const schema = annotateRequestJsonSchema();

    expect(schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['dataset', 'annoKey']),
      additionalProperties: false,
      properties: expect.objectContaining({
        pageSize: expect.objectContaining({ maximum: 5000, default: 1000 }),
        labelField: expect.anything(),
      }),
    });
  });
});
