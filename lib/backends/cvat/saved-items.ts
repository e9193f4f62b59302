import type { CvatLabel, CvatLabeledData } from './api.js';
import { LABEL_ID_ATTR } from './label-specs.js';

function labelIdSpecsOf(labels: Map<string, CvatLabel>): Set<number> {
  const out = new Set<number>();
  for (const label of labels.values()) {
    for (const attribute of label.attributes) {
      if (attribute.name === LABEL_ID_ATTR) out.add(attribute.id);
    }
  }
  return out;
}

/** `shape:<id>`/`tag:<id>` → our label id, read from the `label_id` values CVAT saved. */
export function serverIdsOf(
  saved: CvatLabeledData,
  labels: Map<string, CvatLabel>,
): Record<string, string> {
  const labelIdSpecs = labelIdSpecsOf(labels);
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
  const labelIdSpecs = labelIdSpecsOf(labels);
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

type Shapes = ReadonlyArray<{ attributes?: ReadonlyArray<{ spec_id: number; value: string }> }>;

/**
 * Which sent track each saved track is (`<server id>` → its position in the `PUT`), or
 * undefined when the response does not account for every sent track. CVAT saves a task's
 * data job by job, so a track spanning jobs comes back as one track per job, each with its own
 * id and the `label_id` values of its frames (a piece's first shape, when CVAT interpolates
 * it at the job's start, carries the previous keyframe's): a piece is the sent track holding
 * its label ids. With no label id to go by, saved tracks match sent ones by position when the
 * counts agree.
 */
export function trackPiecesOf(
  sent: ReadonlyArray<Record<string, unknown>>,
  saved: CvatLabeledData,
  labels: Map<string, CvatLabel>,
): Record<string, number> | undefined {
  const labelIdSpecs = labelIdSpecsOf(labels);
  const labelIds = (shapes: Shapes) =>
    shapes.flatMap((shape) =>
      (shape.attributes ?? [])
        .filter((each) => labelIdSpecs.has(each.spec_id))
        .map((each) => each.value),
    );
  const owner = new Map<string, number>();
  sent.forEach((track, position) => {
    // The tracks we build (to-cvat.ts): `shapes` with `{spec_id, value}` attributes.
    for (const labelId of labelIds((track.shapes ?? []) as Shapes)) {
      if (labelId) owner.set(labelId, position);
    }
  });
  const out: Record<string, number> = {};
  const seen = new Set<number>();
  for (const [at, track] of saved.tracks.entries()) {
    const found = labelIds(track.shapes)
      .map((labelId) => owner.get(labelId))
      .find((position) => position !== undefined);
    const position = found ?? (saved.tracks.length === sent.length ? at : undefined);
    if (position === undefined || track.id === null || track.id === undefined) return undefined;
    out[String(track.id)] = position;
    seen.add(position);
  }
  return seen.size === sent.length ? out : undefined;
}
