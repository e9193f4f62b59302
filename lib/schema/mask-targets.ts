import { LabelSchemaError } from '../errors/index.js';
import type { ResolvedField } from './field-type.js';
import type { DatasetSchema } from './types.js';

type MaskTargets = Record<string, string>;

function given(targets: MaskTargets | null | undefined): targets is MaskTargets {
  return targets != null && Object.keys(targets).length > 0;
}

/** FiftyOne's fallback when nothing else is known: `{0: 'background', 1: '1', ..., 255: '255'}`. */
function defaultMaskTargets(): MaskTargets {
  const out: MaskTargets = { '0': 'background' };
  for (let value = 1; value <= 255; value += 1) out[String(value)] = String(value);
  return out;
}

/**
 * SEMANTICS §3.7 with the 2025 rules: the field's (or top-level) mask targets; else a new
 * field is an error, and an existing one falls back to the dataset's targets for the field
 * (keyed by the full field name, `frames.` included, as FiftyOne keys them), the dataset's
 * default targets, then 0..255. An empty dict counts as missing, like `[]` for classes.
 * The field's classes are the names of the non-zero pixel values.
 */
export function buildMaskTargets(
  field: ResolvedField,
  dataset: DatasetSchema,
): { maskTargets: MaskTargets; classes: string[] } {
  let targets: MaskTargets;
  if (given(field.spec.maskTargets)) targets = field.spec.maskTargets;
  else if (!field.existing) {
    throw new LabelSchemaError(
      'MASK_TARGETS_REQUIRED',
      `You must provide mask targets for new label field '${field.name}'`,
      { field: field.name },
    );
  } else {
    const perField = dataset.maskTargets;
    const own = perField && Object.hasOwn(perField, field.name) ? perField[field.name] : undefined;
    if (given(own)) targets = own;
    else if (given(dataset.defaultMaskTargets)) targets = dataset.defaultMaskTargets;
    else targets = defaultMaskTargets();
  }
  const maskTargets = { ...targets };
  const classes = Object.entries(maskTargets)
    .filter(([value]) => Number(value) !== 0)
    .map(([, name]) => name);
  return { maskTargets, classes };
}
