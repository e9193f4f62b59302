import { describe, expect, it } from 'vitest';
import { identityReportKey, identityReportSchema } from '../../../lib/backends/cvat/identity.js';
import { cvatBackend } from '../../../lib/backends/cvat/index.js';
import { cleanupRun } from '../../../lib/workflows/index.js';
import { backendContext, backendTask } from '../../../lib/workflows/run-context.js';
import type { CvatEmulator } from '../../emulators/cvat/index.js';
import { detection } from '../../support/builders.js';
import { type LocalStore, useLocalAws } from '../../support/local-aws.js';
import { annotateRun, loadRun, snapshot } from '../workflows/run-support.js';
import {
  ANNO_KEY,
  type CvatRig,
  cvatRig,
  DATASET,
  labelIdOf,
  REQUEST,
  seedSixImages,
  useCvatEmulator,
} from './cvat-support.js';

const aws = useLocalAws();
let cvat: CvatEmulator;
useCvatEmulator((started) => {
  cvat = started;
});

/** The run of cvat-support (s1 a car, s2 a person, boxes at 16,12–48,36 px), task 1 finished. */
async function annotated(extra: Record<string, unknown> = {}) {
  const local = await aws.newStore();
  await seedSixImages(local);
  const rig = cvatRig(local, cvat, extra);
  await annotateRun(rig.deps, REQUEST);
  const tasks = (await local.store.tasks.listByRun(DATASET, ANNO_KEY)).items;
  const cvatId = Number(tasks[0]?.backendTaskId);
  const [car, person] = cvat.annotator.shapes(cvatId);
  if (!car || !person) throw new Error('the upload sent no boxes');
  const finish = () => {
    for (const job of cvat.annotator.jobs(cvatId)) cvat.annotator.finishJob(job.id);
  };
  return { local, rig, cvatId, car, person, finish, task: tasks[0] };
}

const load = async (rig: CvatRig) => {
  const { merged } = await loadRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });
  return merged.map(({ added, edited, deleted }) => ({ added, edited, deleted }));
};
const boxesOf = async (local: LocalStore, sampleId: string) => {
  const field = (await snapshot(local.store))[sampleId]?.sample.ground_truth as
    | { detections: Record<string, unknown>[] }
    | undefined;
  return field?.detections;
};
async function identityReport(local: LocalStore, cvatId: number) {
  const key = identityReportKey({ dataset: DATASET, annoKey: ANNO_KEY, labelSchema: {} }, cvatId);
  const object = await local.store.media.read(key);
  return object && identityReportSchema.parse(JSON.parse(new TextDecoder().decode(object.body)));
}

