import { LabelSchemaError } from '../errors/index.js';
import { BUILTIN_LABEL_KEYS, type LabelType } from '../labels/label-types.js';
import { pyList, pyRepr, pyStr } from './format.js';
import type {
  AttributeRecommendation,
  AttributeSpec,
  AttributeSpecInput,
  AttributesInput,
  BackendCapabilities,
} from './types.js';

type ValueKind = NonNullable<AttributeRecommendation['valueKind']>;

function matchesKind(kind: ValueKind, value: unknown): boolean {
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'null':
      return value == null;
  }
}

/**
 * FiftyOne's `backend.recommend_attr_tool(name, value)`, driven by the backend's rules: the
 * first rule whose `name` (if set) equals and whose `valueKind` (if set) matches wins. The
 * spec is a copy, so callers never share the capability table's arrays. No matching rule
 * gives an empty spec, which then fails validation as "missing a `type` key": a backend
 * table without a catch-all rule is a configuration gap worth surfacing.
 */
export function recommendAttrTool(
  backend: BackendCapabilities,
  name: string,
  value: unknown,
): AttributeSpecInput {
  const rule = backend.attributeRecommendations.find(
    (candidate) =>
      (candidate.name === undefined || candidate.name === name) &&
      (candidate.valueKind === undefined || matchesKind(candidate.valueKind, value)),
  );
  if (!rule) return {};
  const { values, ...rest } = rule.spec;
  return values ? { ...rest, values: [...values] } : { ...rest };
}

/** Where attribute inference and its messages get what they need. */
export interface AttributeContext {
  readonly field: string;
  readonly type: LabelType;
  readonly existing: boolean;
  readonly backend: BackendCapabilities;
  /** Trackable frame fields: `keyframe` is track state, not an attribute to annotate. */
  readonly dropKeyframe: boolean;
  /** First non-null value per attribute name over the (kind-narrowed) labels of `classes`. */
  readonly observed: (classes?: readonly string[]) => Array<[string, unknown]>;
  readonly warnings: string[];
}

function isTruthy(attributes: AttributesInput): boolean {
  if (attributes === null || attributes === false) return false;
  if (attributes === true) return true;
  if (typeof attributes === 'string' || Array.isArray(attributes)) return attributes.length > 0;
  return Object.keys(attributes).length > 0;
}

/**
 * SEMANTICS §3.6 for a field (or, with `classes`, a class group): `true` on an existing field
 * infers attributes from its labels, `true` on a new field and `false`/`null` give none, and
 * anything given is normalized and validated. A backend without attribute types ignores them
 * with a warning, so none of its validation errors can occur.
 */
export function buildAttributes(
  attributes: AttributesInput,
  ctx: AttributeContext,
  classes?: readonly string[],
): Record<string, AttributeSpec> {
  if (isTruthy(attributes) && ctx.backend.supportedAttrTypes.length === 0) {
    ctx.warnings.push(
      `The '${ctx.backend.name}' backend does not support attributes; the attributes of field '${ctx.field}' will be ignored`,
    );
    return {};
  }
  if (attributes === true || attributes === false || attributes === null) {
    if (ctx.type === 'scalar' || !ctx.existing || attributes !== true) return {};
    return formatAttributes(inferAttributes(ctx, classes), ctx.backend);
  }
  const out = formatAttributes(attributes, ctx.backend);
  if (ctx.type !== 'scalar') for (const name of Object.keys(out)) refuseReservedName(name, ctx);
  return out;
}

/**
 * A label's own fields (`label`, `bounding_box`, `confidence`…) are merged by their own
 * rules, never as attributes (SEMANTICS §1.3, §6.5): an attribute of that name would show
 * annotators a value whose edits could never land. FiftyOne lets it through; we refuse it.
 */
function refuseReservedName(name: string, ctx: AttributeContext): void {
  if (!BUILTIN_LABEL_KEYS.has(name)) return;
  throw new LabelSchemaError(
    'ATTRIBUTE_NAME_RESERVED',
    `Attribute '${name}' of field '${ctx.field}' has the name of a label's own field, which is never merged as an attribute; choose another name`,
    { attribute: name, field: ctx.field },
  );
}

function inferAttributes(
  ctx: AttributeContext,
  classes?: readonly string[],
): Record<string, AttributeSpecInput> {
  const out: Record<string, AttributeSpecInput> = {};
  for (const [name, value] of ctx.observed(classes)) {
    if (ctx.dropKeyframe && name === 'keyframe') continue;
    // Only a legacy `attributes` dict can hold such a name; it is not inferred (see above).
    if (BUILTIN_LABEL_KEYS.has(name)) {
      ctx.warnings.push(
        `Attribute '${name}' of field '${ctx.field}' has the name of a label's own field and was not inferred`,
      );
      continue;
    }
    out[name] = recommendAttrTool(ctx.backend, name, value);
  }
  return out;
}

/**
 * FiftyOne's `_format_attributes`: a name or list of names gets the backend's recommendation
 * for an unknown value, as does an empty spec; each spec is then checked in this order: has a
 * type, the type is supported, values are given where the type needs them, the default is one
 * of the values. Keys other than `type/values/default/mutable/readOnly` are dropped.
 */
export function formatAttributes(
  attributes: string | string[] | Record<string, AttributeSpecInput | null>,
  backend: BackendCapabilities,
): Record<string, AttributeSpec> {
  const specs: Record<string, AttributeSpecInput | null> =
    typeof attributes === 'string'
      ? { [attributes]: null }
      : Array.isArray(attributes)
        ? Object.fromEntries(attributes.map((name) => [name, null]))
        : attributes;
  const out: Record<string, AttributeSpec> = {};
  for (const [name, given] of Object.entries(specs)) {
    const spec =
      given === null || Object.keys(given).length === 0
        ? recommendAttrTool(backend, name, null)
        : given;
    out[name] = validateAttribute(name, spec, backend);
  }
  return out;
}

function validateAttribute(
  name: string,
  spec: AttributeSpecInput,
  backend: BackendCapabilities,
): AttributeSpec {
  const { type, values, default: defaultValue, mutable, readOnly } = spec;
  if (type == null) {
    throw new LabelSchemaError(
      'ATTRIBUTE_TYPE_REQUIRED',
      `Attribute definition ${pyRepr(spec)} is missing a \`type\` key`,
      { attribute: name },
    );
  }
  if (!backend.supportedAttrTypes.includes(type)) {
    throw new LabelSchemaError(
      'UNSUPPORTED_ATTRIBUTE_TYPE',
      `Attribute '${name}' has unsupported type '${type}'. The '${backend.name}' backend supports types ${pyList(backend.supportedAttrTypes)}`,
      { attribute: name, type, backend: backend.name },
    );
  }
  const out: AttributeSpec = { type };
  if (values != null) out.values = [...values];
  else if (backend.attrTypesRequiringValues.includes(type)) {
    throw new LabelSchemaError(
      'ATTRIBUTE_VALUES_REQUIRED',
      `Attribute '${name}' of type '${type}' requires a list of values`,
      { attribute: name, type },
    );
  }
  if (defaultValue != null) {
    if (values != null && !values.includes(defaultValue)) {
      throw new LabelSchemaError(
        'ATTRIBUTE_DEFAULT_NOT_IN_VALUES',
        `Default value '${pyStr(defaultValue)}' for attribute '${name}' does not appear in the list of values ${pyList(values)}`,
        { attribute: name, default: defaultValue },
      );
    }
    out.default = defaultValue;
  }
  if (mutable != null) out.mutable = mutable;
  if (readOnly != null) out.readOnly = readOnly;
  return out;
}
