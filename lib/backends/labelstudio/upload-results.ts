import { InvalidInputError } from '../../errors/index.js';
import { LIST_CONTAINERS } from '../../labels/label-types.js';
import { fieldLabelSchema, type Label } from '../../labels/schemas.js';
import type { LabelSchema } from '../../schema/types.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { ResultItem } from './api-schemas.js';
import { brushRleFromMask } from './brush-rle.js';
import { toPercent } from './geometry.js';
import { IMAGE_NAME } from './label-config.js';

/** FiftyOne's keypoint marker size, in percent of the image width. */
const KEYPOINT_WIDTH = 0.34;

/**
 * A label spread over several result items (a keypoint's points, a polyline's shapes, a
 * segmentation's classes) gives the first item the label id and the others `<id>_<k>`, so
 * the download can put the label back together under its id (SEMANTICS §5.3).
 */
export function partId(labelId: string, part: number): string {
  return part === 0 ? labelId : `${labelId}_${part}`;
}

interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Each region's exact relative coordinates, by region id (boxes `[x, y, w, h]`, shapes and
 * points flattened). Percent loses the last digits of some doubles, so these ride along in
 * the task's `meta` and a region whose percent values are still the uploaded ones loads
 * back with exactly the coordinates it was uploaded with.
 */
export type ExactGeometry = Record<string, number[]>;

/**
 * A sample's existing labels as prediction result items (reference §2.4), each carrying its
 * FiftyOne id, so an annotator edits them and the download recognizes them, and their exact
 * coordinates (see {@link ExactGeometry}).
 *
 * @throws InvalidInputError for a label that is not FiftyOne's, or a mask on a sample
 *   without `metadata.width`/`height` (a brush needs the image's pixel size).
 */
export function resultsOfSample(
  labelSchema: LabelSchema,
  sample: UploadSample,
): { items: ResultItem[]; geometry: ExactGeometry } {
  const items: ResultItem[] = [];
  const geometry: ExactGeometry = {};
  const size = sizeOf(sample);
  for (const [field, schema] of Object.entries(labelSchema)) {
    const value = sample.fields[field];
    if (value === undefined || value === null) continue;
    const base = {
      from_name: field,
      to_name: IMAGE_NAME,
      ...(size ? { original_width: size.width, original_height: size.height } : {}),
      image_rotation: 0,
    };
    if (schema.type === 'scalar') {
      if (typeof value === 'number') {
        items.push({ ...base, id: `${field}_number`, type: 'number', value: { number: value } });
      }
      continue;
    }
    const parsed = fieldLabelSchema.safeParse(value);
    if (!parsed.success) {
      throw new InvalidInputError(
        `Sample '${sample.id}' field '${field}' does not hold FiftyOne labels`,
        { sampleId: sample.id, field },
        { cause: parsed.error },
      );
    }
    const container = parsed.data;
    const labels: Label[] =
      container._cls in LIST_CONTAINERS
        ? ((container as unknown as Record<string, Label[]>)[
            LIST_CONTAINERS[container._cls as keyof typeof LIST_CONTAINERS].listKey
          ] ?? [])
        : [container as Label];
    const brush = schema.type === 'instance' || schema.type === 'instances';
    for (const label of labels) {
      const site = { sampleId: sample.id, field, labelId: label.id };
      items.push(...itemsOfLabel(label, base, brush, schema.maskTargets, size, site, geometry));
    }
  }
  return { items, geometry };
}

interface Base {
  readonly from_name: string;
  readonly to_name: string;
  readonly original_width?: number;
  readonly original_height?: number;
  readonly image_rotation: number;
}

