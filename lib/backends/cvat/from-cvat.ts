import { createHash } from 'node:crypto';
import { LABEL_TYPES } from '../../labels/label-types.js';
import type { Annotations } from '../../merge/contract.js';
import type { AttributeSpec, LabelSchema } from '../../schema/types.js';
import type { CvatAttributeValue, CvatLabel, CvatLabeledData } from './api.js';
import { boxFromCvat, pointsFromCvat } from './coordinates.js';
import { type FrameRange, FULL_RANGE, toFrameNumber } from './frame-range.js';
import { type IdentityReport, labelIdentity, type UploadedItem } from './identity.js';
import {
  attributeText,
  type CvatLabelBinding,
  type CvatLabelPlan,
  LABEL_ID_ATTR,
  SCALAR_VALUE_ATTR,
} from './label-specs.js';
import { DownloadedMasks } from './mask-download.js';
import { type MaskOriginal, maskFieldKind, maskPieceOf } from './masks.js';
import { expandTracks } from './tracks.js';

export type { UploadedItem } from './identity.js';

type Json = Record<string, unknown>;
const OBJECT_ID = /^[0-9a-f]{24}$/;

export interface FromCvatInput {
  cvatTaskId: number;
  data: CvatLabeledData;
  /** Task frame → sample id (frames are the task's samples, in upload order). */
  sampleIds: readonly string[];
  frames: ReadonlyArray<{ width: number; height: number }>;
  plan: CvatLabelPlan;
  labelSchema: LabelSchema;
  /** CVAT labels by id, with their attribute ids. */
  labels: ReadonlyMap<number, CvatLabel>;
  /** `shape:<id>` / `tag:<id>` → our label id, recorded from the upload's PUT response. */
  serverIds: Readonly<Record<string, string>>;
  /** What the upload sent, for matching items that lost both server id and `label_id`. */
  uploaded?: readonly UploadedItem[];
  /** Labels whose masks CVAT could not hold exactly, by label id (see `MaskOriginal`). */
  maskOriginals?: Readonly<Record<string, MaskOriginal>>;
  /** `geometry_match_threshold` (see identity.ts). */
  geometryMatchThreshold?: number;
  /** Told how every item found its id, for the audit record and the log. */
  onIdentity?: (report: IdentityReport) => void;
  /** A video task: one sample, and labels keyed by frame number. */
  video?: boolean;
  /** A video's frame count: tracks without a closing `outside` run to its end. */
  frameCount?: number;
  /** A video's annotation jobs (task frames): a track's piece ends with its job's frames. */
  jobs?: ReadonlyArray<{ start: number; stop: number }>;
  /** Server id of each piece of an uploaded track → the track (the task data's `trackPieces`). */
  trackPieces?: Readonly<Record<string, number>>;
  /** A video: the frames the task shows (default: all); task frame k → frame start + k·step + 1. */
  frameRange?: FrameRange;
}

/**
 * CVAT annotations → the core's download contract (SEMANTICS §4.4) for one task's samples.
 * A label's id is, in order: the one recorded for its server id at upload, its `label_id`
 * attribute, the id of the uploaded item its geometry matches (an item CVAT re-created, e.g.
 * through an annotation import; see identity.ts), or one derived from the task and
 * server id, so a re-download names a new label
 * the same way and the merge edits it instead of adding it twice. A second item claiming an
 * id already taken (a copy pasted in CVAT) gets its derived id: it is a new label.
 * In instance and segmentation fields, masks and polygons are gathered into masks
 * (`DownloadedMasks`). Shapes of types FiftyOne has no label for here (ellipse, cuboid,
 * skeleton, a mask elsewhere) are skipped.
 */
