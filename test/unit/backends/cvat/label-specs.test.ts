import { describe, expect, it } from 'vitest';
import {
  checkProjectLabels,
  cvatParamsSchema,
  planCvatLabels,
} from '../../../../lib/backends/cvat/index.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import { field } from '../../../support/builders.js';

const params = cvatParamsSchema.parse({});
const labelId = { name: 'label_id', mutable: true, input_type: 'text', values: [] };

describe('CVAT label specs', () => {
  it('makes one label per class with the schema attributes and label_id', () => {
    const schema: LabelSchema = {
      gt: field({
        type: 'detections',
        classes: ['car', 'person'],
        attributes: {
          color: { type: 'select', values: ['red', 'blue'], default: 'red' },
          parked: { type: 'checkbox', values: [true, false], default: false },
          note: { type: 'text', values: [], mutable: false },
        },
      }),
    };

    const plan = planCvatLabels(schema, params);

    expect(plan.specs.map((spec) => spec.name)).toEqual(['car', 'person']);
    expect(plan.specs[0]?.attributes).toEqual([
      {
        name: 'color',
        mutable: true,
        input_type: 'select',
        values: ['red', 'blue'],
        default_value: 'red',
      },
      {
        name: 'parked',
        mutable: true,
        input_type: 'checkbox',
        values: ['false'],
        default_value: 'false',
      },
      { name: 'note', mutable: false, input_type: 'text', values: [] },
      labelId,
    ]);
  });

  it('renames a class two fields share to <class>_<field>', () => {
    const plan = planCvatLabels(
      {
        gt: field({ type: 'detections', classes: ['car', 'tree'] }),
        pred: field({ type: 'polylines', classes: ['car'] }),
      },
      params,
    );
    expect(plan.specs.map((spec) => spec.name)).toEqual(['car_gt', 'tree', 'car_pred']);
    expect(plan.nameOf('pred', 'car')).toBe('car_pred');
    expect(plan.byName.get('car_gt')).toMatchObject({ field: 'gt', className: 'car' });
  });

  it('adds class-group attributes to the classes of the group only', () => {
    const plan = planCvatLabels(
      {
        gt: field({
          type: 'detections',
          classes: [
            'tree',
            { classes: ['car'], attributes: { make: { type: 'text', values: [] } } },
          ],
        }),
      },
      params,
    );
    expect(plan.specs.map((spec) => spec.attributes.map((each) => each.name))).toEqual([
      ['label_id'],
      ['make', 'label_id'],
    ]);
  });

  it('binds occluded and group_id attributes to CVAT flags instead of sending them', () => {
    const plan = planCvatLabels(
      {
        gt: field({
          type: 'detections',
          classes: ['car'],
          attributes: { hidden: { type: 'occluded' }, crowd: { type: 'group_id' } },
        }),
      },
      params,
    );
    expect(plan.specs[0]?.attributes).toEqual([labelId]);
    expect(plan.byName.get('car')).toMatchObject({ occludedAttr: 'hidden', groupIdAttr: 'crowd' });
  });

  it.each([
    [
      'a reserved label_id attribute',
      { type: 'detections', classes: ['car'], attributes: { label_id: { type: 'text' } } },
      'INVALID_INPUT',
    ],
    [
      'a class name over 64 characters',
      { type: 'detections', classes: ['x'.repeat(65)] },
      'INVALID_INPUT',
    ],
  ] as const)('refuses %s', (_name, overrides, code) => {
    expect(() => planCvatLabels({ gt: field(overrides as never) }, params)).toThrow(
      expect.objectContaining({ code }),
    );
  });
});

describe('CVAT label specs: an existing project', () => {
  const plan = planCvatLabels(
    {
      gt: field({
        type: 'detections',
        classes: ['car'],
        attributes: { color: { type: 'select', values: ['red'] } },
      }),
    },
    params,
  );
  const color = {
    id: 1,
    name: 'color',
    mutable: true,
    input_type: 'select' as const,
    values: ['red', 'blue'],
  };
  const labelIdAttr = { id: 2, ...labelId, input_type: 'text' as const };

  it('accepts a project whose labels have everything the schema needs', () => {
    expect(
      checkProjectLabels(plan, [{ id: 9, name: 'car', attributes: [color, labelIdAttr] }], 3),
    ).toEqual([]);
  });

  it('returns the labels that only lack label_id, for patching', () => {
    const car = { id: 9, name: 'car', attributes: [color] };
    expect(checkProjectLabels(plan, [car], 3)).toEqual([car]);
  });

  it('reports every other difference as a typed error', () => {
    expect(() =>
      checkProjectLabels(
        plan,
        [{ id: 9, name: 'car', attributes: [{ ...color, input_type: 'radio' }] }],
        3,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'BACKEND_SCHEMA_MISMATCH',
        details: {
          projectId: 3,
          problems: ["attribute 'color' of label 'car' is radio, not select"],
        },
      }),
    );
    expect(() => checkProjectLabels(plan, [], 3)).toThrow(/label 'car' is missing/);
  });
});
