import { BackendError, InvalidInputError } from '../../errors/index.js';
import type { AttributeSpec, FieldSchema, LabelSchema } from '../../schema/types.js';
import type { CvatLabel } from './api.js';
import type { CvatParams } from './params.js';

/** The text attribute that carries our label id through CVAT (SEMANTICS §5.2). */
export const LABEL_ID_ATTR = 'label_id';
const NAME_LIMIT = 64;

/** A CVAT label spec as sent in `labels` of a project (`PatchedLabelRequest`). */
export interface CvatLabelSpec {
  name: string;
  attributes: Array<{
    name: string;
    mutable: boolean;
    input_type: 'checkbox' | 'radio' | 'text' | 'select';
    values: string[];
    default_value?: string;
  }>;
}

/** What one CVAT label stands for: a class of a field, with the attributes it carries. */
export interface CvatLabelBinding {
  labelName: string;
  field: string;
  className: string;
  fieldSchema: FieldSchema;
  /** Attributes sent as CVAT attributes, by name. */
  attributes: Record<string, AttributeSpec>;
  /** The label attribute bound to CVAT's `occluded` flag, if any. */
  occludedAttr?: string;
  /** The label attribute bound to CVAT's shape `group`, if any. */
  groupIdAttr?: string;
  /**
   * Scalar fields are tags (SEMANTICS §9.7): with classes, one tag label per class and the
   * value is the class; without, one tag label named after the field whose `value`
   * attribute holds the value.
   */
  scalar?: 'class' | 'value';
}

export interface CvatLabelPlan {
  specs: CvatLabelSpec[];
  byName: Map<string, CvatLabelBinding>;
  /** The CVAT label name of a field's class. */
  nameOf(field: string, className: string): string | undefined;
}

/** The text attribute of a class-less scalar field's tag. */
export const SCALAR_VALUE_ATTR = 'value';

/** A value as CVAT stores it: strings, booleans lower-case (reference §1.4). */
export function attributeText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/**
 * The CVAT labels of a run: one per class of each field, named after the class, or
 * `<class>_<field>` when two fields share the class (SEMANTICS §9.5). Every label carries
 * the `label_id` text attribute. Deterministic, so download rebuilds the same plan.
 *
 * Every label type has a form in CVAT (masks included), so no field is refused here.
 *
 * @throws InvalidInputError for names CVAT refuses (SEMANTICS §3.10).
 */
