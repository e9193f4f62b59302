import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../lib/labels/index.js';
import { type CvatEmulator, maskPixels } from '../../emulators/cvat/index.js';
import { detection, detections, oid } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { jpeg, mp4 } from '../../support/media.js';
import { annotateRun, loadRun, snapshot } from '../workflows/run-support.js';
import { cvatRig, DATASET, HEIGHT, useCvatEmulator, WIDTH } from './cvat-support.js';

const ANNO_KEY = 'masks';
const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator((started) => {
  cvat = started;
});

/** An ellipse filling the 32×24 box [0.25, 0.25, 0.5, 0.5] of a 64×48 image (pixels 16..47 × 12..35). */
const ELLIPSE = Array.from({ length: 24 }, (_, y) =>
  Array.from({ length: 32 }, (_, x) =>
    ((x - 15.5) / 16) ** 2 + ((y - 11.5) / 12) ** 2 < 1 ? 1 : 0,
  ),
);
/** A model's coarse mask (6×8), stretched over its box as FiftyOne does. */
const COARSE = Array.from({ length: 6 }, (_, y) =>
  Array.from({ length: 8 }, (_, x) => (x + y) % 2),
);
const instance = (n: number) =>
  detection(oid(n), 'car', { bounding_box: [0.25, 0.25, 0.5, 0.5], mask: ELLIPSE });
/** Rows 0-15 background, 16-31 a car on the left half, 32-47 road. */
const SCENE = Array.from({ length: HEIGHT }, (_, y) =>
  Array.from({ length: WIDTH }, (_, x) => (y >= 32 ? 1 : y >= 16 && x < 32 ? 2 : 0)),
);
const segmentation = (n: number) => ({ _cls: 'Segmentation', id: oid(0x50 + n), mask: SCENE });
/** Half the frame's resolution, as segmentation models often give. */
const HALF_SCENE = SCENE.filter((_, y) => y % 2 === 0).map((row) =>
  row.filter((_, x) => x % 2 === 0),
);

/**
 * Two 64×48 images, each with one car instance and a scene segmentation; m1's masks match
 * CVAT's pixels, m2's (coarse, off the pixel grid, half resolution) cannot be held exactly.
 */
async function seed(local: LocalStore): Promise<void> {
  const { store, bucket } = local;
  await store.datasets.create(DATASET, {
    mediaType: 'image',
    sampleFields: { objects: 'Detections', scene: 'Segmentation' },
  });
  const samples: Sample[] = [];
  for (const n of [1, 2]) {
    await store.media.put(`datasets/${DATASET}/m${n}.jpg`, jpeg(WIDTH, HEIGHT), 'image/jpeg');
    samples.push({
      id: `m${n}`,
      filepath: `s3://${bucket}/datasets/${DATASET}/m${n}.jpg`,
      media_type: 'image',
      metadata: { width: WIDTH, height: HEIGHT },
      tags: [],
      objects: detections(
        n === 1
          ? instance(n)
          : detection(oid(n), 'car', { bounding_box: [0.251, 0.25, 0.5, 0.5], mask: COARSE }),
      ),
      scene: n === 1 ? segmentation(n) : { ...segmentation(n), mask: HALF_SCENE },
    });
  }
  await store.samples.batchPut(DATASET, samples);
}

const INSTANCES = {
  dataset: DATASET,
  annoKey: ANNO_KEY,
  backend: 'cvat',
  labelField: 'objects',
  labelType: 'instances',
  classes: ['car'],
};
const SEGMENTATION = {
  dataset: DATASET,
  annoKey: ANNO_KEY,
  backend: 'cvat',
  labelField: 'scene',
  labelType: 'segmentation',
  maskTargets: { '1': 'road', '2': 'car' },
};

async function annotated(request: Record<string, unknown>) {
  const local = await aws.newStore();
  await seed(local);
  const rig = cvatRig(local, cvat);
  await annotateRun(rig.deps, request as never);
  const [task] = (await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
  const cvatId = Number(task?.backendTaskId);
  const before = await snapshot(local.store);
  const load = async () => {
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
    return loadRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
  };
  const field = async (sampleId: string, name: string) =>
    (await snapshot(local.store))[sampleId]?.sample[name] as Record<string, unknown> | undefined;
  return { local, cvatId, before, load, field, shapes: () => cvat.annotator.shapes(cvatId) };
}

const counts = (added: number, edited: number, deleted: number, refused: number) => [
  expect.objectContaining({ added, edited, deleted, refused }),
];

describe('CVAT masks: instances', () => {
  it('sends each instance as a CVAT mask over its box, and an unchanged one merges as unchanged', async () => {
    const { load, shapes, before, field } = await annotated(INSTANCES);
    const [first] = shapes();
    expect(first?.type).toBe('mask');
    expect(first?.points.slice(-4)).toEqual([16, 12, 47, 35]);
    expect(maskPixels(first?.points ?? []).size).toBe(ELLIPSE.flat().filter(Boolean).length);

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 0, 0, 0));
    expect(await field('m1', 'objects')).toEqual(before.m1?.sample.objects);
    expect(await field('m2', 'objects')).toEqual(before.m2?.sample.objects);
  });

  it('merges a painted mask as an edit and a deleted one as a deletion', async () => {
    const { load, shapes, field } = await annotated(INSTANCES);
    const [m1, m2] = shapes();
    // The box's top-left corner is outside the ellipse: the annotator paints it in.
    cvat.annotator.paintMask(m1?.id ?? 0, [[16, 12]], true);
    cvat.annotator.delete('shape', m2?.id ?? 0);

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 1, 1, 0));
    const [car] = ((await field('m1', 'objects'))?.detections ?? []) as Array<{ mask: number[][] }>;
    expect(car?.mask[0]?.[0]).toBe(1);
    expect(car?.mask.flat().filter(Boolean).length).toBe(ELLIPSE.flat().filter(Boolean).length + 1);
    expect((await field('m2', 'objects'))?.detections).toEqual([]);
  });

  it('refuses a painted mask when spatial edits are not allowed, keeping the stored one', async () => {
    const { load, shapes, before, field } = await annotated({
      ...INSTANCES,
      allowSpatialEdits: false,
    });
    cvat.annotator.paintMask(shapes()[0]?.id ?? 0, [[30, 20]], false);

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 0, 0, 1));
    expect(await field('m1', 'objects')).toEqual(before.m1?.sample.objects);
  });

  it('reads a polygon drawn in the field as a new instance with its rasterized mask', async () => {
    const { load, cvatId, field } = await annotated(INSTANCES);
    cvat.annotator.addShape(cvatId, {
      type: 'polygon',
      frame: 0,
      label: 'car',
      points: [0, 0, 4, 0, 4, 2, 0, 2],
    });

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(1, 0, 0, 0));
    const stored = ((await field('m1', 'objects'))?.detections ?? []) as Record<string, unknown>[];
    const added = stored.find((each) => each.id !== oid(1));
    expect(added).toMatchObject({
      bounding_box: [0, 0, 4 / WIDTH, 2 / HEIGHT],
      mask: [
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
    });
  });
});

