import { describe, expect, it } from 'vitest';
import { LABELBOX_CAPABILITIES } from '../../../lib/schema/index.js';
import { build, expectSchemaError } from './fixtures.js';

const labelbox = { backend: LABELBOX_CAPABILITIES };

describe('Function: buildLabelSchema on a tool that cannot edit existing labels', () => {
  it('refuses an existing field with FiftyOne’s Labelbox error', () => {
    expectSchemaError(
      () => build({ labelField: 'ground_truth', classes: ['car'] }, labelbox),
      'EXISTING_FIELD_UNSUPPORTED',
      "Cannot use existing field 'ground_truth'; the Labelbox backend does not yet support uploading existing labels",
    );
  });

  it('refuses an existing scalar field too', () => {
    expectSchemaError(
      () => build({ labelField: 'caption' }, labelbox),
      'EXISTING_FIELD_UNSUPPORTED',
      "Cannot use existing field 'caption'",
    );
  });

  it('reports a validation error of a later field first, as FiftyOne validates before uploading', () => {
    expectSchemaError(
      () =>
        build(
          { labelSchema: { ground_truth: { classes: ['car'] }, fresh: { classes: ['a'] } } },
          labelbox,
        ),
      'SCHEMA_TYPE_REQUIRED',
      "You must specify a type for new label field 'fresh'",
    );
  });

  it('builds a schema of new fields only', () => {
    const { labelSchema } = build(
      { labelSchema: { fresh: { type: 'detections', classes: ['car'] } } },
      labelbox,
    );
    expect(labelSchema.fresh).toMatchObject({ type: 'detections', existingField: false });
  });
});
