/**
 * How CVAT keeps a task's tracks when the task has several jobs (dataset_manager/task.py,
 * `TaskAnnotation._patch_data`; annotation.py, `AnnotationIR.slice` / `_slice_track` and
 * `TrackManager.merge`):
 * - a task-level `PUT` slices the data per job (segment): each job gets its own copy of every
 *   track visible in its frames, saved as a new track with its own id, the track attributes
 *   copied, its shapes clipped to the job's frames. The piece starts with the shape CVAT
 *   interpolates at the job's first frame when no keyframe is there; it ends with the shape
 *   interpolated at the job's last frame when the track has keyframes beyond it (and that
 *   shape differs from the piece's last), else with the `outside` keyframe right after the
 *   job when the track is hidden there;
 * - a job's `GET` returns its own pieces, as saved;
 * - a task-level `GET` (and the `PUT` response) merges the jobs in order; with no overlap
 *   nothing is matched, and every earlier piece still visible at a job's first frame is
 *   closed there by an `outside` copy of its last shape (`_modify_unmached_object`). The
 *   pieces stay distinct tracks.
 */

import type { JobRecord, TaskAnnotations, TrackedShapeRecord, TrackRecord } from './state.js';

const byFrame = (a: { frame: number }, b: { frame: number }) => a.frame - b.frame;

/**
 * A track's shape at `frame` as CVAT shows it: a keyframe, or one interpolated linearly
 * toward the next visible keyframe of the same type (masks are held); undefined where the
 * track is hidden or not started.
 */
export function trackedShapeAt(track: TrackRecord, frame: number): TrackedShapeRecord | undefined {
  const shapes = [...track.shapes].sort(byFrame);
  const before = shapes.filter((shape) => shape.frame <= frame).at(-1);
  if (!before || before.outside) return undefined;
  if (before.frame === frame) return before;
  const next = shapes.find((shape) => shape.frame > frame);
  const towards =
    next &&
    !next.outside &&
    next.type === before.type &&
    before.type !== 'mask' &&
    next.points.length === before.points.length
      ? next
      : undefined;
  const t = towards ? (frame - before.frame) / (towards.frame - before.frame) : 0;
  return {
    ...structuredClone(before),
    frame,
    keyframe: false,
    points: towards
      ? before.points.map((value, i) => value + ((towards.points[i] ?? value) - value) * t)
      : [...before.points],
  };
}

/** The part of `track` a job of frames `start..stop` keeps (`_slice_track`); undefined: none. */
function sliceTrack(
  track: TrackRecord,
  start: number,
  stop: number,
): { frame: number; shapes: TrackedShapeRecord[] } | undefined {
  const shapes = [...track.shapes].sort(byFrame);
  const inside = shapes.filter((shape) => start <= shape.frame && shape.frame <= stop);
  // Leading outside shapes are not needed.
  while (inside[0]?.outside) inside.shift();
  if (inside.length < shapes.length) {
    const atStart = trackedShapeAt(track, start);
    if (atStart && !atStart.keyframe && atStart.frame !== inside[0]?.frame) inside.unshift(atStart);
    const lastKey = shapes.at(-1)?.frame ?? start;
    const atStop = trackedShapeAt(track, stop);
    const last = inside.at(-1);
    // The keyframe closing the piece: an outside one after its last shape, in the job or
    // right after it (a leading one dropped above comes back once a shape precedes it).
    const closing = last && shapes.find((shape) => shape.frame > last.frame);
    if (
      lastKey >= stop &&
      atStop &&
      last &&
      atStop.frame !== last.frame &&
      atStop.points.join() !== last.points.join()
    ) {
      inside.push(atStop);
    } else if (closing?.outside && closing.frame <= stop + 1) {
      inside.push(closing);
    }
  }
  const [first] = inside;
  return first ? { frame: first.frame, shapes: inside } : undefined;
}

/**
 * A task-level save as CVAT stores it: each track cut into one piece per annotation job,
 * each piece a new track (`nextId`); shapes and tags are kept as they are (the job is
 * derived from their frame). A one-job task keeps every track whole.
 */
export function splitTracksByJob(
  annotations: TaskAnnotations,
  jobs: readonly JobRecord[],
  nextId: (kind: string) => number,
): TaskAnnotations {
  const segments = jobs
    .filter((job) => job.type === 'annotation')
    .sort((a, b) => a.start_frame - b.start_frame);
  if (segments.length <= 1) return annotations;
  const tracks: TrackRecord[] = [];
  for (const track of annotations.tracks) {
    for (const job of segments) {
      const piece = sliceTrack(track, job.start_frame, job.stop_frame);
      if (!piece) continue;
      tracks.push({
        ...structuredClone(track),
        id: nextId('track'),
        frame: piece.frame,
        shapes: piece.shapes.map((shape) => ({
          ...structuredClone(shape),
          id: nextId('tracked_shape'),
          keyframe: true,
        })),
      });
    }
  }
  return { ...annotations, tracks };
}

/**
 * The task-level view of per-job pieces (`TrackManager.merge` with no overlap): an earlier
 * job's piece still visible at a later job's first frame is closed there by an `outside`
 * copy of its last shape. The stored pieces are not changed.
 */
export function mergedTaskTracks(
  tracks: readonly TrackRecord[],
  jobs: readonly JobRecord[],
  jobOf: (track: TrackRecord) => JobRecord | undefined,
): TrackRecord[] {
  const segments = jobs
    .filter((job) => job.type === 'annotation')
    .sort((a, b) => a.start_frame - b.start_frame);
  return tracks.map((track) => {
    const job = jobOf(track);
    const shapes = [...track.shapes].sort(byFrame);
    const last = shapes.at(-1);
    const nextJob = job && segments.find((each) => each.start_frame > job.stop_frame);
    if (!last || last.outside || !nextJob) return { ...track, shapes };
    return {
      ...track,
      shapes: [...shapes, { ...structuredClone(last), frame: nextJob.start_frame, outside: true }],
    };
  });
}
