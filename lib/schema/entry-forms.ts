import type { z } from 'zod';
import { LabelSchemaError } from '../errors/index.js';
import { setsOwn } from './format.js';
import type {
  AttributesInput,
  annotateOptionsSchema,
  BackendCapabilities,
  FieldSchema,
  FieldSpecInput,
} from './types.js';

export type ParsedOptions = z.output<typeof annotateOptionsSchema>;

/** The five restriction flags, in FiftyOne's order (SEMANTICS §3.8). */
export const RESTRICTION_FLAGS = [
  'allowAdditions',
  'allowDeletions',
  'allowLabelEdits',
  'allowIndexEdits',
  'allowSpatialEdits',
] as const satisfies ReadonlyArray<keyof FieldSchema & keyof FieldSpecInput>;
export type RestrictionFlag = (typeof RESTRICTION_FLAGS)[number];

/**
 * What one field asks for once the top-level arguments have filled in the keys the field
 * does not set itself (SEMANTICS §3.1). `attributes` is always known: its default is `true`.
 */
export type EffectiveSpec = Pick<
  FieldSpecInput,
  'type' | 'classes' | 'maskTargets' | RestrictionFlag
> & {
  attributes: AttributesInput;
};

export interface RequestedField {
  readonly name: string;
  readonly spec: EffectiveSpec;
}

/**
 * The entry forms of SEMANTICS §3.1: `labelSchema` (a dict, or a list of names as shorthand)
 * wins over `labelField`; `labelField` alone becomes a one-field schema. With neither, a
 * backend that requires a schema refuses; otherwise (CVAT) the run is schemaless and `null`
 * is returned. An empty `labelSchema` counts as not given: an empty run would upload nothing
 * and, on a backend that requires a schema, silently do nothing.
 */
export function requestedFields(
  options: ParsedOptions,
  backend: BackendCapabilities,
): RequestedField[] | null {
  const schema = ownSchema(options);
  if (schema === null) {
    if (backend.requiresLabelSchema) {
      throw new LabelSchemaError(
        'LABEL_SCHEMA_REQUIRED',
        `Either \`label_schema\` or \`label_field\` is required by the '${backend.name}' backend`,
        { backend: backend.name },
      );
    }
    return null;
  }
  return Object.entries(schema).map(([name, own]) => ({ name, spec: withDefaults(own, options) }));
}

function ownSchema(options: ParsedOptions): Record<string, FieldSpecInput> | null {
  const given = options.labelSchema;
  if (Array.isArray(given) && given.length > 0) {
    return Object.fromEntries(given.map((name) => [name, {}]));
  }
  if (given && !Array.isArray(given) && Object.keys(given).length > 0) {
    return Object.fromEntries(Object.entries(given).map(([name, spec]) => [name, spec ?? {}]));
  }
  if (options.labelField) return { [options.labelField]: singleFieldSpec(options) };
  return null;
}

/** FiftyOne's `_init_label_schema`: attributes are copied only when they are not a boolean/null. */
function singleFieldSpec(options: ParsedOptions): FieldSpecInput {
  const spec: FieldSpecInput = {};
  if (options.labelType != null) spec.type = options.labelType;
  if (options.classes != null) spec.classes = options.classes;
  const { attributes } = options;
  if (
    attributes !== undefined &&
    attributes !== true &&
    attributes !== false &&
    attributes !== null
  ) {
    spec.attributes = attributes;
  }
  if (options.maskTargets != null) spec.maskTargets = options.maskTargets;
  for (const flag of RESTRICTION_FLAGS) {
    if (options[flag] !== undefined) spec[flag] = options[flag];
  }
  return spec;
}

function withDefaults(own: FieldSpecInput, options: ParsedOptions): EffectiveSpec {
  const spec: EffectiveSpec = {
    type: setsOwn(own, 'type') ? own.type : (options.labelType ?? undefined),
    classes: setsOwn(own, 'classes') ? own.classes : options.classes,
    attributes: setsOwn(own, 'attributes')
      ? (own.attributes as AttributesInput)
      : options.attributes === undefined
        ? true
        : options.attributes,
    maskTargets: setsOwn(own, 'maskTargets') ? own.maskTargets : options.maskTargets,
  };
  for (const flag of RESTRICTION_FLAGS) {
    const value = setsOwn(own, flag) ? own[flag] : options[flag];
    if (value !== undefined) spec[flag] = value;
  }
  return spec;
}