export function fromCvatAnnotations(input: FromCvatInput): Annotations {
  const out: Annotations = {};
  for (const [field, schema] of Object.entries(input.labelSchema)) {
    out[field] = { [LABEL_TYPES[schema.type].returnType]: {} };
  }
  const taken = new Set<string>();
  const polylines = new Map<string, Json>();
  const masks = new DownloadedMasks(input.maskOriginals);
  const items: Flat[] = [
    ...input.data.tags.map(
      (item): Flat => ({
        ...item,
        kind: 'tag',
        serverKey: `tag:${item.id}`,
        idBasis: `tag/${item.id ?? `frame-${item.frame}`}`,
        type: 'tag',
        points: [],
        occluded: false,
        labelIdUsable: true,
      }),
    ),
    ...input.data.shapes.map(
      (item): Flat => ({
        ...item,
        kind: 'shape',
        serverKey: `shape:${item.id}`,
        idBasis: `shape/${item.id ?? `frame-${item.frame}`}`,
        labelIdUsable: true,
      }),
    ),
    ...expandTracks(input.data.tracks, {
      frameCount: input.frameCount ?? 0,
      ...(input.jobs ? { jobs: input.jobs } : {}),
      ...(input.trackPieces ? { pieces: input.trackPieces } : {}),
    }).map(
      (frame): Flat => ({
        ...frame,
        kind: 'track',
        label_id: frame.labelId,
        serverKey: '',
        idBasis: `track/${frame.trackId}/${frame.frame}`,
        // Interpolated frames carry the keyframe's attributes, but not its label id (§5.2).
        labelIdUsable: frame.keyframe,
      }),
    ),
  ];
  const identity = labelIdentity(input);
  identity.order(items);
  input.onIdentity?.(identity.report(input.cvatTaskId));

  for (const item of items) {
    const { kind, type, points, occluded } = item;
    const cvatLabel = input.labels.get(item.label_id);
    const binding = cvatLabel ? input.plan.byName.get(cvatLabel.name) : undefined;
    const where = locate(input, item.frame);
    if (!cvatLabel || !binding || !where) continue;
    const { sampleId, frameKey, size } = where;
    if (binding.scalar) {
      if (frameKey === undefined) placeScalar(out, binding, cvatLabel, item, sampleId);
      continue;
    }
    const { values, labelIdAttr } = readAttributes(item.attributes, binding, cvatLabel);
    const recorded = input.serverIds[item.serverKey];
    const fromAttr =
      item.labelIdUsable && labelIdAttr && OBJECT_ID.test(labelIdAttr) ? labelIdAttr : undefined;
    const maskKind = maskFieldKind(binding.fieldSchema.type);
    const maskShape = maskKind !== undefined && (type === 'mask' || type === 'polygon');
    const at = { field: binding.field, sampleId, frameKey, size };
    if (maskShape && maskKind === 'segmentation') {
      // Every class of a Segmentation carries its id: one label, whatever the shapes.
      const fallback = derivedId(input.cvatTaskId, `segmentation/${sampleId}/${frameKey ?? ''}`);
      const piece = maskPieceOf(type, points, size, binding.className);
      masks.addSegment(
        at,
        binding.fieldSchema,
        { recorded: recorded ?? fromAttr, fallback },
        binding.className,
        piece,
      );
      continue;
    }
    let id =
      recorded ?? fromAttr ?? (item.kind === 'track' ? undefined : identity.byGeometry(item));
    const slot = `${sampleId}/${frameKey ?? ''}/${id}`;
    // Polygons of one label id are parts of one label: a polyline, or an instance's mask.
    const samePolyline =
      id !== undefined &&
      (type === 'polygon' || type === 'polyline') &&
      (polylines.has(slot) || (maskShape && masks.hasInstance(slot)));
    if (id === undefined || (taken.has(id) && !samePolyline)) {
      id = derivedId(input.cvatTaskId, item.idBasis);
    }

    const base: Json = { id, label: binding.className, ...values };
    if (kind === 'track') {
      base.index = item.index;
      if (item.keyframe) base.keyframe = true;
    }
    if (binding.occludedAttr && kind !== 'tag') base[binding.occludedAttr] = occluded;
    if (binding.groupIdAttr && item.group) base[binding.groupIdAttr] = item.group;
    let label: Json;
    let returnType: string;
    if (type === 'tag') {
      label = { _cls: 'Classification', ...base };
      returnType = 'classifications';
    } else if (type === 'rectangle') {
      label = {
        _cls: 'Detection',
        ...base,
        bounding_box: boxFromCvat(points, size.width, size.height),
      };
      returnType = 'detections';
    } else if (type === 'points') {
      label = {
        _cls: 'Keypoint',
        ...base,
        points: pointsFromCvat(points, size.width, size.height),
      };
      returnType = 'keypoints';
    } else if (maskShape) {
      const piece = maskPieceOf(type, points, size);
      masks.addInstance(
        `${sampleId}/${frameKey ?? ''}/${id}`,
        at,
        { _cls: 'Detection', ...base },
        piece,
      );
      taken.add(id);
      continue;
    } else if (type === 'polygon' || type === 'polyline') {
      const part = pointsFromCvat(points, size.width, size.height);
      const existing = polylines.get(`${sampleId}/${frameKey ?? ''}/${id}`);
      if (existing) {
        (existing.points as number[][][]).push(part);
        continue;
      }
      const closed = type === 'polygon';
      const openField =
        binding.fieldSchema.type === 'polyline' || binding.fieldSchema.type === 'polylines';
      label = { _cls: 'Polyline', ...base, points: [part], closed, filled: closed && !openField };
      polylines.set(`${sampleId}/${frameKey ?? ''}/${id}`, label);
      returnType = 'polylines';
    } else {
      continue;
    }
    taken.add(id);
    place(out, binding.field, returnType, sampleId, frameKey, id, label);
  }
  for (const { at, returnType, id, label } of masks.labels()) {
    place(out, at.field, returnType, at.sampleId, at.frameKey, id, label);
  }
  return out;
}