export function planCvatLabels(labelSchema: LabelSchema, params: CvatParams): CvatLabelPlan {
  const listed = (schema: FieldSchema) =>
    schema.classes.flatMap((entry) => (typeof entry === 'string' ? [entry] : entry.classes));
  const freeScalar = (schema: FieldSchema) =>
    schema.type === 'scalar' && listed(schema).length === 0;
  // A class-less scalar field is one label named after the field.
  const classesOfField = (field: string, schema: FieldSchema) =>
    freeScalar(schema) ? [field] : listed(schema);
  const seen = new Map<string, number>();
  for (const [field, schema] of Object.entries(labelSchema)) {
    const classesOf = () => classesOfField(field, schema);
    for (const name of new Set(classesOf())) seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  const specs: CvatLabelSpec[] = [];
  const byName = new Map<string, CvatLabelBinding>();
  const names = new Map<string, string>();
  for (const [field, schema] of Object.entries(labelSchema)) {
    for (const className of new Set(classesOfField(field, schema))) {
      const labelName = (seen.get(className) ?? 0) > 1 ? `${className}_${field}` : className;
      if (labelName.length > NAME_LIMIT) {
        throw new InvalidInputError(
          `Class name '${labelName}' exceeds the ${NAME_LIMIT} character limit of CVAT`,
          { field, className },
        );
      }
      if (schema.type === 'scalar') {
        const free = freeScalar(schema);
        const binding: CvatLabelBinding = {
          labelName,
          field,
          className,
          fieldSchema: schema,
          attributes: free ? { [SCALAR_VALUE_ATTR]: { type: 'text', values: [] } } : {},
          scalar: free ? 'value' : 'class',
        };
        byName.set(labelName, binding);
        names.set(`${field}\u0000${className}`, labelName);
        specs.push({
          name: labelName,
          attributes: free
            ? [{ name: SCALAR_VALUE_ATTR, mutable: true, input_type: 'text', values: [] }]
            : [],
        });
        continue;
      }
      const attributes = { ...schema.attributes };
      for (const entry of schema.classes) {
        if (typeof entry !== 'string' && entry.classes.includes(className)) {
          Object.assign(attributes, entry.attributes);
        }
      }
      const binding = bind(labelName, field, className, schema, attributes, params);
      byName.set(labelName, binding);
      names.set(`${field}\u0000${className}`, labelName);
      specs.push({ name: labelName, attributes: attributeSpecs(binding) });
    }
  }
  return {
    specs,
    byName,
    nameOf: (field, className) => names.get(`${field}\u0000${className}`),
  };
}

function bind(
  labelName: string,
  field: string,
  className: string,
  fieldSchema: FieldSchema,
  all: Record<string, AttributeSpec>,
  params: CvatParams,
): CvatLabelBinding {
  const attributes: Record<string, AttributeSpec> = {};
  let occludedAttr = params.occluded_attr;
  let groupIdAttr = params.group_id_attr;
  for (const [name, spec] of Object.entries(all)) {
    if (name === LABEL_ID_ATTR) {
      throw new InvalidInputError(
        `Field '${field}' cannot use the reserved attribute name '${LABEL_ID_ATTR}'`,
        { field },
      );
    }
    if (name.length > NAME_LIMIT) {
      throw new InvalidInputError(
        `Attribute name '${name}' exceeds the ${NAME_LIMIT} character limit of CVAT`,
        { field, attribute: name },
      );
    }
    if (spec.type === 'occluded') occludedAttr = name;
    else if (spec.type === 'group_id') groupIdAttr = name;
    else if (name !== occludedAttr && name !== groupIdAttr) attributes[name] = spec;
  }
  return {
    labelName,
    field,
    className,
    fieldSchema,
    attributes,
    ...(occludedAttr ? { occludedAttr } : {}),
    ...(groupIdAttr ? { groupIdAttr } : {}),
  };
}

function attributeSpecs(binding: CvatLabelBinding): CvatLabelSpec['attributes'] {
  const out: CvatLabelSpec['attributes'] = Object.entries(binding.attributes).map(
    ([name, spec]) => {
      const inputType =
        (['checkbox', 'radio', 'select'] as const).find((each) => each === spec.type) ?? 'text';
      const values =
        inputType === 'checkbox'
          ? [attributeText(spec.default ?? false)]
          : (spec.values ?? []).map(attributeText);
      return {
        name,
        mutable: spec.mutable ?? true,
        input_type: inputType,
        values,
        ...(spec.default !== undefined && spec.default !== null
          ? { default_value: attributeText(spec.default) }
          : {}),
      };
    },
  );
  out.push({ name: LABEL_ID_ATTR, mutable: true, input_type: 'text', values: [] });
  return out;
}

/**
 * Checks an existing project's labels against the plan. A label only missing our
 * `label_id` attribute is returned for patching (FiftyOne adds it too); any other
 * difference is an error, never silently overridden.
 *
 * @throws BackendError `BACKEND_SCHEMA_MISMATCH` listing every difference.
 */
export function checkProjectLabels(
  plan: CvatLabelPlan,
  existing: readonly CvatLabel[],
  projectId: number,
): CvatLabel[] {
  const byName = new Map(existing.map((label) => [label.name, label]));
  const problems: string[] = [];
  const needLabelId: CvatLabel[] = [];
  for (const spec of plan.specs) {
    const label = byName.get(spec.name);
    if (!label) {
      problems.push(`label '${spec.name}' is missing`);
      continue;
    }
    for (const wanted of spec.attributes) {
      const found = label.attributes.find((each) => each.name === wanted.name);
      if (!found) {
        if (wanted.name === LABEL_ID_ATTR) needLabelId.push(label);
        else problems.push(`label '${spec.name}' has no attribute '${wanted.name}'`);
        continue;
      }
      if (found.input_type !== wanted.input_type) {
        problems.push(
          `attribute '${wanted.name}' of label '${spec.name}' is ${found.input_type}, not ${wanted.input_type}`,
        );
      } else if (
        (wanted.input_type === 'select' || wanted.input_type === 'radio') &&
        wanted.values.some((value) => !found.values.includes(value))
      ) {
        problems.push(
          `attribute '${wanted.name}' of label '${spec.name}' lacks values [${wanted.values.filter((value) => !found.values.includes(value)).join(', ')}]`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new BackendError(
      'BACKEND_SCHEMA_MISMATCH',
      `CVAT project ${projectId} does not match the run's label schema: ${problems.join('; ')}`,
      { projectId, problems },
    );
  }
  return needLabelId;
}
