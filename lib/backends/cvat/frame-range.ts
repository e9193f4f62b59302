import { z } from 'zod';
import { BackendError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { dataMetaSchema } from './api.js';
import type { CvatParams } from './params.js';

/**
 * Which frames of a video CVAT shows (FiftyOne's `frame_start`/`frame_step`/`frame_stop`,
 * CVAT's `start_frame`/`frame_filter: "step=N"`/`stop_frame`): original 0-based frames
 * `start, start + step, …` up to `stop` (inclusive; default the video's last). Task frame
 * `k` is original frame `start + k·step`, i.e. FiftyOne frame number `start + k·step + 1`
 * (SEMANTICS §9.6).
 */
export const frameRangeSchema = z.object({
  start: z.number().int().nonnegative(),
  step: z.number().int().positive(),
  stop: z.number().int().nonnegative().optional(),
});
export type FrameRange = z.infer<typeof frameRangeSchema>;

export const FULL_RANGE: FrameRange = { start: 0, step: 1 };

export const isFullRange = (range: FrameRange): boolean =>
  range.start === 0 && range.step === 1 && range.stop === undefined;

/** How many frames CVAT shows of a video of `total` frames (0 when `start` is past its end). */
export function taskFrameCount(range: FrameRange, total: number): number {
  const last = Math.min(total - 1, range.stop ?? total - 1);
  return last < range.start ? 0 : Math.floor((last - range.start) / range.step) + 1;
}

/** The task frame showing FiftyOne frame `frameNumber` (1-based), if CVAT shows it. */
export function toTaskFrame(
  range: FrameRange,
  frameNumber: number,
  frameCount: number,
): number | undefined {
  const offset = frameNumber - 1 - range.start;
  if (offset < 0 || offset % range.step !== 0) return undefined;
  const frame = offset / range.step;
  return frame < frameCount ? frame : undefined;
}

/** The FiftyOne frame number (1-based) task frame `taskFrame` shows. */
export const toFrameNumber = (range: FrameRange, taskFrame: number): number =>
  range.start + taskFrame * range.step + 1;

/** The `POST /api/tasks/{id}/data` fields selecting the range (none for the whole video). */
export function dataRequestFields(range: FrameRange): Record<string, number | string> {
  return {
    ...(range.start > 0 ? { start_frame: range.start } : {}),
    ...(range.stop !== undefined ? { stop_frame: range.stop } : {}),
    ...(range.step > 1 ? { frame_filter: `step=${range.step}` } : {}),
  };
}

/** The range of the run's `frame_start`/`frame_step`/`frame_stop`. */
export const rangeOf = (params: CvatParams): FrameRange => ({
  start: params.frame_start,
  step: params.frame_step,
  ...(params.frame_stop !== undefined ? { stop: params.frame_stop } : {}),
});

/** The ids of the frames CVAT shows of each video: only these are recorded in the id map. */
export function shownFrames(
  samples: UploadSample[],
  range: FrameRange,
  frameCount: number,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const sample of samples) {
    out[sample.id] = Object.entries(sample.frames ?? {}).flatMap(([number, frame]) =>
      toTaskFrame(range, Number(number), frameCount) === undefined ? [] : [frame.id],
    );
  }
  return out;
}

/**
 * The task's frame count, once `data/meta` shows what was sent: one entry per image, or for a
 * video one entry and `size` = the frames of the range (when the video's length is known).
 */
export function checkFrames(
  cvatTaskId: number,
  samples: UploadSample[],
  range: FrameRange,
  meta: z.infer<typeof dataMetaSchema> | undefined,
): number {
  const video = samples[0]?.media_type === 'video';
  const entries = meta?.frames.length ?? 0;
  if (!meta || entries !== (video ? 1 : samples.length)) {
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `CVAT task ${cvatTaskId} has ${entries} frame entries for ${samples.length} samples`,
      { cvatTaskId },
    );
  }
  if (!video) return samples.length;
  const total = samples[0]?.metadata?.total_frame_count;
  const expected = typeof total === 'number' ? taskFrameCount(range, total) : undefined;
  const size = meta.size ?? 0;
  if (size === 0 || (expected !== undefined && size !== expected)) {
    throw new BackendError(
      'BACKEND_RESPONSE_INVALID',
      `CVAT task ${cvatTaskId} shows ${size} video frames; ${expected ?? 'some'} were sent`,
      { cvatTaskId, size, ...(expected !== undefined ? { expected } : {}) },
    );
  }
  return size;
}
