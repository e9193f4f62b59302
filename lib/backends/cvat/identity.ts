import { z } from 'zod';
import { objectKeyOf } from '../../runs/keys.js';
import { runObjectPrefix } from '../../store/keys.js';
import type { RunRef } from '../backend.js';
import type { BackendObjectStore } from '../object-store.js';
import type { CvatAttributeValue, CvatLabel } from './api.js';
import { type CvatLabelPlan, LABEL_ID_ATTR } from './label-specs.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

/** `geometry_match_threshold`'s default: the usual "same object" IoU of detection metrics. */
export const DEFAULT_GEOMETRY_MATCH_THRESHOLD = 0.5;
/**
 * Added to the ranking score (not to the recorded score, nor checked against the threshold)
 * when the class is unchanged, so among candidates of similar overlap the same class wins.
 */
export const CLASS_BONUS = 0.1;
/**
 * Pixels added on each side of the bounding box of a polygon, polyline or point set: a
 * single point or a straight line has no area, and a box of a few pixels would fall below
 * any threshold after a one-pixel nudge.
 */
export const POINT_REACH = 8;

/** An uploaded tag or shape: its label id, where it was, and its pixels (none for tags). */
export interface UploadedItem {
  labelId: string;
  frame: number;
  cvatLabelId: number;
  type: string;
  points: number[];
}

/** What identity needs of a downloaded tag, shape or track frame. */
export interface IdentityItem {
  kind: 'tag' | 'shape' | 'track';
  /** `shape:<id>` / `tag:<id>`: the key of the upload's server id map ('' for tracks). */
  serverKey: string;
  labelIdUsable: boolean;
  frame: number;
  label_id: number;
  attributes: CvatAttributeValue[];
  type: string;
  points: number[];
}

export interface IdentityInput {
  /** CVAT labels by id, with their attribute ids. */
  labels: ReadonlyMap<number, CvatLabel>;
  plan: Pick<CvatLabelPlan, 'byName'>;
  /** `shape:<id>` / `tag:<id>` → our label id, recorded from the upload's PUT response. */
  serverIds: Readonly<Record<string, string>>;
  /** What the upload sent, for matching items that lost both server id and `label_id`. */
  uploaded?: readonly UploadedItem[];
  /** Minimum geometry score of a match, in (0, 1]; 0 turns geometry matching off. */
  geometryMatchThreshold?: number;
}

/** One id handed out by geometry, for the user to audit after the load. */
export const geometryMatchSchema = z.object({
  labelId: z.string(),
  serverKey: z.string(),
  frame: z.number().int(),
  cvatLabelId: z.number().int(),
  /** The CVAT label it was uploaded with: differs from `cvatLabelId` after a class change. */
  uploadedCvatLabelId: z.number().int(),
  method: z.literal('geometry'),
  /** The geometry score (IoU, see `geometryScore`), without the class bonus. */
  score: z.number(),
});
export type GeometryMatch = z.infer<typeof geometryMatchSchema>;

export const identityReportSchema = z.object({
  version: z.literal(1),
  cvatTaskId: z.number().int(),
  threshold: z.number(),
  /** How many downloaded items found their id each way (`none`: a new label). */
  counts: z.object({
    serverId: z.number().int(),
    labelIdAttr: z.number().int(),
    geometry: z.number().int(),
    none: z.number().int(),
  }),
  matches: z.array(geometryMatchSchema),
});
export type IdentityReport = z.infer<typeof identityReportSchema>;

/**
 * How downloaded items find the ids of the labels they were uploaded as (SEMANTICS §5.2):
 * the id recorded for their server id, else their `label_id`, else a geometry match against
 * the uploaded items nothing explicit claimed. `order` sorts the items so explicit identities
 * claim their ids first (a pasted copy cannot steal one) and computes the geometry matches
 * over all of them at once, greedily by best score, one uploaded item per downloaded item.
 */
