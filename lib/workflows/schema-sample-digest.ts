import { customAttributes, getAttribute, type LabelRecord } from '../labels/attributes.js';
import { LIST_CONTAINERS } from '../labels/label-types.js';
import type { Sample } from '../labels/schemas.js';

type Record_ = Record<string, unknown>;

function isRecord(value: unknown): value is Record_ {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * What `buildLabelSchema` learns from a label (SEMANTICS §3): its class, which attributes it
 * sets, its keyframe flag, and the properties that decide its kind (box or instance, polygon
 * or polyline). Two labels of one field with the same signature teach it the same things.
 */
function signature(field: string, label: LabelRecord): string {
  const attributes = [...customAttributes(label)]
    .filter(([, value]) => value != null)
    .map(([name]) => name)
    .sort();
  return JSON.stringify([
    field,
    label._cls ?? null,
    label.label ?? null,
    label.mask != null,
    label.mask_path != null,
    label.filled ?? null,
    label.closed ?? null,
    getAttribute(label, 'keyframe') ?? null,
    attributes,
  ]);
}

/**
 * Reduces a selection to samples that teach `buildLabelSchema` everything the whole
 * selection would, in the same order, with memory bounded by the number of distinct label
 * signatures instead of the number of samples.
 *
 * The builder's sample scan keeps only summaries (the classes seen, the first non-null value
 * of each attribute per class, whether keyframes were seen), so a label whose signature was
 * already seen changes nothing: it is dropped, as is a sample left with nothing to teach.
 * The first sample is always kept, so an empty selection stays empty and a non-empty one
 * does not.
 */
export class SchemaSampleDigest {
  readonly #seen = new Set<string>();
  readonly #samples: Sample[] = [];

  get samples(): readonly Sample[] {
    return this.#samples;
  }

  add(sample: Sample): void {
    const reduced: Sample = { id: sample.id, filepath: sample.filepath };
    if (sample.media_type !== undefined) reduced.media_type = sample.media_type;
    let teaches = this.#samples.length === 0;
    for (const [name, value] of Object.entries(sample)) {
      if (name === 'frames' || name === 'id' || name === 'filepath') continue;
      const kept = this.#reduceValue(name, value);
      if (kept !== undefined) {
        reduced[name] = kept;
        teaches = true;
      }
    }
    if (isRecord(sample.frames)) {
      const frames: Record_ = {};
      for (const [number, frame] of Object.entries(sample.frames)) {
        if (!isRecord(frame)) continue;
        const out: Record_ = { id: frame.id };
        let any = false;
        for (const [name, value] of Object.entries(frame)) {
          if (name === 'id') continue;
          const kept = this.#reduceValue(`frames.${name}`, value);
          if (kept !== undefined) {
            out[name] = kept;
            any = true;
          }
        }
        if (any) frames[number] = out;
      }
      if (Object.keys(frames).length > 0) {
        reduced.frames = frames as Sample['frames'];
        teaches = true;
      }
    }
    if (teaches) this.#samples.push(reduced);
  }

  /** The value with only its labels of new signatures, or undefined when none is new. */
  #reduceValue(field: string, value: unknown): unknown {
    if (!isRecord(value) || typeof value._cls !== 'string') return undefined;
    const container = (LIST_CONTAINERS as Record<string, { listKey: string } | undefined>)[
      value._cls
    ];
    if (container === undefined) return this.#isNew(field, value) ? value : undefined;
    const list = value[container.listKey];
    if (!Array.isArray(list)) return undefined;
    const kept = list.filter((label) => isRecord(label) && this.#isNew(field, label));
    return kept.length > 0 ? { ...value, [container.listKey]: kept } : undefined;
  }

  #isNew(field: string, label: LabelRecord): boolean {
    const key = signature(field, label);
    if (this.#seen.has(key)) return false;
    this.#seen.add(key);
    return true;
  }
}
