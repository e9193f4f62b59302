import { maskOfPixels, maskPixels } from './mask-pixels.js';
import type {
  AttributeValue,
  CvatState,
  JobRecord,
  JobStage,
  JobState,
  ShapeRecord,
  TagRecord,
  TaskRecord,
  TrackRecord,
} from './state.js';

type Kind = 'shape' | 'tag' | 'track';
type Item = ShapeRecord | TagRecord | TrackRecord;

/**
 * A CVAT user at work, in plain method calls: each edit is saved as the UI saves it (the
 * owning job's and the task's `updated_date` change, `update:job` fires), and job actions
 * follow CVAT's state rules. Frames are task frame numbers (0-based); ids are server ids.
 */
export class CvatAnnotator {
  constructor(
    private readonly state: CvatState,
    private readonly userId: number,
  ) {}

  jobs(taskId: number): JobRecord[] {
    return this.state.jobsOf(taskId).map((job) => ({ ...job }));
  }

  shapes(taskId: number): ShapeRecord[] {
    return this.state.annotationsOf(taskId).shapes.map((shape) => structuredClone(shape));
  }

  tags(taskId: number): TagRecord[] {
    return this.state.annotationsOf(taskId).tags.map((tag) => structuredClone(tag));
  }

  tracks(taskId: number): TrackRecord[] {
    return this.state.annotationsOf(taskId).tracks.map((track) => structuredClone(track));
  }

  /** Drags a shape by whole pixels. */
  moveShape(shapeId: number, dx: number, dy: number): void {
    this.edit('shape', shapeId, (item) => {
      const shape = item as ShapeRecord;
      shape.points = shape.points.map((value, index) => value + (index % 2 === 0 ? dx : dy));
    });
  }

  setPoints(shapeId: number, points: number[]): void {
    this.edit('shape', shapeId, (item) => {
      (item as ShapeRecord).points = [...points];
    });
  }

  /**
   * Paints (`set`) or erases pixels of a mask shape with the brush; the mask is saved over
   * the tight box of what is left, as CVAT's editor does.
   */
  paintMask(shapeId: number, pixels: ReadonlyArray<readonly [number, number]>, set: boolean): void {
    this.edit('shape', shapeId, (item) => {
      const shape = item as ShapeRecord;
      if (shape.type !== 'mask') throw new Error(`shape ${shapeId} is a ${shape.type}, not a mask`);
      const current = maskPixels(shape.points);
      for (const [x, y] of pixels) current[set ? 'add' : 'delete'](`${x},${y}`);
      shape.points = maskOfPixels(current);
    });
  }

  /** Picks another label from the task's label list, as the class drop-down does. */
  changeLabel(kind: Kind, id: number, labelName: string): void {
    this.edit(kind, id, (item, task) => {
      item.label_id = this.labelId(task, labelName);
      // CVAT drops attribute values that the new label does not define.
      const specs = new Set(this.label(task, item.label_id).attributes.map((each) => each.id));
      item.attributes = item.attributes.filter((value) => specs.has(value.spec_id));
    });
  }

  /**
   * Changes the class the way CVAT 2.39's UI does: attributes are per label, so every value
   * (`label_id` included) is replaced by the new label's attribute defaults.
   */
  changeClass(kind: Kind, id: number, labelName: string): void {
    this.edit(kind, id, (item, task) => {
      item.label_id = this.labelId(task, labelName);
      item.attributes = this.label(task, item.label_id).attributes.map((spec) => ({
        spec_id: spec.id,
        value: spec.default_value,
      }));
    });
  }

  /**
   * An annotation import (or backup restore): the same tags, shapes and tracks come back
   * under new server ids; `keepLabelIds: false` drops their `label_id` values too, as a
   * format without attributes does. Every job of the task is saved.
   */
  reimport(taskId: number, options: { keepLabelIds: boolean }): void {
    const task = this.task(taskId);
    const annotations = this.state.annotationsOf(taskId);
    const labelIdSpecs = new Set(
      this.state
        .labelsOf(task)
        .flatMap((label) => label.attributes)
        .filter((spec) => spec.name === 'label_id')
        .map((spec) => spec.id),
    );
    const attributes = (values: AttributeValue[]) =>
      options.keepLabelIds ? values : values.filter((each) => !labelIdSpecs.has(each.spec_id));
    annotations.shapes = annotations.shapes.map((shape) => ({
      ...shape,
      id: this.state.nextId('shape'),
      attributes: attributes(shape.attributes),
    }));
    annotations.tags = annotations.tags.map((tag) => ({
      ...tag,
      id: this.state.nextId('tag'),
      attributes: attributes(tag.attributes),
    }));
    annotations.tracks = annotations.tracks.map((track) => ({
      ...track,
      id: this.state.nextId('track'),
      attributes: attributes(track.attributes),
      shapes: track.shapes.map((shape) => ({
        ...shape,
        id: this.state.nextId('tracked_shape'),
        attributes: attributes(shape.attributes),
      })),
    }));
    this.state.touchAfterSave(task, this.state.jobsOf(taskId), this.userId);
  }