/** A tag, shape or track frame, flattened so one loop reads them all. */
interface Flat {
  kind: 'tag' | 'shape' | 'track';
  /** `shape:<id>` / `tag:<id>`: the key of the upload's server id map ('' for tracks). */
  serverKey: string;
  /** What a derived id is made from: stable across downloads of the same annotations. */
  idBasis: string;
  labelIdUsable: boolean;
  frame: number;
  label_id: number;
  group?: number | null | undefined;
  attributes: CvatAttributeValue[];
  type: string;
  points: number[];
  occluded: boolean;
  index?: number;
  keyframe?: boolean;
}

/** Images: frame k is the k-th sample. A video: the task's one sample, at its range's frame k. */
function locate(
  input: FromCvatInput,
  frame: number,
): { sampleId: string; frameKey?: string; size: { width: number; height: number } } | undefined {
  if (input.video) {
    const sampleId = input.sampleIds[0];
    const size = input.frames[0];
    return sampleId === undefined || !size
      ? undefined
      : { sampleId, frameKey: String(toFrameNumber(input.frameRange ?? FULL_RANGE, frame)), size };
  }
  const sampleId = input.sampleIds[frame];
  const size = input.frames[frame];
  return sampleId === undefined || !size ? undefined : { sampleId, size };
}

function placeScalar(
  out: Annotations,
  binding: CvatLabelBinding,
  cvatLabel: CvatLabel,
  item: Flat,
  sampleId: string,
): void {
  const text =
    binding.scalar === 'class'
      ? binding.className
      : (item.attributes.find(
          (each) =>
            cvatLabel.attributes.find((spec) => spec.id === each.spec_id)?.name ===
            SCALAR_VALUE_ATTR,
        )?.value ?? '');
  const value = parseAttribute(text, { type: 'text' });
  const byType = out[binding.field] ?? {};
  out[binding.field] = byType;
  const scalars = byType.scalar ?? {};
  byType.scalar = scalars;
  // One value per sample: the first tag wins, as FiftyOne keeps the first parsed value.
  if (value !== undefined && !(sampleId in scalars)) scalars[sampleId] = value;
}

function derivedId(taskId: number, basis: string): string {
  return createHash('sha256').update(`cvat/${taskId}/${basis}`).digest('hex').slice(0, 24);
}

function readAttributes(
  attributes: readonly CvatAttributeValue[],
  binding: CvatLabelBinding,
  cvatLabel: CvatLabel,
): { values: Json; labelIdAttr: string | undefined } {
  const names = new Map(cvatLabel.attributes.map((each) => [each.id, each.name]));
  const values: Json = {};
  let labelIdAttr: string | undefined;
  for (const { spec_id, value } of attributes) {
    const name = names.get(spec_id);
    if (name === undefined) continue;
    if (name === LABEL_ID_ATTR) {
      labelIdAttr = value;
      continue;
    }
    const spec = binding.attributes[name];
    if (!spec) continue;
    const parsed = parseAttribute(value, spec);
    if (parsed !== undefined) values[name] = parsed;
  }
  return { values, labelIdAttr };
}

/**
 * An attribute's text back to its value: a listed value of the spec wins (so `"1"` of
 * `values: [1, 2]` is the number 1); otherwise FiftyOne's order — int, float, boolean, string;
 * `""` and `"None"` are no value (SEMANTICS §9.6).
 */
export function parseAttribute(text: string, spec: AttributeSpec): unknown {
  const listed = (spec.values ?? []).find((value) => attributeText(value) === text);
  if (listed !== undefined) return listed;
  if (text === '' || text === 'None') return undefined;
  if (/^[+-]?\d+$/.test(text.trim())) return Number.parseInt(text, 10);
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) return Number.parseFloat(text);
  if (text === 'true' || text === 'True') return true;
  if (text === 'false' || text === 'False') return false;
  return text;
}

function place(
  out: Annotations,
  field: string,
  returnType: string,
  sampleId: string,
  frameKey: string | undefined,
  id: string,
  label: Json,
): void {
  const byType = (out[field] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  out[field] = byType;
  const bySample = byType[returnType] ?? {};
  byType[returnType] = bySample;
  let labels = (bySample[sampleId] ?? {}) as Record<string, unknown>;
  bySample[sampleId] = labels;
  if (frameKey !== undefined) {
    const byFrame = labels;
    labels = (byFrame[frameKey] ?? {}) as Record<string, unknown>;
    byFrame[frameKey] = labels;
  }
  labels[id] = label;
}
