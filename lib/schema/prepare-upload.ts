import { getAttribute, type LabelRecord } from '../labels/attributes.js';
import {
  isFrameField,
  isListClass,
  LIST_CONTAINERS,
  stripFramesPrefix,
} from '../labels/label-types.js';
import type { Sample } from '../labels/schemas.js';
import type { IdMap, IdMapEntry } from '../merge/contract.js';
import { isRecord } from './format.js';
import { kindFilter, labelsOf, storedClass } from './label-kinds.js';
import type { DatasetSchema, FieldSchema, LabelSchema } from './types.js';
import type { UploadFrame, UploadSample } from './upload-sample.js';

export interface PrepareUploadContext {
  /**
   * The collection's schema. The built label schema already says how each field is read
   * (its type names the stored class), so uploads do not depend on it; it is part of the
   * context so that every step of a run takes the same inputs.
   */
  readonly dataset: DatasetSchema;
  /** One page of the run's samples; each is mapped on its own, so callers bound memory by paging. */
  readonly samples: Iterable<Sample>;
  readonly labelSchema: LabelSchema;
}

export interface PreparedUpload {
  readonly samples: UploadSample[];
  /** Every uploaded label id (or scalar flag) per field and sample: the page's id-map slice. */
  readonly idMap: IdMap;
}

type Selection = { readonly value: unknown; readonly entry: IdMapEntry };

interface FieldUpload {
  readonly name: string;
  /** The key inside a sample, or inside each frame for `frames.` fields. */
  readonly key: string;
  readonly frameLevel: boolean;
  readonly select: (value: unknown) => Selection;
  /** This field's slice of the id map, filled sample by sample. */
  readonly ids: IdMap[string];
}

/**
 * Decides what each sample shows the tool and records it in the id map, the single source of
 * truth for deletions at merge time (SEMANTICS §4.3, §11.1). New fields upload nothing and get
 * no entry. For an existing label field, a label is uploaded only if it
 * (a) is of the kind the field is annotated as (boxes vs instances, polygons vs polylines),
 * (b) has a class in the field's classes (class groups flattened; no classes → all), and
 * (c) is a keyframe, when the field uploads only keyframes.
 * Labels left out are neither uploaded nor recorded, so the merge leaves them untouched.
 * FiftyOne applies (b) in CVAT's upload (§9.5); annoflow applies it for every backend, so one
 * run behaves the same whichever tool serves it.
 *
 * Every sample gets an entry per existing field (an empty list when nothing was uploaded);
 * frame fields get one per frame. Scalars record `true` when a value was uploaded and `false`
 * otherwise (a null value, or one outside the classes).
 *
 * Inputs are never mutated: filtered containers are copies. Uploaded labels are the input's
 * own objects, not clones (masks can be large); treat the result as read-only.
 */
export function prepareUpload(ctx: PrepareUploadContext): PreparedUpload {
  const uploads = Object.entries(ctx.labelSchema)
    .filter(([, field]) => field.existingField)
    .map(([name, field]) => fieldUpload(name, field));
  const idMap: IdMap = Object.fromEntries(uploads.map((upload) => [upload.name, upload.ids]));
  const samples: UploadSample[] = [];
  for (const sample of ctx.samples) samples.push(prepareSample(sample, uploads));
  return { samples, idMap };
}

function prepareSample(sample: Sample, uploads: readonly FieldUpload[]): UploadSample {
  const out: UploadSample = { id: sample.id, filepath: sample.filepath, fields: {} };
  if (sample.media_type !== undefined) out.media_type = sample.media_type;
  if (sample.metadata !== undefined) out.metadata = sample.metadata;
  if (sample.tags !== undefined) out.tags = [...sample.tags];

  const frameLevel: Array<{ upload: FieldUpload; entries: Record<string, IdMapEntry> }> = [];
  for (const upload of uploads) {
    if (upload.frameLevel) {
      const entries: Record<string, IdMapEntry> = {};
      upload.ids[sample.id] = entries;
      frameLevel.push({ upload, entries });
      continue;
    }
    const { value, entry } = upload.select(sample[upload.key]);
    out.fields[upload.key] = value;
    upload.ids[sample.id] = entry;
  }

  if (isRecord(sample.frames)) {
    const frames: Record<string, UploadFrame> = {};
    for (const [number, frame] of Object.entries(sample.frames)) {
      const fields: Record<string, unknown> = {};
      for (const { upload, entries } of frameLevel) {
        const { value, entry } = upload.select(frame[upload.key]);
        fields[upload.key] = value;
        entries[frame.id] = entry;
      }
      frames[number] = { id: frame.id, fields };
    }
    out.frames = frames;
  }
  return out;
}

function fieldUpload(name: string, field: FieldSchema): FieldUpload {
  return {
    name,
    key: stripFramesPrefix(name),
    frameLevel: isFrameField(name),
    select: field.type === 'scalar' ? scalarSelector(field) : labelSelector(field),
    ids: {},
  };
}

function classNames(field: FieldSchema): Set<string> {
  return new Set(
    field.classes.flatMap((item) => (typeof item === 'string' ? [item] : item.classes)),
  );
}

function scalarSelector(field: FieldSchema): (value: unknown) => Selection {
  const classes = classNames(field);
  const inClasses = (value: unknown): boolean =>
    classes.size === 0 || classes.has(typeof value === 'string' ? value : String(value));
  return (value) =>
    value != null && inClasses(value) ? { value, entry: true } : { value: null, entry: false };
}

function labelIds(labels: readonly LabelRecord[]): string[] {
  return labels.flatMap((label) => (typeof label.id === 'string' ? [label.id] : []));
}

function labelSelector(field: FieldSchema): (value: unknown) => Selection {
  const cls = storedClass(field.type);
  if (cls === null) throw new TypeError(`Field type '${field.type}' holds no labels`);
  const kind = kindFilter(field.type);
  // Segmentations have no class of their own: their classes name mask values.
  const classes = field.type === 'segmentation' ? new Set<string>() : classNames(field);
  const keyframesOnly = field.onlyKeyframes === true;
  const keep = (label: LabelRecord): boolean =>
    (!kind || kind(label)) &&
    (classes.size === 0 || (typeof label.label === 'string' && classes.has(label.label))) &&
    (!keyframesOnly || getAttribute(label, 'keyframe') === true);

  return (value) => {
    if (!isRecord(value)) return { value: null, entry: [] };
    if (isListClass(cls)) {
      const kept = labelsOf(value, cls).filter(keep);
      return { value: { ...value, [LIST_CONTAINERS[cls].listKey]: kept }, entry: labelIds(kept) };
    }
    return keep(value) ? { value, entry: labelIds([value]) } : { value: null, entry: [] };
  };
}
