import { describe, expect, it } from 'vitest';
import {
  geometryScore,
  type IdentityItem,
  labelIdentity,
  type UploadedItem,
} from '../../../../lib/backends/cvat/identity.js';
import { cvatParamsSchema, planCvatLabels } from '../../../../lib/backends/cvat/index.js';
import type { LabelSchema } from '../../../../lib/schema/types.js';
import { field, oid } from '../../../support/builders.js';

const schema: LabelSchema = {
  boxes: field({ type: 'detections', classes: ['car', 'truck'] }),
  others: field({ type: 'detections', classes: ['bus'] }),
  lines: field({ type: 'polylines', classes: ['lane', 'curb'] }),
  marks: field({ type: 'keypoints', classes: ['joint'] }),
};
const plan = planCvatLabels(schema, cvatParamsSchema.parse({}));
/** CVAT labels as the project would have them: ids 1…, attribute ids 100…. */
let attributeId = 100;
const labels = new Map(
  plan.specs.map((spec, index) => [
    index + 1,
    {
      id: index + 1,
      name: spec.name,
      attributes: spec.attributes.map((attribute) => ({ ...attribute, id: attributeId++ })),
    },
  ]),
);
const cvatId = (name: string) => {
  const found = [...labels.values()].find((label) => label.name === name);
  if (!found) throw new Error(`no CVAT label ${name}`);
  return found.id;
};
const labelIdSpec = (name: string) =>
  labels.get(cvatId(name))?.attributes.find((each) => each.name === 'label_id')?.id ?? 0;

const A = oid(0xa);
const B = oid(0xb);
const up = (labelId: string, label: string, type: string, points: number[], frame = 0) =>
  ({ labelId, frame, cvatLabelId: cvatId(label), type, points }) satisfies UploadedItem;

let serverId = 1;
/** A downloaded shape under a new server id; `labelId` as its `label_id` attribute. */
const down = (
  label: string,
  type: string,
  points: number[],
  options: { frame?: number; labelId?: string; kind?: IdentityItem['kind'] } = {},
): IdentityItem => ({
  kind: options.kind ?? 'shape',
  serverKey: `shape:${serverId++}`,
  labelIdUsable: true,
  frame: options.frame ?? 0,
  label_id: cvatId(label),
  attributes:
    options.labelId === undefined ? [] : [{ spec_id: labelIdSpec(label), value: options.labelId }],
  type,
  points,
});

/** The id each downloaded item gets by geometry, in download order, and the recorded scores. */
function matchAll(
  uploaded: UploadedItem[],
  downloaded: IdentityItem[],
  options: { threshold?: number; serverIds?: Record<string, string> } = {},
) {
  const identity = labelIdentity({
    labels,
    plan,
    serverIds: options.serverIds ?? {},
    uploaded,
    ...(options.threshold === undefined ? {} : { geometryMatchThreshold: options.threshold }),
  });
  identity.order([...downloaded]);
  return {
    ids: downloaded.map((item) => identity.byGeometry(item)),
    report: identity.report(7),
  };
}

const box = [10, 10, 50, 50];

