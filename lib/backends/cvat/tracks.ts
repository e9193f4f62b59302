import type { CvatAttributeValue, CvatTrack } from './api.js';

/** One frame of a track, as download reads it: a keyframe, or a shape CVAT interpolates. */
export interface TrackFrame {
  /** The server id of the piece the frame comes from (one per job the track spans). */
  trackId: number;
  /** 1-based position of the track in the task, by server id: the labels' `index`. */
  index: number;
  frame: number;
  labelId: number;
  group: number;
  type: string;
  points: number[];
  occluded: boolean;
  /** Track attributes, then the shape's (interpolated frames carry the previous keyframe's). */
  attributes: CvatAttributeValue[];
  keyframe: boolean;
}

export interface TrackLayout {
  /** A video's frame count: a track without a closing `outside` runs to its end at most. */
  frameCount: number;
  /**
   * The task's annotation jobs' frames. A piece runs at most to the end of the job its first
   * frame is in: CVAT keeps one piece of a track per job, and closes a piece still visible at
   * the end of its job there (the task-level view adds an `outside` at the next job's start).
   */
  jobs?: ReadonlyArray<{ start: number; stop: number }>;
  /**
   * Pieces of one uploaded track: server id → the track's position in the upload (the task
   * data's `trackPieces`). Pieces of one position are one track; any other piece is a track
   * of its own.
   */
  pieces?: Readonly<Record<string, number>>;
}

type Shape = CvatTrack['shapes'][number];

const sameAttributes = (a: Shape, b: Shape) =>
  a.attributes.length === b.attributes.length &&
  a.attributes.every(
    (each, i) => each.spec_id === b.attributes[i]?.spec_id && each.value === b.attributes[i]?.value,
  );

/**
 * Every frame where each track is visible (CVAT's semantics, reference §1.4): from a
 * keyframe that is not `outside` up to the next keyframe, linearly interpolated toward it
 * when it is visible and of the same shape (masks never), held otherwise; after the last
 * keyframe, up to the end of the piece's job (the task's last frame with one job).
 *
 * The pieces CVAT made of one uploaded track (one per job, `layout.pieces`) are one track:
 * one `index`, frames in order. The shapes CVAT adds where it cut the track (the one it
 * interpolates at a job's first frame, and at a job's last frame when the track goes on) are
 * copies of the previous keyframe's attributes: they read as interpolated frames, not
 * keyframes. A track drawn in CVAT across jobs has no such record: each job's piece is a track.
 */
export function expandTracks(tracks: readonly CvatTrack[], layout: TrackLayout): TrackFrame[] {
  const jobs = [...(layout.jobs ?? [])].sort((a, b) => a.start - b.start);
  const jobOf = (frame: number) => jobs.find((job) => job.start <= frame && frame <= job.stop);
  const out: TrackFrame[] = [];
  groupPieces(tracks, layout.pieces).forEach((pieces, position) => {
    const ordered = pieces
      .map((track) => ({ track, shapes: [...track.shapes].sort((a, b) => a.frame - b.frame) }))
      .sort(
        (a, b) => (a.shapes[0]?.frame ?? a.track.frame) - (b.shapes[0]?.frame ?? b.track.frame),
      );
    const emitted = new Set<number>();
    let previousKey: Shape | undefined;
    ordered.forEach(({ track, shapes }, at) => {
      const job = jobOf(shapes[0]?.frame ?? track.frame);
      const end = pieceEnd(job, layout.frameCount);
      // Where CVAT cut the track: this piece's job start (not the first piece's) and end (not
      // the last piece's). A shape there copying the previous keyframe is CVAT's, not drawn.
      const joined = ordered.length > 1;
      const cutStart = joined && at > 0 ? job?.start : undefined;
      const cutEnd = joined && at < ordered.length - 1 ? job?.stop : undefined;
      shapes.forEach((shape, i) => {
        if (shape.outside) return;
        const next = shapes[i + 1];
        const last = next
          ? Math.min(next.frame - 1, end ?? next.frame - 1)
          : Math.max(end ?? shape.frame, shape.frame);
        const atCut = shape.frame === cutStart || shape.frame === cutEnd;
        const copy = atCut && previousKey !== undefined && sameAttributes(shape, previousKey);
        if (!copy) previousKey = shape;
        const towards = interpolationTarget(shape, next);
        for (let frame = shape.frame; frame <= last; frame += 1) {
          if (emitted.has(frame)) continue;
          emitted.add(frame);
          const t = towards ? (frame - shape.frame) / (towards.frame - shape.frame) : 0;
          out.push({
            trackId: track.id ?? -1,
            index: position + 1,
            frame,
            labelId: track.label_id,
            group: track.group ?? 0,
            type: shape.type,
            points: towards
              ? shape.points.map((value, k) => value + ((towards.points[k] ?? value) - value) * t)
              : [...shape.points],
            occluded: shape.occluded,
            attributes: [...track.attributes, ...shape.attributes],
            keyframe: frame === shape.frame && !copy,
          });
        }
      });
    });
  });
  return out;
}

/**
 * The tracks as FiftyOne tracks, in `index` order (by lowest server id): the pieces of one
 * uploaded track (`pieces`) together, any other piece alone. An id seen twice (jobs sharing
 * frames) is read once.
 */
function groupPieces(tracks: readonly CvatTrack[], pieces: TrackLayout['pieces']): CvatTrack[][] {
  const groups = new Map<string, CvatTrack[]>();
  const seen = new Set<number>();
  for (const track of tracks) {
    const id = track.id ?? -1;
    if (id >= 0 && seen.has(id)) continue;
    seen.add(id);
    const position = pieces?.[String(id)];
    const key = position === undefined ? `server/${id}` : `upload/${position}`;
    groups.set(key, [...(groups.get(key) ?? []), track]);
  }
  const firstId = (group: CvatTrack[]) => Math.min(...group.map((each) => each.id ?? -1));
  return [...groups.values()].sort((a, b) => firstId(a) - firstId(b));
}

/** A piece's last frame: its job's or the video's, whichever comes first (if either is known). */
function pieceEnd(job: { stop: number } | undefined, frameCount: number): number | undefined {
  const ends = [job?.stop, frameCount > 0 ? frameCount - 1 : undefined].filter(
    (each): each is number => each !== undefined,
  );
  return ends.length > 0 ? Math.min(...ends) : undefined;
}

/**
 * The keyframe a shape is interpolated toward: the next one, when visible and of the same
 * shape. Masks are held, not interpolated: their points are runs, not coordinates.
 */
function interpolationTarget(shape: Shape, next: Shape | undefined): Shape | undefined {
  return next &&
    !next.outside &&
    next.type === shape.type &&
    shape.type !== 'mask' &&
    next.points.length === shape.points.length
    ? next
    : undefined;
}
