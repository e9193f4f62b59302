import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import { LABEL_TYPES, type ReturnType } from '../../labels/label-types.js';
import { deterministicObjectId } from '../../labels/object-id.js';
import type { Annotations } from '../../merge/contract.js';
import type { FieldSchema, LabelSchema } from '../../schema/types.js';
import type { ResultItem } from './api-schemas.js';
import { maskFromBrushRle } from './brush-rle.js';
import { boundingBoxOfRectangle, fromPercent, toPercent } from './geometry.js';
import { classesOf } from './label-config.js';
import type { ExactGeometry } from './upload-results.js';

const classes = z.array(z.string()).default([]);
const VALUE_SCHEMAS = {
  choices: z.looseObject({ choices: classes }),
  rectanglelabels: z.looseObject({
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    rotation: z.number().optional(),
    rectanglelabels: classes,
  }),
  polygonlabels: z.looseObject({
    points: z.array(z.tuple([z.number(), z.number()])),
    polygonlabels: classes,
  }),
  keypointlabels: z.looseObject({ x: z.number(), y: z.number(), keypointlabels: classes }),
  brushlabels: z.looseObject({
    format: z.literal('rle'),
    rle: z.array(z.number().int().min(0).max(255)),
    brushlabels: classes,
  }),
  number: z.looseObject({ number: z.number() }),
};
type ItemType = keyof typeof VALUE_SCHEMAS;

/** `<24-hex id>` or `<24-hex id>_<part>`: a region of a label annoflow uploaded. */
const OUR_ID = /^([0-9a-f]{24})(?:_(\d+))?$/;

interface Region {
  readonly labelId: string;
  /** Whether the id is an uploaded label's (else minted from the task and region ids). */
  readonly known: boolean;
  readonly item: ResultItem;
}

/**
 * One task's result items (an annotation's or the predictions') in the core's download
 * contract (SEMANTICS §4.4) for its sample. Every field of the run is listed for the sample,
 * even with no labels, so labels the annotator deleted read as deleted. Regions with an
 * uploaded label's id keep it; others get an id derived from the task and region ids, so
 * downloading the same annotation twice names its new labels the same.
 *
 * @throws BackendError `BACKEND_RESULT_INVALID` for an item whose value is not Label
 *   Studio's shape for its type, or a brush without the image size.
 */
export function annotationsOfResults(
  labelSchema: LabelSchema,
  sampleId: string,
  items: readonly ResultItem[],
  taskRef: string,
  geometry: ExactGeometry = {},
): Annotations {
  const annotations: Annotations = {};
  for (const [field, schema] of Object.entries(labelSchema)) {
    const returnType: ReturnType = LABEL_TYPES[schema.type].returnType;
    const byType: Annotations[string] = {};
    annotations[field] = byType;
    if (returnType === 'scalar') {
      const number = items.find((item) => item.from_name === field && item.type === 'number');
      if (number) byType.scalar = { [sampleId]: readValue(number, 'number', taskRef).number };
      continue;
    }
    const labels: Record<string, unknown> = {};
    byType[returnType] = { [sampleId]: labels };
    const regions = items
      .filter((item) => item.from_name === field)
      .map((item, index) => regionOf(item, index, taskRef, field));
    for (const [labelId, group] of groupRegions(regions)) {
      const label = labelOf(schema, labelId, group, taskRef, geometry);
      if (label) labels[labelId] = label;
    }
  }
  return annotations;
}

function regionOf(item: ResultItem, index: number, taskRef: string, field: string): Region {
  const match = item.id === undefined ? null : OUR_ID.exec(item.id);
  if (match?.[1]) return { labelId: match[1], known: true, item };
  const regionId = item.id ?? `#${index}`;
  return {
    labelId: deterministicObjectId('labelstudio', taskRef, field, regionId),
    known: false,
    item,
  };
}

/**
 * Regions by label. Uploaded labels gather their parts by id; new keypoint regions (the
 * editor makes one per point) join while the class stays the same, as FiftyOne regroups them.
 */
function groupRegions(regions: readonly Region[]): Map<string, Region[]> {
  const groups = new Map<string, Region[]>();
  let open: { labelId: string; label: string } | undefined;
  for (const region of regions) {
    if (region.known || region.item.type !== 'keypointlabels') {
      open = undefined;
      groups.set(region.labelId, [...(groups.get(region.labelId) ?? []), region]);
      continue;
    }
    const label = String((region.item.value.keypointlabels as unknown[] | undefined)?.[0] ?? '');
    if (open && open.label === label) {
      groups.get(open.labelId)?.push(region);
    } else {
      open = { labelId: region.labelId, label };
      groups.set(region.labelId, [region]);
    }
  }
  return groups;
}

