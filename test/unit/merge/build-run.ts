import fc from 'fast-check';
import type { MergeInput } from '../../../lib/merge/index.js';
import { oid } from '../../support/builders.js';
import {
  applyEdit,
  fieldSchema,
  type LabelValue,
  type RunSpec,
  renderLabel,
  returnTypeOf,
  runSpec,
  SCALARS,
  type SlotSpec,
  storedAsOf,
} from './arbitraries.js';
import { addUnexpected, child, type Field } from './build-unexpected.js';

type Rec = Record<string, unknown>;
const LIST_KEY: Record<string, string> = {
  Classifications: 'classifications',
  Detections: 'detections',
  Polylines: 'polylines',
  Keypoints: 'keypoints',
};
const PLAIN: LabelValue = {
  cls: 1,
  geo: 1,
  index: 1,
  keyframe: undefined,
  attrs: [],
  legacy: 0,
  conf: undefined,
};

export interface BuildOptions {
  /**
   * The precondition of label-id uniqueness: the download never returns, for a slot, an id
   * that is stored in the dataset but not recorded for that slot. Labels that would break it
   * (never uploaded, unrecorded, pasted from another slot) come back under a new id instead.
   * Without it FiftyOne adds a second label under the stored id (SEMANTICS §5.1), and a replay
   * then edits the first of the two: not idempotent either.
   */
  uniqueIds?: boolean;
}

const TRACKED = ['detections', 'polylines', 'keypoints'] as const;

/**
 * Runs on videos whose fields are all tracked frame fields: track reconciliation's rare
 * collisions (a track meeting a stored label at its frame and index) come up often here.
 */
export const trackedVideoInputs = (options: BuildOptions = {}): fc.Arbitrary<MergeInput> =>
  runSpec.map((spec) =>
    buildRun(
      {
        ...spec,
        video: true,
        fields: spec.fields.map((f, i) => ({ ...f, frame: true, type: TRACKED[i % 3] ?? f.type })),
      },
      options,
    ),
  );

/**
 * Random valid merge inputs (nothing here makes the merge throw); one in three is a video whose
 * fields are all tracked frame fields (see trackedVideoInputs).
 */
export const mergeInputs = (options: BuildOptions = {}): fc.Arbitrary<MergeInput> =>
  fc.oneof(
    { weight: 2, arbitrary: runSpec.map((spec) => buildRun(spec, options)) },
    { weight: 1, arbitrary: trackedVideoInputs(options) },
  );

/**
 * Runs in which every slot has stored labels, all uploaded, recorded and returned edited (some
 * edits change nothing): the properties of edits see each kind of edit on every label class and field
 * type often, where broad runs spread few edits over many kinds.
 */
export const editedInputs = (options: BuildOptions = {}): fc.Arbitrary<MergeInput> =>
  runSpec.map((spec) =>
    buildRun(
      {
        ...spec,
        samples: spec.samples.map((sample) => ({
          ...sample,
          slots: sample.slots.map((slot) => ({
            ...slot,
            state: 'present' as const,
            inDownload: true,
            // Stale entries stay: a label removed after upload beside the edited ones.
            idMapMode:
              slot.idMapMode === 'absent' || slot.idMapMode === 'bool' ? 'normal' : slot.idMapMode,
            labels: slot.labels.map((l) => ({ ...l, uploaded: true, fate: 'edit' as const })),
          })),
        })),
      },
      options,
    ),
  );

