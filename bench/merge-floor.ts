/**
 * The floor for bench/merge on this machine: the same pages through the least any merge of
 * them must do — enumerate each downloaded label, find its stored label, compare the
 * fields the run checks, copy the changed ones, append the additions and list each change —
 * without validation, restrictions, id-map bookkeeping or duplicate-id handling. It is not a
 * merge (it knows the workload's shape); it calibrates the machine, so `merge ÷ floor`
 * compares runs on machines of different speed.
 * Usage: tsx bench/merge-floor.ts <labels> [--page=<samples>] (default: the load's page size)
 */
import { DEFAULT_MERGE_PAGE_SIZE } from '../lib/workflows/inputs.js';
import { benchPage, LABELS_PER_SAMPLE, pageSizeArg } from './merge-workload.js';

type Json = Record<string, unknown>;
const SAMPLES_PER_PAGE = pageSizeArg(DEFAULT_MERGE_PAGE_SIZE);

function floorMerge(input: ReturnType<typeof benchPage>): number {
  const download = ((input.annotations as Json).gt as Json).detections as Record<string, Json>;
  const changes: Json[] = [];
  const out: Json[] = [];
  for (const sample of input.samples as Json[]) {
    const sampleId = sample.id as string;
    const labels = download[sampleId] ?? {};
    const stored = (sample.gt as Json).detections as Json[];
    const ids: string[] = [];
    const got: Json[] = [];
    for (const id in labels) {
      ids.push(id);
      got.push(labels[id] as Json);
    }
    const taken = new Uint8Array(ids.length);
    let merged: Json[] | undefined;
    let from = 0;
    for (let i = 0; i < stored.length; i += 1) {
      const label = stored[i] as Json;
      let next: Json | undefined = label;
      let at = -1;
      for (let k = 0; k < ids.length; k += 1, from += 1) {
        if (from >= ids.length) from = 0;
        if (ids[from] === label.id) {
          at = from;
          from += 1;
          break;
        }
      }
      if (at < 0) next = undefined;
      else {
        taken[at] = 1;
        const edit = got[at] as Json;
        if (
          label.label !== edit.label ||
          label.occluded !== (edit.occluded ?? null) ||
          (label.parked ?? null) !== (edit.parked ?? null)
        ) {
          next = { ...label, label: edit.label, occluded: edit.occluded ?? null };
          changes.push({ field: 'gt', sampleId, labelId: label.id, action: 'edited' });
        }
      }
      if (merged === undefined && next !== label) merged = stored.slice(0, i);
      if (next !== undefined) merged?.push(next);
      else changes.push({ field: 'gt', sampleId, labelId: label.id, action: 'deleted' });
    }
    for (let k = 0; k < ids.length; k += 1) {
      if (taken[k]) continue;
      merged ??= stored.slice();
      merged.push({ ...got[k], id: ids[k] });
      changes.push({ field: 'gt', sampleId, labelId: ids[k], action: 'added' });
    }
    out.push(merged ? { ...sample, gt: { ...(sample.gt as Json), detections: merged } } : sample);
  }
  return out.length + changes.length;
}

const labels = Number(process.argv[2] ?? 1_000_000);
const pages = Math.ceil(labels / LABELS_PER_SAMPLE / SAMPLES_PER_PAGE);
for (let warm = 0; warm < Math.ceil(1000 / SAMPLES_PER_PAGE); warm += 1) {
  floorMerge(benchPage(pages + warm, SAMPLES_PER_PAGE));
}
let ms = 0;
for (let page = 0; page < pages; page += 1) {
  const input = benchPage(page, SAMPLES_PER_PAGE);
  const start = performance.now();
  floorMerge(input);
  ms += performance.now() - start;
}
const merged = pages * SAMPLES_PER_PAGE * LABELS_PER_SAMPLE;
process.stdout.write(
  `${JSON.stringify({ bench: 'merge-floor', labels: merged, ms: Math.round(ms), labelsPerSecond: Math.round((merged / ms) * 1000) })}\n`,
);
