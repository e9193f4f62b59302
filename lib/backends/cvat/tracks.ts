import type { CvatAttributeValue, CvatTrack } from './api.js';

/** One frame of a track, as download reads it: a keyframe, or a shape CVAT interpolates. */
export interface TrackFrame {
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

/**
 * Every frame where each track is visible (CVAT's semantics, reference §1.4): from a
 * keyframe that is not `outside` up to the next keyframe, linearly interpolated toward it
 * when it is visible and of the same shape (masks never), held otherwise; after the last keyframe, up to
 * the task's last frame. Tracks of several jobs with the same server id are one track.
 */
export function expandTracks(tracks: readonly CvatTrack[], frameCount: number): TrackFrame[] {
  const byId = new Map<number, CvatTrack>();
  for (const track of tracks) {
    const id = track.id ?? -1;
    const known = byId.get(id);
    if (!known) {
      byId.set(id, { ...track, shapes: [...track.shapes] });
      continue;
    }
    // A job returns the slice of a track it overlaps; slices share keyframes at their edges.
    const frames = new Set(known.shapes.map((shape) => shape.frame));
    known.shapes.push(...track.shapes.filter((shape) => !frames.has(shape.frame)));
  }
  const out: TrackFrame[] = [];
  [...byId.values()]
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0))
    .forEach((track, position) => {
      const shapes = [...track.shapes].sort((a, b) => a.frame - b.frame);
      shapes.forEach((shape, at) => {
        if (shape.outside) return;
        const next = shapes[at + 1];
        const last = next ? next.frame - 1 : Math.max(frameCount - 1, shape.frame);
        const towards =
          next &&
          !next.outside &&
          next.type === shape.type &&
          // Masks are held, not interpolated: their points are runs, not coordinates.
          shape.type !== 'mask' &&
          next.points.length === shape.points.length
            ? next
            : undefined;
        for (let frame = shape.frame; frame <= last; frame += 1) {
          const t = towards ? (frame - shape.frame) / (towards.frame - shape.frame) : 0;
          out.push({
            trackId: track.id ?? -1,
            index: position + 1,
            frame,
            labelId: track.label_id,
            group: track.group ?? 0,
            type: shape.type,
            points: towards
              ? shape.points.map((value, i) => value + ((towards.points[i] ?? value) - value) * t)
              : [...shape.points],
            occluded: shape.occluded,
            attributes: [...track.attributes, ...shape.attributes],
            keyframe: frame === shape.frame,
          });
        }
      });
    });
  return out;
}