function itemsOfLabel(
  label: Label,
  base: Base,
  brush: boolean,
  maskTargets: Record<string, string> | undefined,
  size: ImageSize | undefined,
  site: { sampleId: string; field: string; labelId: string },
  geometry: ExactGeometry,
): ResultItem[] {
  const classes = label._cls === 'Segmentation' ? [] : label.label ? [label.label] : [];
  switch (label._cls) {
    case 'Classification':
      return [{ ...base, id: label.id, type: 'choices', value: { choices: classes } }];
    case 'Detection': {
      const [x = 0, y = 0, w = 0, h = 0] = label.bounding_box ?? [];
      if (brush) {
        const mask = placeMask(label.mask ?? undefined, [x, y, w, h], requireSize(size, site));
        const value = { format: 'rle', rle: brushRleFromMask(mask), brushlabels: classes };
        return [{ ...base, id: label.id, type: 'brushlabels', value }];
      }
      geometry[label.id] = [x, y, w, h];
      const value = {
        x: toPercent(x),
        y: toPercent(y),
        width: toPercent(w),
        height: toPercent(h),
        rotation: 0,
        rectanglelabels: classes,
      };
      return [{ ...base, id: label.id, type: 'rectanglelabels', value }];
    }
    case 'Polyline':
      return label.points.map((shape, part) => {
        geometry[partId(label.id, part)] = shape.flat();
        return {
          ...base,
          id: partId(label.id, part),
          type: 'polygonlabels',
          value: {
            points: shape.map(([px, py]) => [toPercent(px), toPercent(py)]),
            polygonlabels: classes,
          },
        };
      });
    case 'Keypoint':
      return label.points.flatMap(([px, py], part) => {
        // FiftyOne's missing points (NaN, null in JSON) cannot be drawn.
        if (px === null || py === null || Number.isNaN(px) || Number.isNaN(py)) return [];
        const id = partId(label.id, part);
        geometry[id] = [px, py];
        const value = {
          x: toPercent(px),
          y: toPercent(py),
          width: KEYPOINT_WIDTH,
          keypointlabels: classes,
        };
        return [{ ...base, id, type: 'keypointlabels', value }];
      });
    case 'Segmentation': {
      const full = resample(label.mask ?? [], requireSize(size, site));
      const values = new Set(full.flat().filter((value) => value !== 0));
      return [...values]
        .sort((a, b) => a - b)
        .map((target, part) => ({
          ...base,
          id: partId(label.id, part),
          type: 'brushlabels',
          value: {
            format: 'rle',
            rle: brushRleFromMask(full.map((row) => row.map((v) => (v === target ? 1 : 0)))),
            brushlabels: [maskTargets?.[String(target)] ?? String(target)],
          },
        }));
    }
  }
}

function sizeOf(sample: UploadSample): ImageSize | undefined {
  const width = sample.metadata?.width;
  const height = sample.metadata?.height;
  if (typeof width !== 'number' || typeof height !== 'number') return undefined;
  if (!(width > 0 && height > 0)) return undefined;
  return { width, height };
}

function requireSize(
  size: ImageSize | undefined,
  site: { sampleId: string; field: string; labelId: string },
): ImageSize {
  if (size) return size;
  throw new InvalidInputError(
    `Sample '${site.sampleId}' has a mask in field '${site.field}' (label '${site.labelId}') but no metadata.width/height: Label Studio brushes need the image's pixel size`,
    site,
  );
}

/** Nearest-neighbour resize of a mask to `width` × `height`. */
function resample(mask: readonly (readonly number[])[], size: ImageSize): number[][] {
  const rows = mask.length;
  const cols = mask[0]?.length ?? 0;
  return Array.from({ length: size.height }, (_, y) =>
    Array.from({ length: size.width }, (_, x) =>
      rows === 0 || cols === 0
        ? 0
        : (mask[Math.floor((y * rows) / size.height)]?.[Math.floor((x * cols) / size.width)] ?? 0),
    ),
  );
}

/** A full-image mask from an instance mask, which FiftyOne keeps relative to its box. */
function placeMask(
  mask: readonly (readonly number[])[] | undefined,
  box: readonly [number, number, number, number],
  size: ImageSize,
): number[][] {
  const left = Math.round(box[0] * size.width);
  const top = Math.round(box[1] * size.height);
  const width = Math.max(1, Math.round(box[2] * size.width));
  const height = Math.max(1, Math.round(box[3] * size.height));
  const inner = mask ? resample(mask, { width, height }) : undefined;
  return Array.from({ length: size.height }, (_, y) =>
    Array.from({ length: size.width }, (_, x) => {
      const iy = y - top;
      const ix = x - left;
      if (iy < 0 || ix < 0 || iy >= height || ix >= width) return 0;
      return inner ? ((inner[iy]?.[ix] ?? 0) !== 0 ? 1 : 0) : 1;
    }),
  );
}
