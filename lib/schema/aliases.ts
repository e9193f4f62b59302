import { isRecord } from './format.js';

const FLAG_ALIASES = {
  mask_targets: 'maskTargets',
  allow_additions: 'allowAdditions',
  allow_deletions: 'allowDeletions',
  allow_label_edits: 'allowLabelEdits',
  allow_index_edits: 'allowIndexEdits',
  allow_spatial_edits: 'allowSpatialEdits',
} as const;

const OPTION_ALIASES = {
  label_schema: 'labelSchema',
  label_field: 'labelField',
  label_type: 'labelType',
  ...FLAG_ALIASES,
} as const;

const ATTRIBUTE_ALIASES = { read_only: 'readOnly' } as const;

/**
 * Accepts FiftyOne's snake_case spellings (`label_schema`, `mask_targets`, `allow_*`, an
 * attribute's `read_only`) so that FiftyOne users can send the arguments they already know.
 * The camelCase key wins when both are given. Returns new objects; the input is untouched.
 * Anything that is not shaped as expected is passed through for zod to report.
 */
export function acceptSnakeCase(options: unknown): unknown {
  if (!isRecord(options)) return options;
  const out = rename(options, OPTION_ALIASES);
  if (Object.hasOwn(out, 'attributes')) out.attributes = aliasAttributes(out.attributes);
  if (Object.hasOwn(out, 'classes')) out.classes = aliasClasses(out.classes);
  const schema = out.labelSchema;
  if (isRecord(schema)) {
    out.labelSchema = Object.fromEntries(
      Object.entries(schema).map(([field, spec]) => [field, aliasFieldSpec(spec)]),
    );
  }
  return out;
}

function aliasFieldSpec(spec: unknown): unknown {
  if (!isRecord(spec)) return spec;
  const out = rename(spec, FLAG_ALIASES);
  if (Object.hasOwn(out, 'attributes')) out.attributes = aliasAttributes(out.attributes);
  if (Object.hasOwn(out, 'classes')) out.classes = aliasClasses(out.classes);
  return out;
}

// Class groups carry attributes of their own.
function aliasClasses(classes: unknown): unknown {
  if (!Array.isArray(classes)) return classes;
  return classes.map((item) =>
    isRecord(item) && Object.hasOwn(item, 'attributes')
      ? { ...item, attributes: aliasAttributes(item.attributes) }
      : item,
  );
}

function aliasAttributes(attributes: unknown): unknown {
  if (!isRecord(attributes)) return attributes;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, spec]) => [
      name,
      isRecord(spec) ? rename(spec, ATTRIBUTE_ALIASES) : spec,
    ]),
  );
}

function rename(
  record: Record<string, unknown>,
  aliases: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const out = { ...record };
  for (const [snake, camel] of Object.entries(aliases)) {
    if (!Object.hasOwn(out, snake)) continue;
    const value = out[snake];
    delete out[snake];
    if (out[camel] === undefined) out[camel] = value;
  }
  return out;
}
