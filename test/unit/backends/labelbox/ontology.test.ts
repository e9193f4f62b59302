import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldsOfOntology, ontologyOf } from '../../../../lib/backends/labelbox/index.js';
import { optionValue, parseJson } from '../../../../lib/backends/labelbox/ontology.js';
import { ontologySchema as assumedOntology } from '../../../emulators/labelbox/assumptions.js';
import { EVERY_TYPE } from './schemas.js';

const GOLDEN = new URL('../../../fixtures/labelbox/ontology.every-type.json', import.meta.url);

describe('Function: ontologyOf', () => {
  it('makes the golden ontology from a schema of every supported type', () => {
    expect(ontologyOf(EVERY_TYPE)).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('makes an ontology the emulator’s assumed Labelbox contract accepts', () => {
    expect(assumedOntology.safeParse(ontologyOf(EVERY_TYPE)).success).toBe(true);
  });

  it('gives every feature a distinct name', () => {
    const ontology = ontologyOf(EVERY_TYPE);
    const names = [...ontology.tools, ...ontology.classifications].map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('asks a select attribute as a searchable radio, Labelbox having dropped dropdowns', () => {
    const [tool] = ontologyOf({ boxes: EVERY_TYPE.boxes as never }).tools;
    const byName = Object.fromEntries(tool?.classifications.map((q) => [q.name, q]) ?? []);
    expect(byName.color).toMatchObject({ type: 'radio', uiMode: 'searchable' });
    expect(byName.occluded).toMatchObject({ type: 'radio' });
    expect(byName.occluded).not.toHaveProperty('uiMode');
  });

  it('puts the class in a required class_name radio, as FiftyOne’s classes_as_attrs does', () => {
    const [tool] = ontologyOf({ boxes: EVERY_TYPE.boxes as never }).tools;
    expect(tool?.classifications[0]).toMatchObject({
      type: 'radio',
      name: 'class_name',
      required: true,
      options: [
        { label: 'car', value: 'car' },
        { label: 'person', value: 'person' },
      ],
    });
  });
});

describe('Function: fieldsOfOntology', () => {
  it.each(Object.keys(EVERY_TYPE))('reads field %s back without loss', (name) => {
    const schema = EVERY_TYPE[name];
    if (!schema) throw new Error(name);
    const back = fieldsOfOntology(ontologyOf({ [name]: schema }));
    expect(back).toEqual({
      [name]: {
        type: schema.type,
        classes: schema.classes,
        attributes: schema.attributes,
        ...(schema.maskTargets ? { maskTargets: schema.maskTargets } : {}),
      },
    });
  });

  it('reads a frame-level field back, its questions asked per frame', () => {
    const scene = {
      type: 'classification' as const,
      classes: ['day'],
      attributes: {},
      existingField: false,
    };
    const ontology = ontologyOf({ 'frames.scene': scene });
    expect(ontology.classifications[0]?.scope).toBe('index');
    expect(fieldsOfOntology(ontology)).toEqual({
      'frames.scene': { type: 'classification', classes: ['day'], attributes: {} },
    });
  });

  it('ignores features annoflow did not make', () => {
    const foreign = {
      tools: [],
      classifications: [
        {
          type: 'radio' as const,
          name: 'x (nonsense)',
          instructions: 'x',
          required: false,
          options: [],
        },
      ],
    };
    expect(fieldsOfOntology(foreign)).toEqual({});
  });
});

describe('Function: optionValue', () => {
  it.each([['red'], ['true'], ['1'], [true], [3], [null], ['"quoted"']])(
    'carries %j through a string and back',
    (value) => {
      expect(parseJson(optionValue(value))).toEqual(value);
    },
  );
});
