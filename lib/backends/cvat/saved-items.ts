import type { CvatLabel, CvatLabeledData } from './api.js';
import { LABEL_ID_ATTR } from './label-specs.js';

/** `shape:<id>`/`tag:<id>` → our label id, read from the `label_id` values CVAT saved. */
export function serverIdsOf(
  saved: CvatLabeledData,
  labels: Map<string, CvatLabel>,
): Record<string, string> {
  const labelIdSpecs = new Set<number>();
  for (const label of labels.values()) {
    for (const attribute of label.attributes) {
      if (attribute.name === LABEL_ID_ATTR) labelIdSpecs.add(attribute.id);
    }
  }
  const out: Record<string, string> = {};
  const record = (
    kind: string,
    item: {
      id?: number | null | undefined;
      attributes: CvatLabeledData['tags'][number]['attributes'];
    },
  ) => {
    const value = item.attributes.find((each) => labelIdSpecs.has(each.spec_id))?.value;
    if (value && item.id !== null && item.id !== undefined) out[`${kind}:${item.id}`] = value;
  };
  for (const shape of saved.shapes) record('shape', shape);
  for (const tag of saved.tags) record('tag', tag);
  return out;
}

/** The saved tags and shapes with their label ids: the geometry match's candidates. */
export function uploadedOf(saved: CvatLabeledData, labels: Map<string, CvatLabel>) {
  const labelIdSpecs = new Set<number>();
  for (const label of labels.values()) {
    for (const attribute of label.attributes) {
      if (attribute.name === LABEL_ID_ATTR) labelIdSpecs.add(attribute.id);
    }
  }
  const items = [
    ...saved.tags.map((tag) => ({ ...tag, type: 'tag', points: [] as number[] })),
    ...saved.shapes,
  ];
  return items.flatMap((item) => {
    const labelId = item.attributes.find((each) => labelIdSpecs.has(each.spec_id))?.value;
    return labelId
      ? [
          {
            labelId,
            frame: item.frame,
            cvatLabelId: item.label_id,
            type: item.type,
            points: item.points,
          },
        ]
      : [];
  });
}
