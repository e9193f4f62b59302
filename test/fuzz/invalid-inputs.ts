import fc from 'fast-check';
import type { MergeInput } from '../../lib/merge/index.js';
import { mergeInputs } from '../unit/merge/build-run.js';

/**
 * Invalid merge inputs for the differential fuzz: a valid random input (build-run.ts) with
 * one spot corrupted, so the merges must refuse it, and refuse it with the same error code.
 * `corruption` names what was done where, for the report of a difference.
 */
type Rec = Record<string, unknown>;
export interface FuzzInput {
  input: MergeInput;
  /** What was corrupted and where; undefined for a valid input. */
  corruption?: string;
}

const isRec = (value: unknown): value is Rec =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const entriesOf = (value: unknown): Array<[string, unknown]> =>
  isRec(value) ? Object.entries(value) : [];

/** Where labels sit in a download: each label-id dict (a sample's, or a frame's). */
function labelGroups(annotations: Rec): Array<{ path: string; group: Rec }> {
  const out: Array<{ path: string; group: Rec }> = [];
  for (const [field, byType] of entriesOf(annotations)) {
    for (const [type, bySample] of entriesOf(byType)) {
      if (type === 'scalar') continue;
      for (const [sampleId, value] of entriesOf(bySample)) {
        const path = `${field}.${type}.${sampleId}`;
        if (!field.startsWith('frames.')) out.push({ path, group: value as Rec });
        else
          for (const [frame, group] of entriesOf(value)) {
            if (isRec(group)) out.push({ path: `${path}.${frame}`, group });
          }
      }
    }
  }
  return out.filter(({ group }) => isRec(group) && Object.keys(group).length > 0);
}

const BAD_IDS = ['not-an-id', '', '12345', 'zzzzzzzzzzzzzzzzzzzzzzzz'];
const BAD_ID_MAP_ENTRIES: unknown[] = ['x', 5, [1], [null], ['not-an-id'], { a: 'x' }, null];

/**
 * Corruptions: each edits one spot of `input` (a clone it owns), chosen by `pick`, and says
 * what it did. One with no spot to corrupt falls back on a spot every input has.
 */