describe('CVAT label identity through a load', () => {
  it('edits the original label when its class changes in CVAT (server id kept)', async () => {
    const { local, rig, car, finish } = await annotated();
    cvat.annotator.changeClass('shape', car.id, 'truck');
    finish();

    expect(await load(rig)).toEqual([{ added: 0, edited: 1, deleted: 0 }]);
    expect(await boxesOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'truck', { bounding_box: [0.25, 0.25, 0.5, 0.5] }),
    ]);
  });

  it('edits the original label of a renamed run: its task data stays under its object key', async () => {
    const { local, rig, car, finish } = await annotated();
    await local.store.runs.rename(DATASET, ANNO_KEY, 'renamed');
    cvat.annotator.changeClass('shape', car.id, 'truck');
    finish();

    const { merged } = await loadRun(rig.deps, { dataset: DATASET, annoKey: 'renamed' });

    expect(merged.map(({ added, edited, deleted }) => ({ added, edited, deleted }))).toEqual([
      { added: 0, edited: 1, deleted: 0 },
    ]);
    expect(await boxesOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'truck', { bounding_box: [0.25, 0.25, 0.5, 0.5] }),
    ]);
  });

  it('edits the original label when its class changed and CVAT then re-ided every shape, recording the match', async () => {
    const { local, rig, cvatId, car, finish } = await annotated();
    cvat.annotator.changeClass('shape', car.id, 'truck');
    cvat.annotator.reimport(cvatId, { keepLabelIds: true });
    finish();

    expect(await load(rig)).toEqual([{ added: 0, edited: 1, deleted: 0 }]);
    expect(await boxesOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'truck', { bounding_box: [0.25, 0.25, 0.5, 0.5] }),
    ]);
    const [truck] = cvat.annotator.shapes(cvatId);
    expect(await identityReport(local, cvatId)).toMatchObject({
      counts: { serverId: 0, labelIdAttr: 1, geometry: 1, none: 0 },
      matches: [
        {
          labelId: labelIdOf(1),
          serverKey: `shape:${truck?.id}`,
          method: 'geometry',
          score: 1,
          cvatLabelId: truck?.label_id,
          uploadedCvatLabelId: car.label_id,
        },
      ],
    });
  });

  it('edits a box moved within the threshold after a re-id that dropped every label_id', async () => {
    const { local, rig, cvatId, car, finish } = await annotated();
    cvat.annotator.moveShape(car.id, 4, 0);
    cvat.annotator.reimport(cvatId, { keepLabelIds: false });
    finish();

    expect(await load(rig)).toEqual([{ added: 0, edited: 1, deleted: 0 }]);
    expect(await boxesOf(local, 's1')).toEqual([
      detection(labelIdOf(1), 'car', { bounding_box: [0.3125, 0.25, 0.5, 0.5] }),
    ]);
    expect((await identityReport(local, cvatId))?.matches.map((each) => each.score)).toEqual([
      1, 0.7778,
    ]);
  });

  it('deletes and adds a box moved beyond the threshold after a re-id', async () => {
    const { local, rig, cvatId, car, finish } = await annotated();
    cvat.annotator.setPoints(car.id, [40, 30, 64, 48]);
    cvat.annotator.reimport(cvatId, { keepLabelIds: false });
    finish();

    expect(await load(rig)).toEqual([{ added: 1, edited: 0, deleted: 1 }]);
    const [added] = (await boxesOf(local, 's1')) ?? [];
    expect(added?.id).not.toBe(labelIdOf(1));
    expect(added?.bounding_box).toEqual([0.625, 0.625, 0.375, 0.375]);
  });

  it('treats every re-ided item as new with geometry matching off', async () => {
    const { rig, cvatId, finish } = await annotated({ geometry_match_threshold: 0 });
    cvat.annotator.reimport(cvatId, { keepLabelIds: false });
    finish();

    expect(await load(rig)).toEqual([{ added: 2, edited: 0, deleted: 2 }]);
  });

  it('logs how many items geometry identified, without their labels', async () => {
    const { local, rig, cvatId, finish, task } = await annotated();
    cvat.annotator.reimport(cvatId, { keepLabelIds: false });
    finish();
    const lines: Record<string, unknown>[] = [];
    const backend = cvatBackend({
      params: rig.params,
      objects: local.store.media,
      log: (entry) => lines.push(entry),
    });
    const run = await local.store.runs.get(DATASET, ANNO_KEY);
    if (!task) throw new Error('no task');

    await backend.download(backendContext(run), backendTask(task));

    expect(lines).toEqual([
      {
        level: 'info',
        message: 'CVAT items identified by geometry',
        taskId: task.taskId,
        cvatTaskId: cvatId,
        threshold: 0.5,
        serverId: 0,
        labelIdAttr: 0,
        geometry: 2,
        none: 0,
        report: identityReportKey(backendContext(run).run, cvatId),
      },
    ]);
  });

  it('deletes the identity record with the run on cleanup', async () => {
    const { local, rig, cvatId, finish } = await annotated();
    finish();
    await load(rig);
    const recorded = await identityReport(local, cvatId);

    await cleanupRun(rig.deps, { dataset: DATASET, annoKey: ANNO_KEY });

    expect(recorded?.counts).toEqual({ serverId: 2, labelIdAttr: 0, geometry: 0, none: 0 });
    expect(await identityReport(local, cvatId)).toBeUndefined();
  });

  it('refuses a geometry_match_threshold outside [0, 1]', () => {
    expect(() =>
      cvatBackend({ params: { geometry_match_threshold: 1.5 }, objects: {} as never }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
