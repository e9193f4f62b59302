import { deterministicObjectId } from '../labels/object-id.js';
import type { Frame, Sample } from '../labels/schemas.js';

/** Where a value lives: a sample field, or a field of one frame of a video sample. */
export interface Slot {
  readonly sampleId: string;
  /** Frame id for frame fields; undefined for sample-level fields. */
  readonly frameId?: string;
}

const FRAME_NUMBER = /^[1-9]\d*$/;

/**
 * The samples of one page, copied on first write so the caller's objects are never mutated.
 * A sample that is never written is returned as the very object passed in.
 */
export class PageState {
  private readonly originals = new Map<string, Sample>();
  private readonly copies = new Map<string, Sample>();
  private readonly frameNumbersById = new Map<string, Map<string, string>>();

  constructor(samples: ReadonlyArray<Sample>) {
    for (const sample of samples) this.originals.set(sample.id, sample);
  }

  has(sampleId: string): boolean {
    return this.originals.has(sampleId);
  }

  sample(sampleId: string): Sample | undefined {
    return this.copies.get(sampleId) ?? this.originals.get(sampleId);
  }

  /** The frame number of a frame id (including ids minted by {@link resolveFrame}). */
  frameNumber(sampleId: string, frameId: string): string | undefined {
    return this.frameIndex(sampleId)?.get(frameId);
  }

  /**
   * Resolves a frame key from a download: a frame id of the sample, or a 1-based frame
   * number. A number with no frame yet gets a deterministic id, so replays mint the same one.
   */
  resolveFrame(sampleId: string, frameKey: string): string | undefined {
    const index = this.frameIndex(sampleId);
    if (!index) return undefined;
    if (!FRAME_NUMBER.test(frameKey)) return index.has(frameKey) ? frameKey : undefined;
    const existing = this.sample(sampleId)?.frames?.[frameKey];
    if (existing) return existing.id;
    const minted = deterministicObjectId('frame', sampleId, frameKey);
    index.set(minted, frameKey);
    return minted;
  }

  private frameIndex(sampleId: string): Map<string, string> | undefined {
    let index = this.frameNumbersById.get(sampleId);
    if (index) return index;
    const sample = this.originals.get(sampleId);
    if (!sample) return undefined;
    index = new Map();
    for (const [number, frame] of Object.entries(sample.frames ?? {})) index.set(frame.id, number);
    this.frameNumbersById.set(sampleId, index);
    return index;
  }

  read(slot: Slot, field: string): unknown {
    const sample = this.sample(slot.sampleId);
    if (!sample) return undefined;
    if (slot.frameId === undefined) return sample[field];
    const number = this.frameNumber(slot.sampleId, slot.frameId);
    return number === undefined ? undefined : sample.frames?.[number]?.[field];
  }

  /** The frames of a sample as (frame id, frame) pairs. */
  frames(sampleId: string): Array<[string, Frame]> {
    const frames = this.sample(sampleId)?.frames ?? {};
    return Object.values(frames).map((frame) => [frame.id, frame]);
  }

  write(slot: Slot, field: string, value: unknown): void {
    const sample = this.writable(slot.sampleId);
    if (slot.frameId === undefined) {
      sample[field] = value;
      return;
    }
    const number = this.frameNumber(slot.sampleId, slot.frameId);
    if (number === undefined)
      throw new Error(`frame ${slot.frameId} of sample ${slot.sampleId} is unknown`);
    // Copy the frames map and each frame once per page, not once per write.
    if (!this.copiedFrames.has(slot.sampleId)) {
      sample.frames = { ...(sample.frames ?? {}) };
      this.copiedFrames.add(slot.sampleId);
    }
    const frames = sample.frames as Record<string, Frame>;
    const frameKey = `${slot.sampleId}\u0000${number}`;
    if (!this.copiedFrames.has(frameKey)) {
      frames[number] = { ...(frames[number] ?? { id: slot.frameId }) };
      this.copiedFrames.add(frameKey);
    }
    (frames[number] as Frame)[field] = value;
  }

  private readonly copiedFrames = new Set<string>();

  private writable(sampleId: string): Sample {
    let copy = this.copies.get(sampleId);
    if (!copy) {
      const original = this.originals.get(sampleId);
      if (!original) throw new Error(`sample ${sampleId} is not in this page`);
      copy = { ...original };
      this.copies.set(sampleId, copy);
    }
    return copy;
  }

  /** The page's samples in input order, with written ones replaced by their copies. */
  result(): Sample[] {
    const out: Sample[] = [];
    this.originals.forEach((original, id) => {
      out.push(this.copies.get(id) ?? original);
    });
    return out;
  }
}