const CORRUPTIONS: Record<string, (input: Rec, pick: number) => string> = {
  labelIdKey(input, pick) {
    const groups = labelGroups(input.annotations as Rec);
    const at = groups[pick % Math.max(1, groups.length)];
    if (at === undefined) return CORRUPTIONS.unknownReturnType?.(input, pick) as string;
    const [id, label] = Object.entries(at.group)[pick % Object.keys(at.group).length] as [
      string,
      unknown,
    ];
    const bad = BAD_IDS[pick % BAD_IDS.length] as string;
    delete at.group[id];
    at.group[bad] = label;
    return `label key ${at.path}.${id} → '${bad}'`;
  },
  malformedLabel(input, pick) {
    const groups = labelGroups(input.annotations as Rec);
    const at = groups[pick % Math.max(1, groups.length)];
    if (at === undefined) return CORRUPTIONS.unknownReturnType?.(input, pick) as string;
    const id = Object.keys(at.group)[pick % Object.keys(at.group).length] as string;
    const label = at.group[id] as Rec;
    // A key of another class is a custom attribute, not malformed: break one of its own.
    const own: Record<string, Rec> = {
      Detection: { bounding_box: [0, 0, 1] },
      Polyline: { points: 'x' },
      Keypoint: { points: 'x' },
      Segmentation: { mask: 'x' },
      Classification: { label: 7 },
    };
    const bad = [
      42,
      null,
      [],
      'x',
      { _cls: 'NotALabel' },
      { ...label, _cls: 42 },
      { ...label, ...own[String(label._cls)] },
      { ...label, ...own[String(label._cls)] },
    ][pick % 8];
    at.group[id] = bad;
    return `label ${at.path}.${id} → ${JSON.stringify(bad)}`;
  },
  idMapEntry(input, pick) {
    const idMap = input.idMap as Rec;
    const fields = Object.keys(idMap);
    const field = fields[pick % Math.max(1, fields.length)] ?? 'f0';
    const bySample = isRec(idMap[field]) ? (idMap[field] as Rec) : {};
    idMap[field] = bySample;
    const sampleId =
      Object.keys(bySample)[pick % Math.max(1, Object.keys(bySample).length)] ?? 's0';
    const bad = BAD_ID_MAP_ENTRIES[pick % BAD_ID_MAP_ENTRIES.length];
    // A frame field's entry is a dict of frames: corrupt one frame's entry inside it.
    const frames = bySample[sampleId];
    if (isRec(frames) && Object.keys(frames).length > 0) {
      const frameId = Object.keys(frames)[pick % Object.keys(frames).length] as string;
      frames[frameId] = bad === null || isRec(bad) ? 'x' : bad;
      return `idMap ${field}.${sampleId}.${frameId} → ${JSON.stringify(frames[frameId])}`;
    }
    bySample[sampleId] = bad;
    return `idMap ${field}.${sampleId} → ${JSON.stringify(bad)}`;
  },
  idMapField(input, pick) {
    const idMap = input.idMap as Rec;
    const field = Object.keys(idMap)[0] ?? 'f0';
    idMap[field] = [[], 'x', 5, null][pick % 4];
    return `idMap ${field} → ${JSON.stringify(idMap[field])}`;
  },
  unknownReturnType(input, pick) {
    const annotations = input.annotations as Rec;
    const field = Object.keys(annotations)[pick % Math.max(1, Object.keys(annotations).length)];
    const name = field ?? 'f0';
    const byType = isRec(annotations[name]) ? (annotations[name] as Rec) : {};
    const type = ['boxes', 'detection', 'Detections', ''][pick % 4] as string;
    annotations[name] = { ...byType, [type]: {} };
    return `annotations ${name} gets return type '${type}'`;
  },
  notADict(input, pick) {
    const annotations = input.annotations as Rec;
    const fields = Object.keys(annotations);
    const field = fields[pick % Math.max(1, fields.length)] ?? 'f0';
    const byType = annotations[field];
    const bad = [42, [], 'x', null][pick % 4];
    const types = Object.keys(isRec(byType) ? byType : {});
    if (!isRec(byType) || types.length === 0 || pick % 3 === 0) {
      annotations[field] = bad;
      return `annotations ${field} → ${JSON.stringify(bad)}`;
    }
    const type = types[pick % types.length] as string;
    const bySample = byType[type];
    const samples = Object.keys(isRec(bySample) ? bySample : {});
    // A scalar's sample value may be a number or string, and a frame field's is a dict of
    // frames: only a list (or a dict where a value belongs) is wrong there.
    const frame = field.startsWith('frames.');
    const wrong = type === 'scalar' ? [[1], frame ? 5 : { a: 1 }][pick % 2] : bad;
    if (!isRec(bySample) || samples.length === 0 || pick % 3 === 1) {
      byType[type] = bad;
      return `annotations ${field}.${type} → ${JSON.stringify(bad)}`;
    }
    const sampleId = samples[pick % samples.length] as string;
    bySample[sampleId] = wrong;
    return `annotations ${field}.${type}.${sampleId} → ${JSON.stringify(wrong)}`;
  },
  unexpectedPolicy(input, pick) {
    input.unexpected = ['prompt', 'prompt', 'maybe', 5, null][pick % 5];
    return `unexpected → ${JSON.stringify(input.unexpected)}`;
  },
  destField(input, pick) {
    const schema = input.labelSchema as Rec;
    const first = Object.keys(schema)[0] ?? 'f0';
    if (pick % 3 === 0) {
      // A destination that exists holding another type (DEST_FIELD_CONFLICT).
      const dataset = input.dataset as { sampleFields: Rec; frameFields?: Rec };
      const frame = first.startsWith('frames.');
      const type = (schema[first] as { type?: unknown }).type;
      const holds = type === 'scalar' ? 'Detections' : 'StringField';
      if (frame) dataset.frameFields = { ...dataset.frameFields, taken: holds };
      else dataset.sampleFields.taken = holds;
      input.destField = { [first]: frame ? 'frames.taken' : 'taken' };
      return `destField ${first} → existing 'taken' holding ${holds}`;
    }
    input.destField = [5, '', { [first]: '' }, { [first]: 5 }, ['x']][pick % 5];
    return `destField → ${JSON.stringify(input.destField)}`;
  },
  samples(input, pick) {
    const samples = input.samples as Rec[];
    const i = pick % samples.length;
    const sample = samples[i] as Rec;
    if (pick % 5 === 4) {
      input.samples = { s0: sample };
      return 'samples → a dict';
    }
    const bad: Array<[string, unknown]> = [
      ['null', null],
      ['id 5', { ...sample, id: 5 }],
      ['no filepath', { ...sample, filepath: undefined }],
      ["frames 'x'", { ...sample, frames: 'x' }],
    ];
    const [what, value] = bad[pick % bad.length] as [string, unknown];
    samples[i] = value as Rec;
    return `samples[${i}] → ${what}`;
  },
  labelSchema(input, pick) {
    const schema = input.labelSchema as Rec;
    const field = Object.keys(schema)[pick % Object.keys(schema).length] as string;
    const bad = [null, 'detections', { ...(schema[field] as Rec), type: 'boxes' }][pick % 3];
    schema[field] = bad;
    return `labelSchema ${field} → ${JSON.stringify(bad)}`;
  },
  dataset(input, pick) {
    const dataset = input.dataset as Rec;
    const bad: Array<[string, unknown]> = [
      ['null', null],
      ["mediaType ''", { ...dataset, mediaType: '' }],
      ['no sampleFields', { ...dataset, sampleFields: undefined }],
      ['sampleFields {f0: 5}', { ...dataset, sampleFields: { f0: 5 } }],
    ];
    const [what, value] = bad[pick % bad.length] as [string, unknown];
    input.dataset = value;
    return `dataset → ${what}`;
  },
};

export const CORRUPTION_KINDS = Object.keys(CORRUPTIONS);

/** A valid random input with one spot corrupted. */
export const invalidInputs = (): fc.Arbitrary<FuzzInput> =>
  fc
    .record({
      valid: mergeInputs(),
      kind: fc.constantFrom(...CORRUPTION_KINDS),
      pick: fc.nat({ max: 1_000_000 }),
    })
    .map(({ valid, kind, pick }) => {
      const input = structuredClone(valid) as unknown as Rec;
      const corruption = `${kind}: ${(CORRUPTIONS[kind] as (i: Rec, p: number) => string)(input, pick)}`;
      return { input: input as unknown as MergeInput, corruption };
    });

/** Valid inputs, with invalid ones mixed in at `invalidRate` (0 to 1). */
export function fuzzInputs(invalidRate: number): fc.Arbitrary<FuzzInput> {
  const invalid = Math.round(invalidRate * 100);
  const valid = mergeInputs().map((input): FuzzInput => ({ input }));
  if (invalid <= 0) return valid;
  if (invalid >= 100) return invalidInputs();
  return fc.oneof(
    { weight: 100 - invalid, arbitrary: valid },
    { weight: invalid, arbitrary: invalidInputs() },
  );
}