export function buildRun(spec: RunSpec, { uniqueIds = false }: BuildOptions = {}): MergeInput {
  let counter = 0;
  const newId = () => oid(++counter);
  const storedIds = new Set<string>();
  const pool: string[] = [];
  const sampleFields: Rec = {};
  const frameFields: Rec = {};
  const dataset: Rec = { mediaType: spec.video ? 'video' : 'image', sampleFields };
  const labelSchema: Rec = {};
  const idMap: Record<string, Rec> = {};
  const annotations: Record<string, Record<string, Rec>> = {};

  const fields: Field[] = spec.fields.map((f, i) => {
    // Frame fields are on video; one on an image dataset has only unknown frames.
    const frame = f.frame && (spec.video || i === 2);
    const name = `${frame ? 'frames.' : ''}f${i}`;
    const leaf = `f${i}`;
    labelSchema[name] = fieldSchema(f);
    if (f.inDataset)
      (frame ? frameFields : sampleFields)[frame ? leaf : name] = storedAsOf(f.type) ?? 'IntField';
    idMap[name] = {};
    annotations[name] = { [returnTypeOf(f.type)]: {} };
    return { name, leaf, frame, type: f.type, rt: returnTypeOf(f.type) };
  });
  if (spec.video || Object.keys(frameFields).length > 0) dataset.frameFields = frameFields;

  const samples: Rec[] = spec.samples.map((ss, si) => {
    const sid = `s${si}`;
    const sample: Rec = { id: sid, filepath: `/d/${sid}.${spec.video ? 'mp4' : 'jpg'}` };
    const frames: Array<{ num: string; id: string }> = [];
    if (spec.video) {
      sample.media_type = 'video';
      const byNumber: Rec = {};
      for (let k = 1; k <= ss.frames; k += 1) {
        const frame = { num: String(ss.sparse ? 2 * k : k), id: oid(0xf00000 + si * 16 + k) };
        byNumber[frame.num] = { id: frame.id };
        frames.push(frame);
      }
      sample.frames = byNumber;
    }
    let slotIx = 0;
    for (const f of fields) {
      const where = f.frame ? [...frames, ...(ss.newFrame ? ['new' as const] : [])] : [undefined];
      for (const frame of where) {
        const s = ss.slots[slotIx++ % ss.slots.length] as SlotSpec;
        const dl = annotations[f.name]?.[f.rt] as Rec;
        const im = idMap[f.name] as Rec;
        const holder =
          frame === undefined
            ? sample
            : frame === 'new'
              ? undefined
              : ((sample.frames as Rec)[frame.num] as Rec);
        let dlKeys = [''];
        if (frame === 'new') dlKeys = [String(Number(frames.at(-1)?.num ?? 0) + 1)];
        else if (frame !== undefined) {
          dlKeys = { id: [frame.id], number: [frame.num], both: [frame.num, frame.id] }[
            s.frameKey as 'id'
          ] ?? [oid(0xbad000 + si)];
        }
        const putDl = (key: string, group: unknown) => {
          if (f.frame) child(dl, sid)[key] = group;
          else dl[sid] = group;
        };
        const putIdMap = (entry: unknown) => {
          if (f.frame)
            child(im, sid)[frame === undefined || frame === 'new' ? oid(0xbad100 + si) : frame.id] =
              entry;
          else im[sid] = entry;
        };

        if (f.type === 'scalar') {
          if (holder && s.scalarStored < SCALARS.length) holder[f.leaf] = SCALARS[s.scalarStored];
          if (s.scalarRec !== 'none') putIdMap(s.scalarRec === 'true');
          if (s.scalarDl < SCALARS.length)
            for (const key of dlKeys) putDl(key, SCALARS[s.scalarDl]);
          continue;
        }

        const storedAs = storedAsOf(f.type) as string;
        const listKey = LIST_KEY[storedAs];
        const labels = listKey === undefined ? s.labels.slice(0, 1) : s.labels;
        const ids = labels.map(() => newId());
        const stored = labels.map((l, k) => renderLabel(f.rt, l.value, ids[k]));
        if (holder && s.state === 'present') {
          holder[f.leaf] =
            listKey === undefined ? (stored[0] ?? null) : { _cls: storedAs, [listKey]: stored };
          for (const id of ids) storedIds.add(id);
        } else if (holder && s.state === 'null') holder[f.leaf] = null;
        pool.push(...ids);

        let recorded = ids.filter((_, k) => labels[k]?.uploaded);
        let staleId: string | undefined;
        if (frame !== 'new') {
          if (s.idMapMode === 'absent') recorded = [];
          else if (s.idMapMode === 'bool') {
            putIdMap(true);
            recorded = [];
          } else if (s.idMapMode === 'stale' || s.idMapMode === 'staleReturned') {
            staleId = newId();
            putIdMap([...recorded, staleId]);
          } else if (s.idMapMode === 'repeated') putIdMap([...recorded, ...recorded]);
          else putIdMap(recorded);
        } else recorded = [];
        if (!s.inDownload) continue;

        // An id that would break the uniqueness precondition comes back as a new label.
        const safeId = (id: string) =>
          uniqueIds && storedIds.has(id) && !recorded.includes(id) ? newId() : id;
        const entries: Array<[string, Rec]> = [];
        labels.forEach((l, k) => {
          if (l.fate === 'delete') return;
          const id = ids[k] as string;
          const label =
            l.fate === 'same-format'
              ? structuredClone(stored[k] as Rec)
              : renderLabel(
                  f.rt,
                  l.fate === 'edit' ? applyEdit(l.value, l.edit) : l.value,
                  l.withId ? id : undefined,
                );
          if (!l.withId) delete label.id;
          const key = safeId(id);
          if (key !== id) delete label.id;
          entries.push([key, label]);
        });
        if (staleId !== undefined && s.idMapMode === 'staleReturned') {
          // An edited label that was removed from the dataset after upload.
          entries.push([staleId, renderLabel(f.rt, s.added[0] ?? labels[0]?.value ?? PLAIN)]);
        }
        for (const v of s.added) entries.push([newId(), renderLabel(f.rt, v)]);
        for (const [p, v] of s.pastes) {
          const id = pool.length > 0 ? safeId(pool[p % pool.length] as string) : undefined;
          if (id === undefined || entries.some(([e]) => e === id)) continue;
          entries.push([id, renderLabel(f.rt, v)]);
        }
        const ordered = reorder(entries, s.order);
        if (ordered.length === 0 && !s.emptyGroup) continue;
        for (const key of dlKeys)
          putDl(key, Object.fromEntries(ordered.map(([id, l]) => [id, structuredClone(l)])));
      }
    }
    return sample;
  });

  const first = fields[0] as Field;
  if (spec.ghostDownload) {
    // A sample deleted after the run was annotated: SAMPLE_NOT_FOUND.
    const dl = annotations[first.name]?.[first.rt] as Rec;
    const group = first.type === 'scalar' ? 1 : { [newId()]: renderLabel(first.rt, PLAIN) };
    dl.ghost = first.frame ? { '1': group } : group;
  }
  if (spec.ghostIdMap) {
    (idMap[first.name] as Rec).ghost =
      first.type === 'scalar' ? true : first.frame ? { [oid(0xabc)]: [newId()] } : [newId()];
  }
  addUnexpected(spec, fields, samples, annotations, idMap, sampleFields, newId, uniqueIds);

  const input: Rec = { dataset, samples, labelSchema, idMap, annotations };
  if (spec.unexpectedPolicy !== undefined) input.unexpected = spec.unexpectedPolicy;
  if (spec.destField === 'string') input.destField = 'dst';
  else if (spec.destField === 'map')
    input.destField = { [first.name]: first.frame ? 'frames.dst0' : 'dst0' };
  else if (spec.destField === 'mapAll')
    input.destField = Object.fromEntries(fields.map((f) => [f.name, `d_${f.leaf}`]));
  // Built from the specs above; the merge validates it like any caller's input.
  return input as unknown as MergeInput;
}

function reorder<T>(entries: T[], order: string): T[] {
  if (order === 'reverse') return [...entries].reverse();
  if (order === 'rotate' && entries.length > 1) return [...entries.slice(1), entries[0] as T];
  return entries;
}
