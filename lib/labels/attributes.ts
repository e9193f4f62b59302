import { BUILTIN_LABEL_KEYS } from './label-types.js';

/** A label seen as a plain record: how the merge reads and writes attributes. */
export type LabelRecord = Record<string, unknown>;

function legacyAttributes(label: LabelRecord): Record<string, unknown> | undefined {
  const dict = label.attributes;
  return dict !== null && typeof dict === 'object' && !Array.isArray(dict)
    ? (dict as Record<string, unknown>)
    : undefined;
}

// FiftyOne's legacy `attributes` dict holds `{_cls: '…Attribute', value}` wrappers.
function unwrap(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'value' in value && '_cls' in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

/**
 * The custom attributes of a label (SEMANTICS §1.3): its non-builtin keys plus the entries
 * of the legacy `attributes` dict. Top-level keys win over legacy entries of the same name.
 */
export function customAttributes(label: LabelRecord): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const legacy = legacyAttributes(label);
  if (legacy) for (const [name, value] of Object.entries(legacy)) out.set(name, unwrap(value));
  for (const [name, value] of Object.entries(label)) {
    if (!BUILTIN_LABEL_KEYS.has(name)) out.set(name, value);
  }
  return out;
}

/** Reads an attribute the way FiftyOne's `get_attribute_value` does; missing → undefined. */
export function getAttribute(label: LabelRecord, name: string): unknown {
  if (Object.hasOwn(label, name) && !BUILTIN_LABEL_KEYS.has(name)) return label[name];
  const legacy = legacyAttributes(label);
  if (legacy && Object.hasOwn(legacy, name)) return unwrap(legacy[name]);
  return undefined;
}

/**
 * Writes an attribute on a label that the caller owns (already copied): into the legacy dict
 * when the label keeps it there, else as a top-level custom attribute. A builtin key (e.g. a
 * schema attribute named `confidence`) is written only into a legacy dict: getAttribute never
 * reads the label's own field as an attribute, so writing it would clobber that field with a
 * value read from elsewhere (SEMANTICS §6.5: `confidence`, `tags`… are untouched).
 */
export function setAttribute(label: LabelRecord, name: string, value: unknown): void {
  const legacy = legacyAttributes(label);
  const builtin = BUILTIN_LABEL_KEYS.has(name);
  if (legacy && Object.hasOwn(legacy, name) && (builtin || !Object.hasOwn(label, name))) {
    const current = legacy[name];
    const next =
      current !== null && typeof current === 'object' && '_cls' in current
        ? { ...(current as Record<string, unknown>), value }
        : value;
    label.attributes = { ...legacy, [name]: next };
    return;
  }
  if (!builtin) label[name] = value;
}