function labelOf(
  schema: FieldSchema,
  labelId: string,
  regions: readonly Region[],
  taskRef: string,
  geometry: ExactGeometry,
): Record<string, unknown> | undefined {
  const first = regions[0]?.item;
  const exact = (item: ResultItem, percents: number[]) => exactOf(geometry, item, percents);
  if (first === undefined) return undefined;
  switch (first.type) {
    case 'choices': {
      const value = readValue(first, 'choices', taskRef);
      return { _cls: 'Classification', id: labelId, label: value.choices[0] ?? null };
    }
    case 'rectanglelabels': {
      const value = readValue(first, 'rectanglelabels', taskRef);
      return {
        _cls: 'Detection',
        id: labelId,
        label: value.rectanglelabels[0] ?? null,
        bounding_box:
          (value.rotation ?? 0) === 0
            ? exact(first, [value.x, value.y, value.width, value.height])
            : boundingBoxOfRectangle(value, imageSizeOf(first)),
      };
    }
    case 'polygonlabels': {
      const values = regions.map(({ item }) => ({
        ...readValue(item, 'polygonlabels', taskRef),
        item,
      }));
      const closed = schema.type === 'polygon' || schema.type === 'polygons';
      return {
        _cls: 'Polyline',
        id: labelId,
        label: values[0]?.polygonlabels[0] ?? null,
        points: values.map((value) => pairs(exact(value.item, value.points.flat()))),
        closed,
        filled: closed,
      };
    }
    case 'keypointlabels': {
      const values = regions.map(({ item }) => ({
        ...readValue(item, 'keypointlabels', taskRef),
        item,
      }));
      return {
        _cls: 'Keypoint',
        id: labelId,
        label: values[0]?.keypointlabels[0] ?? null,
        points: values.map((value) => exact(value.item, [value.x, value.y])),
      };
    }
    case 'brushlabels':
      return schema.type === 'segmentation'
        ? segmentationOf(schema, labelId, regions, taskRef)
        : instanceOf(labelId, first, taskRef);
    default:
      return undefined;
  }
}

/**
 * A region's relative coordinates: the uploaded ones when its percent values are still
 * exactly those they were uploaded as (see `ExactGeometry`), else converted.
 */
function exactOf(geometry: ExactGeometry, item: ResultItem, percents: number[]): number[] {
  const stored = item.id === undefined ? undefined : geometry[item.id];
  if (
    stored !== undefined &&
    stored.length === percents.length &&
    stored.every((value, i) => toPercent(value) === percents[i])
  ) {
    return stored;
  }
  return percents.map(fromPercent);
}

function pairs(values: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < values.length; i += 2) out.push([values[i] ?? 0, values[i + 1] ?? 0]);
  return out;
}

function instanceOf(labelId: string, item: ResultItem, taskRef: string) {
  const value = readValue(item, 'brushlabels', taskRef);
  const { width, height } = imageSize(item, taskRef);
  const mask = maskFromBrushRle(value.rle, width, height);
  let [left, top, right, bottom] = [width, height, -1, -1];
  mask.forEach((row, y) => {
    row.forEach((set, x) => {
      if (!set) return;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    });
  });
  const label = value.brushlabels[0] ?? null;
  if (right < 0) return { _cls: 'Detection', id: labelId, label, bounding_box: [0, 0, 0, 0] };
  return {
    _cls: 'Detection',
    id: labelId,
    label,
    bounding_box: [
      left / width,
      top / height,
      (right - left + 1) / width,
      (bottom - top + 1) / height,
    ],
    mask: mask.slice(top, bottom + 1).map((row) => row.slice(left, right + 1)),
  };
}

/** One segmentation from a brush per class: each class paints its mask target's value. */
function segmentationOf(
  schema: FieldSchema,
  labelId: string,
  regions: readonly Region[],
  taskRef: string,
) {
  const first = regions[0]?.item;
  if (first === undefined) return undefined;
  const { width, height } = imageSize(first, taskRef);
  const targets = new Map(
    Object.entries(schema.maskTargets ?? {}).map(([value, name]) => [name, Number(value)]),
  );
  const classes = classesOf(schema);
  const out = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  for (const { item } of regions) {
    const value = readValue(item, 'brushlabels', taskRef);
    const name = value.brushlabels[0] ?? '';
    const target = targets.get(name) ?? (Number(name) || classes.indexOf(name) + 1);
    maskFromBrushRle(value.rle, width, height).forEach((row, y) => {
      row.forEach((set, x) => {
        const line = out[y];
        if (set && line) line[x] = target;
      });
    });
  }
  return { _cls: 'Segmentation', id: labelId, mask: out };
}

function readValue<T extends ItemType>(
  item: ResultItem,
  type: T,
  taskRef: string,
): z.output<(typeof VALUE_SCHEMAS)[T]> {
  const parsed = VALUE_SCHEMAS[type].safeParse(item.value);
  if (parsed.success) return parsed.data as z.output<(typeof VALUE_SCHEMAS)[T]>;
  const issue = parsed.error.issues[0];
  throw new BackendError(
    'BACKEND_RESULT_INVALID',
    `Label Studio task ${taskRef} has a '${type}' region '${item.id ?? '?'}' whose value is invalid at '${issue?.path.join('.') ?? ''}': ${issue?.message ?? 'invalid'}`,
    { task: taskRef, region: item.id, type },
  );
}

function imageSize(item: ResultItem, taskRef: string): { width: number; height: number } {
  const width = item.original_width;
  const height = item.original_height;
  if (width !== undefined && height !== undefined) {
    return { width: Math.round(width), height: Math.round(height) };
  }
  throw new BackendError(
    'BACKEND_RESULT_INVALID',
    `Label Studio task ${taskRef} has a brush region '${item.id ?? '?'}' without original_width/original_height`,
    { task: taskRef, region: item.id },
  );
}

/** The image's size in pixels, when the item carries it (the editor always saves it). */
function imageSizeOf(item: ResultItem): { width: number; height: number } | undefined {
  const { original_width: width, original_height: height } = item;
  return width !== undefined && height !== undefined ? { width, height } : undefined;
}
