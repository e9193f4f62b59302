import { z } from 'zod';
import { parseInput } from '../errors/index.js';
import type { LabelRecord } from '../labels/attributes.js';
import { isRecord } from '../labels/json.js';
import type { ReturnType } from '../labels/label-types.js';
import {
  labelIdSchema,
  type Scalar,
  SINGLE_LABEL_CLASSES,
  scalarSchema,
} from '../labels/schemas.js';
import {
  isObjectIdString,
  isPlainClassificationBody,
  isPlainDetectionBody,
} from './fast-guards.js';
import type { IdMapSlice } from './id-map-slice.js';
import type { DownloadedScalars } from './merge-scalars.js';
import { IdSet } from './slot-labels.js';

const ELEMENT_SCHEMAS: Record<Exclude<ReturnType, 'scalar'>, z.ZodType> = {
  classifications: SINGLE_LABEL_CLASSES.Classification.schema,
  detections: SINGLE_LABEL_CLASSES.Detection.schema,
  polylines: SINGLE_LABEL_CLASSES.Polyline.schema,
  keypoints: SINGLE_LABEL_CLASSES.Keypoint.schema,
  segmentation: SINGLE_LABEL_CLASSES.Segmentation.schema,
};

// Guards on the label without its id: the id is the key, checked on its own.
const FAST_GUARDS: Partial<Record<ReturnType, (value: unknown) => boolean>> = {
  detections: isPlainDetectionBody,
  classifications: isPlainClassificationBody,
};

const anyRecord = z.record(z.string(), z.unknown());

function requireRecord(value: unknown, where: string): Record<string, unknown> {
  return isRecord(value) ? value : parseInput(anyRecord, value, where);
}

/**
 * The downloaded labels of one sample (or frame), in download order. `labels[i]` is keyed
 * by `ids[i]` and is the caller's object, unless zod had to parse it: it is read, never
 * written, and `{ ...label, id }` makes the label a merge writes. Copying every label up
 * front cost more than merging it, and most labels are only compared.
 */
export interface LabelGroup {
  sampleId: string;
  /** Frame id or 1-based frame number of frame fields; '' for sample fields. */
  frameKey: string;
  ids: string[];
  labels: LabelRecord[];
  /**
   * Sample fields parsed with their id map: positions of ids it does not record (see
   * SlotLabels.newAt), and whether every recorded id came back. Frame groups leave these
   * to the merge, which resolves frames first.
   */
  newAt: number[] | undefined;
  allReturned: boolean;
  /** See SlotLabels.goneFrom; undefined for frame groups. */
  goneFrom: number | undefined;
}

/** Downloaded labels of one field, one group per sample (or frame) in download order. */
export type DownloadedLabels = LabelGroup[];

/**
 * Checks one return type of a tool's download against the label shapes and groups it per
 * sample and frame. Each label takes the id it is keyed by. A label that does not parse
 * fails the whole merge with the path of the culprit, before anything is merged.
 * `idMap` (the target's, already validated) spares re-checking the ids it records.
 */
export function parseDownloadedLabels(
  raw: Record<string, unknown>,
  returnType: Exclude<ReturnType, 'scalar'>,
  isFrameField: boolean,
  where: string,
  idMap?: IdMapSlice,
): DownloadedLabels {
  const out: DownloadedLabels = [];
  // for…in: own keys of plain JSON objects, without the entry arrays Object.entries builds.
  for (const sampleId in raw) {
    const value = raw[sampleId];
    if (!isFrameField) {
      const recorded = idMap?.get(sampleId);
      const known = Array.isArray(recorded) ? recorded : NO_IDS;
      out.push(
        parseGroup(returnType, sampleId, undefined, value, where, known, idMap !== undefined),
      );
      continue;
    }
    const frames = requireRecord(value, `${where}['${sampleId}']`);
    for (const frameKey in frames) {
      out.push(parseGroup(returnType, sampleId, frameKey, frames[frameKey], where, NO_IDS, false));
    }
  }
  return out;
}

/** Where a group sits in the input, for error messages only. */
function groupPath(where: string, sampleId: string, frameKey: string | undefined): string {
  return frameKey === undefined
    ? `${where}['${sampleId}']`
    : `${where}['${sampleId}']['${frameKey}']`;
}

const NO_IDS: ReadonlyArray<string> = [];

function parseGroup(
  returnType: Exclude<ReturnType, 'scalar'>,
  sampleId: string,
  frameKey: string | undefined,
  value: unknown,
  where: string,
  known: ReadonlyArray<string>,
  classify: boolean,
): LabelGroup {
  const labels = isRecord(value)
    ? value
    : requireRecord(value, groupPath(where, sampleId, frameKey));
  const fastGuard = FAST_GUARDS[returnType];
  // The keys array is the group's ids, and the labels list is allocated at its final size:
  // growing both by push was a fifth of the merge's allocation.
  const ids = Object.keys(labels);
  // The labels in key order, without a keyed lookup per id: each download dict has keys of
  // its own, so every such lookup missed V8's inline caches.
  const values = Object.values(labels);
  const group: LabelGroup = {
    sampleId,
    frameKey: frameKey ?? '',
    ids,
    labels: new Array<LabelRecord>(ids.length),
    newAt: undefined,
    allReturned: false,
    goneFrom: undefined,
  };
  // Tools return labels in upload order: a key equal to the next recorded id (valid, as the
  // id map was checked) needs no second check. Comparing is cheaper than checking 24 chars.
  let next = 0;
  let knownSet: IdSet | undefined;
  // No recorded id came back out of order: the recorded ids returned are known[0..next).
  let inOrder = true;
  for (let i = 0; i < ids.length; i += 1) {
    const labelId = ids[i] as string;
    if (next < known.length && known[next] === labelId) next += 1;
    else {
      if (!isObjectIdString(labelId)) {
        parseInput(
          labelIdSchema,
          labelId,
          `label id key in ${groupPath(where, sampleId, frameKey)}`,
        );
      }
      if (classify) {
        knownSet ??= new IdSet(known);
        if (knownSet.has(labelId)) inOrder = false;
        else if (group.newAt === undefined) group.newAt = [i];
        else group.newAt.push(i);
      }
    }
    const label = values[i];
    if (fastGuard?.(label)) {
      group.labels[i] = label as LabelRecord;
      continue;
    }
    const schema = ELEMENT_SCHEMAS[returnType];
    const withId = isRecord(label) ? { ...label, id: labelId } : label;
    const parsed = schema.safeParse(withId);
    if (!parsed.success) {
      parseInput(schema, withId, `${groupPath(where, sampleId, frameKey)}['${labelId}']`);
    }
    group.labels[i] = parsed.data as LabelRecord;
  }
  group.allReturned = classify && next === known.length;
  if (classify && inOrder) group.goneFrom = next;
  return group;
}

/** The scalar counterpart: `{sampleId: value}` or `{sampleId: {frameKey: value}}`. */
export function parseDownloadedScalars(
  raw: Record<string, unknown>,
  isFrameField: boolean,
  where: string,
): DownloadedScalars {
  const out: DownloadedScalars = new Map();
  for (const [sampleId, value] of Object.entries(raw)) {
    const path = `${where}['${sampleId}']`;
    const frames = new Map<string, Scalar>();
    if (isFrameField) {
      for (const [frameKey, frameValue] of Object.entries(requireRecord(value, path))) {
        frames.set(frameKey, parseInput(scalarSchema, frameValue, `${path}['${frameKey}']`));
      }
    } else {
      frames.set('', parseInput(scalarSchema, value, path));
    }
    out.set(sampleId, frames);
  }
  return out;
}
