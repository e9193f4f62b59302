import type { Sample } from '../lib/labels/index.js';
import type { Annotations, IdMap, MergeInput } from '../lib/merge/index.js';
import type { FieldSchema } from '../lib/schema/types.js';

/** Labels per sample in the synthetic run: a busy detection dataset. */
export const LABELS_PER_SAMPLE = 10;

/** `--page=<samples>` from the command line, else the default: the bench scripts' page size. */
export function pageSizeArg(fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith('--page='));
  const size = arg === undefined ? fallback : Number(arg.slice('--page='.length));
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`--page wants a positive integer: ${arg}`);
  return size;
}

const oid = (n: number): string => n.toString(16).padStart(24, '0');

/** The run's schema: restrictions and attribute checks on, as a careful team would set them. */
export const BENCH_FIELD: FieldSchema = {
  type: 'detections',
  classes: [
    'car',
    'person',
    { classes: ['bike'], attributes: { parked: { type: 'checkbox', values: [true, false] } } },
  ],
  attributes: {
    occluded: { type: 'checkbox', values: [true, false] },
    source: { type: 'text', readOnly: true },
  },
  existingField: true,
  allowAdditions: true,
  allowDeletions: true,
  allowLabelEdits: true,
  allowSpatialEdits: false,
};

const CLASSES = ['car', 'person', 'bike'];

/**
 * One page of a synthetic run, built on demand so only one page is ever alive: samples
 * with stored detections, the uploaded ids, and a download in which the annotator edited
 * about half of the labels, deleted one and added one per sample.
 *
 * The page goes through JSON, as a load's page does (DynamoDB items, a tool's download):
 * its strings are flat and its objects shaped as JSON.parse makes them. Built directly,
 * the ids were concatenated strings that the merge's first character read had to flatten,
 * a cost no real load pays (it doubled the id-map check).
 */
export function benchPage(pageIndex: number, samplesPerPage: number): MergeInput {
  if (samplesPerPage <= JSON_CHUNK) return throughJson(buildPage(pageIndex, samplesPerPage));
  // A whole run goes through JSON a chunk at a time: one string of the whole run would
  // dominate the peak RSS the bench reports for it.
  const whole = buildPage(0, 0);
  const idMap = whole.idMap as Record<string, Record<string, unknown>>;
  const annotations = whole.annotations as { gt: { detections: Record<string, unknown> } };
  for (let start = 0; start < samplesPerPage; start += JSON_CHUNK) {
    const chunk = throughJson(
      buildPage(
        0,
        Math.min(JSON_CHUNK, samplesPerPage - start),
        pageIndex * samplesPerPage + start,
      ),
    );
    whole.samples.push(...chunk.samples);
    Object.assign(idMap.gt ?? {}, (chunk.idMap as typeof idMap).gt);
    Object.assign(
      annotations.gt.detections,
      (chunk.annotations as typeof annotations).gt.detections,
    );
  }
  return whole;
}

const JSON_CHUNK = 1000;

const throughJson = (input: MergeInput): MergeInput =>
  JSON.parse(JSON.stringify(input)) as MergeInput;

function buildPage(
  pageIndex: number,
  samplesPerPage: number,
  firstSample = pageIndex * samplesPerPage,
): MergeInput {
  const samples: Sample[] = [];
  const uploaded: Record<string, string[]> = {};
  const download: Record<string, Record<string, unknown>> = {};
  for (let s = 0; s < samplesPerPage; s += 1) {
    const sampleNumber = firstSample + s;
    const sampleId = oid(0x100000000 + sampleNumber);
    const stored: Record<string, unknown>[] = [];
    const ids: string[] = [];
    const labels: Record<string, unknown> = {};
    for (let l = 0; l < LABELS_PER_SAMPLE - 1; l += 1) {
      const id = oid(sampleNumber * LABELS_PER_SAMPLE + l);
      const label = CLASSES[(sampleNumber + l) % 3] as string;
      stored.push({
        _cls: 'Detection',
        id,
        label,
        bounding_box: [0.1, 0.2, 0.3, 0.4],
        confidence: 0.9,
        occluded: false,
        source: 'model',
      });
      ids.push(id);
      if (l === LABELS_PER_SAMPLE - 2) continue; // deleted (the old `l % 10 === 9` never was)
      labels[id] = {
        _cls: 'Detection',
        label: l % 3 === 0 ? 'person' : label,
        bounding_box: [0.1, 0.2, 0.3, 0.4],
        occluded: l % 3 === 1,
        source: 'model',
      };
    }
    labels[oid(0xf00000000 + sampleNumber)] = {
      _cls: 'Detection',
      label: 'car',
      bounding_box: [0.5, 0.5, 0.1, 0.1],
      occluded: false,
    };
    samples.push({
      id: sampleId,
      filepath: `s3://bench/${sampleId}.jpg`,
      gt: { _cls: 'Detections', detections: stored },
    });
    uploaded[sampleId] = ids;
    download[sampleId] = labels;
  }
  const idMap: IdMap = { gt: uploaded };
  const annotations: Annotations = { gt: { detections: download } };
  return {
    dataset: { mediaType: 'image', sampleFields: { gt: 'Detections' } },
    samples,
    labelSchema: { gt: BENCH_FIELD },
    idMap,
    annotations,
  };
}