export function labelIdentity(input: IdentityInput) {
  const threshold = input.geometryMatchThreshold ?? DEFAULT_GEOMETRY_MATCH_THRESHOLD;
  const matched = new Map<IdentityItem, GeometryMatch>();
  const counts = { serverId: 0, labelIdAttr: 0, geometry: 0, none: 0 };

  function labelIdOf(item: IdentityItem): string | undefined {
    if (!item.labelIdUsable) return undefined;
    const cvatLabel = input.labels.get(item.label_id);
    const spec = cvatLabel?.attributes.find((each) => each.name === LABEL_ID_ATTR);
    const value = item.attributes.find((each) => each.spec_id === spec?.id)?.value;
    return value !== undefined && OBJECT_ID.test(value) ? value : undefined;
  }
  const explicitId = (item: IdentityItem) => input.serverIds[item.serverKey] ?? labelIdOf(item);
  const ranks = new Map<IdentityItem, number>();
  const rank = (item: IdentityItem) => {
    let known = ranks.get(item);
    if (known === undefined) {
      known =
        input.serverIds[item.serverKey] !== undefined ? 0 : labelIdOf(item) !== undefined ? 1 : 2;
      ranks.set(item, known);
    }
    return known;
  };
  const fieldOf = (cvatLabelId: number) => {
    const name = input.labels.get(cvatLabelId)?.name;
    return name === undefined ? undefined : input.plan.byName.get(name)?.field;
  };

  function matchGeometry(items: readonly IdentityItem[]): void {
    if (threshold <= 0) return;
    const claimed = new Set(items.map(explicitId).filter((id) => id !== undefined));
    const candidates = (input.uploaded ?? []).filter((each) => !claimed.has(each.labelId));
    // Tracks are left to the merge's track reconciliation (SEMANTICS §6.7).
    const seekers = items.filter((item) => item.kind !== 'track' && rank(item) === 2);
    if (seekers.length === 0) return;
    // Only items of one frame can match: a big task is many small frames, not one quadratic pass.
    const shapes = candidates.map(geometryOf);
    const byFrame = new Map<number, number[]>();
    candidates.forEach((each, candidate) => {
      const same = byFrame.get(each.frame);
      if (same) same.push(candidate);
      else byFrame.set(each.frame, [candidate]);
    });
    const pairs: Array<{ seeker: number; candidate: number; score: number; rankBy: number }> = [];
    seekers.forEach((item, seeker) => {
      const field = fieldOf(item.label_id);
      const shape = geometryOf(item);
      if (field === undefined || !shape) return;
      for (const candidate of byFrame.get(item.frame) ?? []) {
        const each = candidates[candidate];
        if (!each || fieldOf(each.cvatLabelId) !== field) continue;
        const score = scoreOf(shape, shapes[candidate]);
        if (score === undefined || score < threshold) continue;
        const bonus = each.cvatLabelId === item.label_id ? CLASS_BONUS : 0;
        pairs.push({ seeker, candidate, score, rankBy: score + bonus });
      }
    });
    // Greedy by best score; ties go to the earlier item and the earlier upload (stable).
    pairs.sort((a, b) => b.rankBy - a.rankBy || a.seeker - b.seeker || a.candidate - b.candidate);
    const usedCandidates = new Set<number>();
    for (const { seeker, candidate, score } of pairs) {
      const item = seekers[seeker];
      const each = candidates[candidate];
      if (!item || !each || matched.has(item) || usedCandidates.has(candidate)) continue;
      usedCandidates.add(candidate);
      matched.set(item, {
        labelId: each.labelId,
        serverKey: item.serverKey,
        frame: item.frame,
        cvatLabelId: item.label_id,
        uploadedCvatLabelId: each.cvatLabelId,
        method: 'geometry',
        score: Math.round(score * 1e4) / 1e4,
      });
    }
  }

  return {
    /** Sorts items so explicit identities (server id, then `label_id`) claim first. */
    order<T extends IdentityItem>(items: T[]): T[] {
      items.sort((a, b) => rank(a) - rank(b));
      matchGeometry(items);
      for (const item of items) {
        const by = rank(item);
        if (by === 0) counts.serverId += 1;
        else if (by === 1) counts.labelIdAttr += 1;
        else if (matched.has(item)) counts.geometry += 1;
        else counts.none += 1;
      }
      return items;
    },
    /** The id a geometry match gave an item without explicit identity (after `order`). */
    byGeometry: (item: IdentityItem): string | undefined => matched.get(item)?.labelId,
    report: (cvatTaskId: number): IdentityReport => ({
      version: 1,
      cvatTaskId,
      threshold,
      counts: { ...counts },
      matches: [...matched.values()],
    }),
  };
}

type Family = 'tag' | 'box' | 'points';
const FAMILY: Record<string, Family> = {
  tag: 'tag',
  rectangle: 'box',
  polygon: 'points',
  polyline: 'points',
  points: 'points',
};

/**
 * How well two items' geometry agrees, in [0, 1], or undefined when they cannot be the same
 * label (shape types of different families: a box never becomes a polygon). Rectangles: the
 * IoU of the boxes. Polygons, polylines (one family: a field's polylines may be either) and
 * points: the IoU of their bounding boxes grown by {@link POINT_REACH} pixels per side, so
 * a point nudged by a few pixels still overlaps itself. Tags cover the whole frame: 1.
 */
export function geometryScore(
  a: { type: string; points: readonly number[] },
  b: { type: string; points: readonly number[] },
): number | undefined {
  return scoreOf(geometryOf(a), geometryOf(b));
}

type Box = [number, number, number, number];
interface Geometry {
  family: Family;
  box: Box;
}

function geometryOf(item: { type: string; points: readonly number[] }): Geometry | undefined {
  const family = FAMILY[item.type];
  if (family === undefined) return undefined;
  if (family === 'tag') return { family, box: [0, 0, 1, 1] };
  const box = boundsOf(item.points, family === 'box' ? 0 : POINT_REACH);
  return box && { family, box };
}

function scoreOf(a: Geometry | undefined, b: Geometry | undefined): number | undefined {
  if (!a || !b || a.family !== b.family) return undefined;
  return a.family === 'tag' ? 1 : iou(a.box, b.box);
}

function boundsOf(points: readonly number[], reach: number): Box | undefined {
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  if (xs.length === 0 || ys.length === 0) return undefined;
  return [
    Math.min(...xs) - reach,
    Math.min(...ys) - reach,
    Math.max(...xs) + reach,
    Math.max(...ys) + reach,
  ];
}

function iou([ax1, ay1, ax2, ay2]: Box, [bx1, by1, bx2, by2]: Box): number {
  const inter =
    Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1)) *
    Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  if (union <= 0) return ax1 === bx1 && ay1 === by1 && ax2 === bx2 && ay2 === by2 ? 1 : 0;
  return inter / union;
}

/** Where a task's identity report is kept: next to its cached job annotations. */
export const identityReportKey = (run: RunRef, cvatTaskId: number) =>
  `${runObjectPrefix(run.dataset, objectKeyOf(run))}cvat/tasks/${cvatTaskId}/identity.json`;

export async function writeIdentityReport(
  objects: BackendObjectStore,
  run: RunRef,
  report: IdentityReport,
): Promise<void> {
  await objects.put(
    identityReportKey(run, report.cvatTaskId),
    JSON.stringify(report),
    'application/json',
  );
}
