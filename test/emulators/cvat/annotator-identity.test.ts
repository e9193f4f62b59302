import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from './admin-client.js';
import { type CvatEmulator, startCvatEmulator } from './index.js';

let cvat: CvatEmulator;
beforeAll(async () => {
  cvat = await startCvatEmulator();
}, 60_000);
afterAll(() => cvat.stop());

/** The answer's body: these specs read what the emulator holds, not statuses. */
const call = async (method: string, path: string, body?: unknown) =>
  (await adminCall(cvat, method, path, body)).body;

/** A one-frame task whose labels car/truck each have `label_id` and a `color` defaulting to red. */
async function taskWithCar() {
  const attributes = [
    { name: 'label_id', mutable: true, input_type: 'text', default_value: '', values: [''] },
    { name: 'color', mutable: true, input_type: 'select', default_value: 'red', values: ['red'] },
  ];
  const project = await call('POST', '/api/projects', {
    name: 'identity',
    labels: [
      { name: 'car', attributes },
      { name: 'truck', attributes },
    ],
  });
  const task = await call('POST', '/api/tasks', { name: 't', project_id: project.id });
  const record = cvat.state.tasks.get(task.id as number);
  if (!record) throw new Error('no task');
  record.frames.push({ width: 64, height: 48, name: 'a.jpg' });
  cvat.state.createJobs(record, 1);
  const shapeId = cvat.annotator.addShape(record.id, {
    type: 'rectangle',
    frame: 0,
    label: 'car',
    points: [1, 2, 3, 4],
    attributes: { label_id: 'a'.repeat(24), color: 'red' },
  });
  const specOf = (label: string, name: string) =>
    cvat.state
      .labelsOf(record)
      .find((each) => each.name === label)
      ?.attributes.find((each) => each.name === name)?.id;
  return { taskId: record.id, shapeId, specOf };
}

describe('CVAT emulator: annotator actions that lose identity', () => {
  it("changes a shape's class resetting every attribute to the new label's defaults", async () => {
    const { taskId, shapeId, specOf } = await taskWithCar();

    cvat.annotator.changeClass('shape', shapeId, 'truck');

    const [shape] = cvat.annotator.shapes(taskId);
    expect(shape?.id).toBe(shapeId);
    expect(shape?.attributes).toEqual([
      { spec_id: specOf('truck', 'label_id'), value: '' },
      { spec_id: specOf('truck', 'color'), value: 'red' },
    ]);
  });

  it.each([
    { keepLabelIds: true, kept: ['label_id', 'color'] },
    { keepLabelIds: false, kept: ['color'] },
  ])(
    're-ids every shape on import (keepLabelIds: $keepLabelIds)',
    async ({ keepLabelIds, kept }) => {
      const { taskId, shapeId, specOf } = await taskWithCar();
      const before = cvat.annotator.shapes(taskId);
      const [job] = cvat.annotator.jobs(taskId);

      cvat.annotator.reimport(taskId, { keepLabelIds });

      const after = cvat.annotator.shapes(taskId);
      expect(after.map((shape) => shape.id)).not.toContain(shapeId);
      expect(after.map(({ points, label_id }) => ({ points, label_id }))).toEqual(
        before.map(({ points, label_id }) => ({ points, label_id })),
      );
      expect(after[0]?.attributes.map((each) => each.spec_id)).toEqual(
        kept.map((name) => specOf('car', name)),
      );
      expect(cvat.annotator.jobs(taskId)[0]?.updated_date).not.toBe(job?.updated_date);
      // What the API serves is the re-imported set, and it matches the published schema.
      const served = await call('GET', `/api/jobs/${job?.id}/annotations`);
      expect((served.shapes as Array<{ id: number }>).map((shape) => shape.id)).toEqual(
        after.map((shape) => shape.id),
      );
      expect(cvat.violations()).toEqual([]);
    },
  );
});