describe('CVAT masks: segmentation', () => {
  it('sends one mask per class carrying the segmentation id; unchanged merges as unchanged', async () => {
    const { load, shapes, before, field } = await annotated(SEGMENTATION);
    const ofM1 = shapes().filter((shape) => shape.frame === 0);
    expect(ofM1.map((shape) => [shape.type, shape.points.slice(-4)])).toEqual([
      ['mask', [0, 32, 63, 47]],
      ['mask', [0, 16, 31, 31]],
    ]);
    expect(ofM1.map((shape) => shape.attributes.map((each) => each.value))).toEqual([
      [oid(0x51)],
      [oid(0x51)],
    ]);

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 0, 0, 0));
    expect(await field('m1', 'scene')).toEqual(before.m1?.sample.scene);
    expect(await field('m2', 'scene')).toEqual(before.m2?.sample.scene);
  });

  it("merges a class painted over the background as an edit of the sample's segmentation", async () => {
    const { load, shapes, field } = await annotated(SEGMENTATION);
    const car = shapes().find((shape) => shape.frame === 0 && shape.points.at(-3) === 16);
    cvat.annotator.paintMask(car?.id ?? 0, [[5, 5]], true);

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 1, 0, 0));
    const mask = (await field('m1', 'scene'))?.mask as number[][];
    expect(mask[5]?.[5]).toBe(2);
    expect((await field('m1', 'scene'))?.id).toBe(oid(0x51));
  });

  it('deletes the segmentation whose every class mask the annotator deleted', async () => {
    const { load, shapes, field } = await annotated(SEGMENTATION);
    for (const shape of shapes().filter((each) => each.frame === 1)) {
      cvat.annotator.delete('shape', shape.id);
    }

    const loaded = await load();

    expect(loaded.merged).toEqual(counts(0, 0, 1, 0));
    expect(await field('m2', 'scene')).toBeNull();
  });
});

describe('CVAT masks: video', () => {
  it('round-trips a tracked instance mask unchanged, index and all', async () => {
    const local = await aws.newStore();
    const { store, bucket } = local;
    await store.datasets.create('clips', {
      mediaType: 'video',
      sampleFields: {},
      frameFields: { objects: 'Detections' },
    });
    await store.media.put('datasets/clips/v1.mp4', mp4(WIDTH, HEIGHT, 4), 'video/mp4');
    await store.samples.batchPut('clips', [
      {
        id: 'v1',
        filepath: `s3://${bucket}/datasets/clips/v1.mp4`,
        media_type: 'video',
        metadata: { frame_width: WIDTH, frame_height: HEIGHT, total_frame_count: 4 },
        tags: [],
        frames: {
          '2': { id: oid(0xf2), objects: detections({ ...instance(7), index: 1, keyframe: true }) },
          '3': { id: oid(0xf3), objects: detections({ ...instance(8), index: 1, keyframe: true }) },
        },
      },
    ]);
    const rig = cvatRig(local, cvat);
    await annotateRun(rig.deps, {
      ...INSTANCES,
      dataset: 'clips',
      labelField: 'frames.objects',
    } as never);
    const [task] = (await local.store.tasks.listByRun('clips', ANNO_KEY)).items;
    const cvatId = Number(task?.backendTaskId);
    // An indexed mask is a track of masks, closed by an outside copy after its last frame;
    // CVAT keeps a piece of it per job (a frame each here), the last piece closed.
    const pieces = cvat.annotator.tracks(cvatId);
    expect(
      pieces.map((track) => track.shapes.map((shape) => [shape.type, shape.frame, shape.outside])),
    ).toEqual([
      [['mask', 1, false]],
      [
        ['mask', 2, false],
        ['mask', 3, true],
      ],
    ]);
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);

    const loaded = await loadRun(rig.deps, { dataset: 'clips', annoKey: ANNO_KEY });

    expect(loaded.merged).toEqual(counts(0, 0, 0, 0));
  });
});