  setAttribute(kind: Kind, id: number, name: string, value: string): void {
    this.edit(kind, id, (item, task) => {
      const spec = this.label(task, item.label_id).attributes.find((each) => each.name === name);
      if (!spec) throw new Error(`no attribute '${name}' on this label`);
      const values = item.attributes.filter((each) => each.spec_id !== spec.id);
      item.attributes = [...values, { spec_id: spec.id, value }];
    });
  }

  setOccluded(shapeId: number, occluded: boolean): void {
    this.edit('shape', shapeId, (item) => {
      (item as ShapeRecord).occluded = occluded;
    });
  }

  delete(kind: Kind, id: number): void {
    const { task, list } = this.find(kind, id);
    const index = list.findIndex((item) => item.id === id);
    const [removed] = list.splice(index, 1);
    if (removed) this.saved(task, removed.frame);
  }

  /** Draws a new shape; `attributes` by name. Returns its server id. */
  addShape(
    taskId: number,
    shape: {
      type: string;
      frame: number;
      label: string;
      points: number[];
      attributes?: Record<string, string>;
      occluded?: boolean;
    },
  ): number {
    const task = this.task(taskId);
    const labelId = this.labelId(task, shape.label);
    const id = this.state.nextId('shape');
    this.state.annotationsOf(taskId).shapes.push({
      id,
      type: shape.type,
      frame: shape.frame,
      label_id: labelId,
      points: [...shape.points],
      occluded: shape.occluded ?? false,
      outside: false,
      z_order: 0,
      rotation: 0,
      group: 0,
      source: 'manual',
      attributes: this.values(task, labelId, shape.attributes ?? {}),
    });
    this.saved(task, shape.frame);
    return id;
  }

  addTag(taskId: number, tag: { frame: number; label: string }): number {
    const task = this.task(taskId);
    const id = this.state.nextId('tag');
    const labelId = this.labelId(task, tag.label);
    this.state.annotationsOf(taskId).tags.push({
      id,
      frame: tag.frame,
      label_id: labelId,
      group: 0,
      source: 'manual',
      attributes: [],
    });
    this.saved(task, tag.frame);
    return id;
  }

  /**
   * Draws a new track: one keyframe per entry of `shapes` (an `outside` one hides the object
   * from its frame on, as CVAT's "switch outside" does). Returns the track's server id.
   */
  addTrack(
    taskId: number,
    track: {
      type: string;
      label: string;
      shapes: ReadonlyArray<{ frame: number; points: number[]; outside?: boolean }>;
    },
  ): number {
    const task = this.task(taskId);
    const labelId = this.labelId(task, track.label);
    const shapes = [...track.shapes].sort((a, b) => a.frame - b.frame);
    const first = shapes[0];
    if (!first) throw new Error('a track needs at least one shape');
    const id = this.state.nextId('track');
    this.state.annotationsOf(taskId).tracks.push({
      id,
      frame: first.frame,
      label_id: labelId,
      group: 0,
      source: 'manual',
      attributes: [],
      shapes: shapes.map((shape) => ({
        id: this.state.nextId('tracked_shape'),
        type: track.type,
        frame: shape.frame,
        points: [...shape.points],
        occluded: false,
        outside: shape.outside ?? false,
        z_order: 0,
        rotation: 0,
        keyframe: true,
        attributes: [],
      })),
    });
    this.saved(task, first.frame);
    return id;
  }