describe('CVAT label identity: geometry matching', () => {
  it.each([
    { case: 'the same box', points: box, label: 'car', id: A, score: 1 },
    { case: 'a box moved by 4 px', points: [14, 10, 54, 50], label: 'car', id: A, score: 0.8182 },
    { case: 'a box moved beyond the threshold', points: [40, 10, 80, 50], label: 'car' },
    { case: 'a box whose class changed', points: box, label: 'truck', id: A, score: 1 },
    { case: 'a box of another field', points: box, label: 'bus' },
    { case: 'a polygon where a box was', points: [10, 10, 50, 10, 50, 50], label: 'car' },
  ])('$case → $id', ({ points, label, id, score }) => {
    const type = label === 'car' && points.length > 4 ? 'polygon' : 'rectangle';
    const { ids, report } = matchAll([up(A, 'car', 'rectangle', box)], [down(label, type, points)]);

    expect(ids).toEqual([id]);
    expect(report.matches.map((each) => each.score)).toEqual(score === undefined ? [] : [score]);
  });

  it('records each match with the server id, both CVAT labels and its score', () => {
    const item = down('truck', 'rectangle', [12, 10, 52, 50], { frame: 3 });

    const { report } = matchAll([up(A, 'car', 'rectangle', box, 3)], [item]);

    expect(report).toEqual({
      version: 1,
      cvatTaskId: 7,
      threshold: 0.5,
      counts: { serverId: 0, labelIdAttr: 0, geometry: 1, none: 0 },
      matches: [
        {
          labelId: A,
          serverKey: item.serverKey,
          frame: 3,
          cvatLabelId: cvatId('truck'),
          uploadedCvatLabelId: cvatId('car'),
          method: 'geometry',
          score: 0.9048,
        },
      ],
    });
  });

  it('gives competing candidates their best pairs, not the first come', () => {
    const uploaded = [up(A, 'car', 'rectangle', box), up(B, 'car', 'rectangle', [20, 10, 60, 50])];
    // The first item overlaps A well enough, but B better; the second is exactly A.
    const downloaded = [down('car', 'rectangle', [19, 10, 59, 50]), down('car', 'rectangle', box)];

    expect(matchAll(uploaded, downloaded).ids).toEqual([B, A]);
  });

  it('prefers the candidate of the same class when the overlap is the same', () => {
    const uploaded = [up(A, 'car', 'rectangle', box), up(B, 'truck', 'rectangle', box)];

    expect(matchAll(uploaded, [down('truck', 'rectangle', box)]).ids).toEqual([B]);
  });

  it('never hands out an id a label_id claims: a pasted copy near its original stays new', () => {
    const original = down('car', 'rectangle', [30, 30, 70, 70], { labelId: A });
    const copy = down('car', 'rectangle', [11, 10, 51, 50]);

    const { ids, report } = matchAll([up(A, 'car', 'rectangle', box)], [copy, original]);

    expect(ids).toEqual([undefined, undefined]);
    expect(report.counts).toEqual({ serverId: 0, labelIdAttr: 1, geometry: 0, none: 1 });
  });

  it('never hands out an id a recorded server id claims', () => {
    const kept = down('car', 'rectangle', [30, 30, 70, 70]);
    const other = down('car', 'rectangle', box);

    const { ids } = matchAll([up(A, 'car', 'rectangle', box)], [other, kept], {
      serverIds: { [kept.serverKey]: A },
    });

    expect(ids).toEqual([undefined, undefined]);
  });

  it('gives a re-created original its id and its pasted copy none, both without label_id', () => {
    const downloaded = [down('car', 'rectangle', [12, 12, 52, 52]), down('car', 'rectangle', box)];

    expect(matchAll([up(A, 'car', 'rectangle', box)], downloaded).ids).toEqual([undefined, A]);
  });

  it.each([
    { case: 'a point nudged by 2 px', type: 'points', from: [10, 10], to: [12, 11], id: A },
    { case: 'a point moved by 20 px', type: 'points', from: [10, 10], to: [30, 10] },
    {
      case: 'a polyline redrawn as a polygon of the same field',
      type: 'polygon',
      from: [0, 0, 40, 0],
      to: [1, 0, 41, 1, 20, 2],
      id: A,
    },
    {
      case: 'a horizontal line moved far',
      type: 'polyline',
      from: [0, 0, 40, 0],
      to: [0, 30, 40, 30],
    },
  ])('points and polylines: $case → $id', ({ type, from, to, id }) => {
    const label = type === 'points' ? 'joint' : 'lane';
    const uploadedType = type === 'points' ? 'points' : 'polyline';
    const other = label === 'lane' ? 'curb' : label;

    const { ids } = matchAll([up(A, label, uploadedType, from)], [down(other, type, to)]);

    expect(ids).toEqual([id]);
  });

  it.each([
    { threshold: 0, points: box, id: undefined },
    { threshold: 1, points: box, id: A },
    { threshold: 1, points: [11, 10, 51, 50], id: undefined },
    { threshold: 0.9, points: [11, 10, 51, 50], id: A },
  ])('threshold $threshold: $points → $id', ({ threshold, points, id }) => {
    const { ids } = matchAll([up(A, 'car', 'rectangle', box)], [down('car', 'rectangle', points)], {
      threshold,
    });

    expect(ids).toEqual([id]);
  });

  it('matches only on the same frame', () => {
    const { ids } = matchAll(
      [up(A, 'car', 'rectangle', box, 0)],
      [down('car', 'rectangle', box, { frame: 1 })],
    );

    expect(ids).toEqual([undefined]);
  });

  it('leaves track frames to the merge’s track reconciliation', () => {
    const { ids } = matchAll(
      [up(A, 'car', 'rectangle', box)],
      [down('car', 'rectangle', box, { kind: 'track' })],
    );

    expect(ids).toEqual([undefined]);
  });

  it('scores tags as covering the whole frame, and never against a shape', () => {
    expect(geometryScore({ type: 'tag', points: [] }, { type: 'tag', points: [] })).toBe(1);
    expect(geometryScore({ type: 'tag', points: [] }, { type: 'rectangle', points: box })).toBe(
      undefined,
    );
  });
});
