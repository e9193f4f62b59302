import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memorySecretStore } from '../../../../lib/backends/secrets.js';
import type { AnnotateRequest } from '../../../../lib/workflows/index.js';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';
import { useLocalAws } from '../../../support/local-aws.js';
import {
  annotateRun,
  DATASET,
  loadRun,
  seedDataset,
  snapshot,
} from '../../workflows/run-support.js';
import { labelboxDeps } from './support.js';

const aws = useLocalAws();
let emulator: LabelboxEmulator;
beforeEach(async () => {
  emulator = await new LabelboxEmulator({ exportPolls: 2 }).start();
});
afterEach(async () => {
  expect(emulator.violations()).toEqual([]);
  await emulator.stop();
});

const REQUEST = {
  dataset: DATASET,
  annoKey: 'every',
  backend: 'labelbox',
  sampleIds: ['s1'],
  labelSchema: {
    boxes: { type: 'detections', classes: ['car'] },
    masks: { type: 'instances', classes: ['car'] },
    areas: { type: 'polygons', classes: ['lot'] },
    lanes: { type: 'polylines', classes: ['lane'] },
    joints: { type: 'keypoints', classes: ['head'] },
    scene: { type: 'segmentation', maskTargets: { '1': 'road', '2': 'car' } },
    topics: { type: 'classifications', classes: ['city', 'night'] },
    caption: { type: 'scalar' },
  },
} satisfies AnnotateRequest;

/** A 64×48 mask with the pixels of a rectangle on. */
function block(x: number, y: number, w: number, h: number): number[][] {
  return Array.from({ length: 48 }, (_, row) =>
    Array.from({ length: 64 }, (_, col) =>
      col >= x && col < x + w && row >= y && row < y + h ? 1 : 0,
    ),
  );
}
const cls = (value: string) => [{ name: 'class_name', radio_answer: { name: value, value } }];
// Export v2 answers with the option's label as `name` and its value as `value`; a
// segmentation's options are {label: class, value: mask value} (ontology.ts).
const maskClass = (name: string, value: string) => [
  { name: 'class_name', radio_answer: { name, value } },
];

describe('Labelbox backend: every label type through the emulator', () => {
  it('loads what the annotator drew as FiftyOne labels with relative coordinates', async () => {
    const local = await aws.newStore();
    await seedDataset(local);
    const deps = labelboxDeps(local, emulator, memorySecretStore());
    await annotateRun(deps, REQUEST);
    const projectId = (await local.store.tasks.get(DATASET, 'every', 'every-00000')).backendTaskId;
    const pts = [
      { x: 0, y: 0 },
      { x: 32, y: 0 },
      { x: 32, y: 24 },
    ];
    await emulator.submitLabel({
      projectId,
      globalKey: 's1',
      objects: [
        {
          name: 'boxes',
          annotation_kind: 'ImageBoundingBox',
          bounding_box: { top: 24, left: 32, height: 12, width: 16 },
          classifications: cls('car'),
        },
        {
          name: 'masks',
          annotation_kind: 'ImageSegmentationMask',
          pixels: block(8, 4, 8, 8),
          classifications: cls('car'),
        },
        {
          name: 'areas',
          annotation_kind: 'ImagePolygon',
          polygon: pts,
          classifications: cls('lot'),
        },
        {
          name: 'lanes',
          annotation_kind: 'ImagePolyline',
          line: pts,
          classifications: cls('lane'),
        },
        {
          name: 'joints',
          annotation_kind: 'ImagePoint',
          point: { x: 16, y: 36 },
          classifications: cls('head'),
        },
        {
          name: 'scene (segmentation)',
          annotation_kind: 'ImageSegmentationMask',
          pixels: block(0, 24, 64, 24),
          classifications: maskClass('road', '1'),
        },
        {
          name: 'scene (segmentation)',
          annotation_kind: 'ImageSegmentationMask',
          pixels: block(32, 24, 16, 12),
          classifications: maskClass('car', '2'),
        },
      ],
      classifications: [
        { name: 'topics', checklist_answers: [{ name: 'night', value: 'night' }] },
        { name: 'caption', text_answer: { content: 'a parked car' } },
      ],
    });
    await emulator.markDone(projectId, 's1');

    await loadRun(deps, { dataset: DATASET, annoKey: 'every' });

    const s1 = (await snapshot(local.store)).s1?.sample as Record<string, Record<string, unknown>>;
    const first = (field: string, list: string) =>
      (s1[field]?.[list] as Array<Record<string, unknown>> | undefined)?.[0];
    expect(first('boxes', 'detections')).toMatchObject({
      label: 'car',
      bounding_box: [0.5, 0.5, 0.25, 0.25],
    });
    expect(first('masks', 'detections')).toMatchObject({
      label: 'car',
      bounding_box: [0.125, 4 / 48, 0.125, 8 / 48],
      mask: block(0, 0, 8, 8)
        .slice(0, 8)
        .map((row) => row.slice(0, 8)),
    });
    const triangle = [
      [
        [0, 0],
        [0.5, 0],
        [0.5, 0.5],
      ],
    ];
    expect(first('areas', 'polylines')).toMatchObject({
      label: 'lot',
      points: triangle,
      closed: true,
      filled: true,
    });
    expect(first('lanes', 'polylines')).toMatchObject({
      label: 'lane',
      points: triangle,
      closed: false,
    });
    expect(first('joints', 'keypoints')).toMatchObject({ label: 'head', points: [[0.25, 0.75]] });
    const mask = s1.scene?.mask as number[][];
    expect([mask[0]?.[0], mask[30]?.[0], mask[30]?.[40], mask[40]?.[40]]).toEqual([0, 1, 2, 1]);
    expect(s1.topics).toMatchObject({ classifications: [{ label: 'night' }] });
    expect(s1.caption).toBe('a parked car');
  });
});
