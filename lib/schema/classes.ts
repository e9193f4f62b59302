import { compareCodePoints } from '../config/annotation-config.js';
import { LabelSchemaError } from '../errors/index.js';
import { type AttributeContext, buildAttributes } from './attribute-specs.js';
import type { ResolvedField } from './field-type.js';
import { pyRepr } from './format.js';
import { attributesInputSchema, type FieldSchema } from './types.js';

/** Whether a field's classes must be read from its labels (§3.5: `[]` counts as missing). */
export function classesMissing(field: ResolvedField): boolean {
  const { classes } = field.spec;
  return !Array.isArray(classes) || classes.length === 0;
}

/**
 * SEMANTICS §3.5 for every type but segmentation: given classes are kept, class groups are
 * parsed (their attributes built like a field's, inferred from their own classes' labels);
 * missing classes are `[]` for scalars, an error for new fields, and the sorted distinct
 * labels seen in the samples for existing fields (none seen is not an error).
 */
export function buildClasses(
  field: ResolvedField,
  observed: ReadonlySet<string> | undefined,
  attributeContext: AttributeContext,
): FieldSchema['classes'] {
  const { classes } = field.spec;
  if (classes && classes.length > 0) {
    return classes.map((item) =>
      typeof item === 'string' ? item : parseClassGroup(item, attributeContext),
    );
  }
  if (field.type === 'scalar') return [];
  if (!field.existing) {
    throw new LabelSchemaError(
      'CLASSES_REQUIRED',
      `You must provide a class list for new label field '${field.name}'`,
      { field: field.name },
    );
  }
  // Python's sorted(): by code point, not by UTF-16 unit.
  return [...(observed ?? [])].sort(compareCodePoints);
}

function invalidClassesDict(group: Record<string, unknown>): LabelSchemaError {
  return new LabelSchemaError('INVALID_CLASSES_DICT', `Invalid classes dict ${pyRepr(group)}`, {
    classesDict: group,
  });
}

function parseClassGroup(
  group: Record<string, unknown>,
  attributeContext: AttributeContext,
): Exclude<FieldSchema['classes'][number], string> {
  if (!Object.hasOwn(group, 'classes') || !Object.hasOwn(group, 'attributes')) {
    throw invalidClassesDict(group);
  }
  const raw = group.classes;
  const classes = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(classes) || !classes.every((name) => typeof name === 'string')) {
    throw invalidClassesDict(group);
  }
  const attributes = attributesInputSchema.safeParse(group.attributes);
  if (!attributes.success) throw invalidClassesDict(group);
  return {
    classes: [...classes],
    attributes: buildAttributes(attributes.data, attributeContext, classes),
  };
}
