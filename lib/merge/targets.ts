import { MergeError } from '../errors/index.js';
import {
  FRAMES_PREFIX,
  isFrameField,
  LABEL_TYPES,
  type LabelClass,
} from '../labels/label-types.js';
import type { DatasetSchema, FieldSchema, LabelSchema } from '../schema/types.js';

export interface MergeTarget {
  /** The run-schema field the tool returned labels for. */
  source: string;
  /** Where they are written: the source, or its `dest_field` rename. */
  target: string;
  field: FieldSchema;
}

/**
 * Resolves `dest_field` (SEMANTICS §6.1.4): a string applies only to a one-field schema
 * (ignored with a warning otherwise); a map renames the fields it names. A frame field's
 * destination is a frame field too (`frames.` is added when missing). Unlike FiftyOne, a
 * destination that already holds another kind of label is refused before anything merges.
 */
export function planTargets(
  labelSchema: LabelSchema,
  dataset: DatasetSchema,
  destField: string | Record<string, string> | undefined,
  warnings: string[],
): MergeTarget[] {
  const fields = Object.entries(labelSchema);
  let renames: Record<string, string> = {};
  if (typeof destField === 'string') {
    if (fields.length === 1) renames = { [fields[0]?.[0] as string]: destField };
    else {
      warnings.push(
        `Ignoring string \`destField='${destField}'\` since the label schema contains ${fields.length} (> 1) fields`,
      );
    }
  } else if (destField) {
    renames = destField;
  }

  return fields.map(([source, field]) => {
    const rename = renames[source];
    if (rename === undefined || rename === source) return { source, target: source, field };
    const target =
      isFrameField(source) && !isFrameField(rename) ? `${FRAMES_PREFIX}${rename}` : rename;
    const storedAs = LABEL_TYPES[field.type].storedAs;
    const existing = otherKindHeld(dataset, target, storedAs);
    if (existing !== undefined) {
      throw new MergeError(
        'DEST_FIELD_CONFLICT',
        `Cannot load field '${source}' into '${target}': it holds ${existing}, not ${storedAs ?? 'a scalar'}`,
        { source, target, existing, expected: storedAs },
      );
    }
    return { source, target, field };
  });
}

/**
 * The kind of label a dataset field holds when it is not `storedAs` (a scalar field for
 * `storedAs` null), else undefined: an absent field holds nothing yet.
 */
export function otherKindHeld(
  dataset: DatasetSchema,
  target: string,
  storedAs: LabelClass | null,
): string | undefined {
  const existing = isFrameField(target)
    ? dataset.frameFields?.[target.slice(FRAMES_PREFIX.length)]
    : dataset.sampleFields[target];
  if (existing === undefined) return undefined;
  const compatible = storedAs === null ? existing.endsWith('Field') : existing === storedAs;
  return compatible ? undefined : existing;
}