  /**
   * Redraws a track's shape at `frame`: its keyframe there, or a new keyframe holding the
   * points (as dragging an interpolated box in CVAT makes one). The job of `frame` is saved.
   */
  setTrackedPoints(trackId: number, frame: number, points: number[]): void {
    const { task } = this.find('track', trackId);
    const track = this.state.annotationsOf(task.id).tracks.find((each) => each.id === trackId);
    if (!track) throw new Error(`no track ${trackId}`);
    // An annotator edits a track in a job; CVAT keeps a piece of the track per job.
    if (this.state.jobOfFrame(task.id, frame) !== this.state.jobOfFrame(task.id, track.frame)) {
      throw new Error(`frame ${frame} is not in the job of track ${trackId}`);
    }
    const keyframe = track.shapes.find((shape) => shape.frame === frame);
    if (keyframe) keyframe.points = [...points];
    else {
      const before = track.shapes.filter((shape) => shape.frame < frame).at(-1);
      if (!before) throw new Error(`track ${trackId} has no shape before frame ${frame}`);
      track.shapes.push({
        ...structuredClone(before),
        id: this.state.nextId('tracked_shape'),
        frame,
        points: [...points],
        outside: false,
        keyframe: true,
      });
      track.shapes.sort((a, b) => a.frame - b.frame);
    }
    this.saved(task, frame);
  }

  /**
   * Splits a track at `frame`: the first part ends there (an `outside` shape), the second is a
   * new track starting there with a copy of the shape in effect. Returns the new track's id.
   */
  splitTrack(trackId: number, frame: number): number {
    const { task } = this.find('track', trackId);
    const track = this.state.annotationsOf(task.id).tracks.find((each) => each.id === trackId);
    if (!track) throw new Error(`no track ${trackId}`);
    const before = track.shapes.filter((shape) => shape.frame < frame);
    const after = track.shapes.filter((shape) => shape.frame >= frame);
    const last = before.at(-1);
    if (!last) throw new Error(`track ${trackId} has no shape before frame ${frame}`);
    const head = after[0]?.frame === frame ? [] : [{ ...last, frame }];
    track.shapes = [
      ...before,
      { ...last, id: this.state.nextId('tracked_shape'), frame, outside: true },
    ];
    const id = this.state.nextId('track');
    this.state.annotationsOf(task.id).tracks.push({
      ...structuredClone(track),
      id,
      frame,
      shapes: [...head, ...after].map((shape) => ({
        ...shape,
        id: this.state.nextId('tracked_shape'),
      })),
    });
    this.saved(task, frame);
    return id;
  }

  /** "Finish the job": state `completed`, stage unchanged (reference §1.5). */
  finishJob(jobId: number): void {
    this.setJob(jobId, { state: 'completed' });
  }

  /** Moves a job through the review flow, e.g. `{stage: 'acceptance', state: 'completed'}`. */
  setJob(jobId: number, change: { stage?: JobStage; state?: JobState }): void {
    const job = this.state.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    this.state.updateJob(job, change, this.userId);
  }

  // --- helpers -------------------------------------------------------------------------------

  private task(taskId: number): TaskRecord {
    const task = this.state.tasks.get(taskId);
    if (!task) throw new Error(`no task ${taskId}`);
    return task;
  }

  private label(task: TaskRecord, labelId: number) {
    const label = this.state.labelsOf(task).find((each) => each.id === labelId);
    if (!label) throw new Error(`no label ${labelId} in task ${task.id}`);
    return label;
  }

  private labelId(task: TaskRecord, name: string): number {
    const label = this.state.labelsOf(task).find((each) => each.name === name);
    if (!label) throw new Error(`no label '${name}' in task ${task.id}`);
    return label.id;
  }

  private values(task: TaskRecord, labelId: number, byName: Record<string, string>) {
    const specs = this.label(task, labelId).attributes;
    return Object.entries(byName).map(([name, value]): AttributeValue => {
      const spec = specs.find((each) => each.name === name);
      if (!spec) throw new Error(`no attribute '${name}'`);
      return { spec_id: spec.id, value };
    });
  }

  private find(kind: Kind, id: number): { task: TaskRecord; list: Item[] } {
    for (const [taskId, annotations] of this.state.annotations) {
      const list: Item[] =
        kind === 'shape'
          ? annotations.shapes
          : kind === 'tag'
            ? annotations.tags
            : annotations.tracks;
      if (list.some((item) => item.id === id)) return { task: this.task(taskId), list };
    }
    throw new Error(`no ${kind} ${id}`);
  }

  private edit(kind: Kind, id: number, change: (item: Item, task: TaskRecord) => void): void {
    const { task, list } = this.find(kind, id);
    const item = list.find((each) => each.id === id) as Item;
    change(item, task);
    this.saved(task, item.frame);
  }

  private saved(task: TaskRecord, frame: number): void {
    const job = this.state.jobOfFrame(task.id, frame);
    this.state.touchAfterSave(task, job ? [job] : [], this.userId);
  }
}
