import type { z } from 'zod';
import { isRecord } from '../../labels/json.js';
import {
  isListClass,
  LIST_CONTAINERS,
  type ReturnType,
  type SingleLabelClass,
} from '../../labels/label-types.js';
import { deterministicObjectId } from '../../labels/object-id.js';
import { labelIdSchema, type Scalar, SINGLE_LABEL_CLASSES } from '../../labels/schemas.js';
import type { Annotations } from '../../merge/contract.js';
import type { IssueList } from './issues.js';

type LabelReturnType = Exclude<ReturnType, 'scalar'>;

const SINGLE_CLASSES: Record<SingleLabelClass, { returnType: LabelReturnType; schema: z.ZodType }> =
  SINGLE_LABEL_CLASSES;

const CLASS_NAMES = [...Object.keys(SINGLE_CLASSES), ...Object.keys(LIST_CONTAINERS)].join(', ');

function isSingleClass(value: unknown): value is SingleLabelClass {
  return typeof value === 'string' && Object.hasOwn(SINGLE_CLASSES, value);
}

export { isRecord };

/** Where a field value of a result sits: its field, sample, frame and JSON path. */
export interface ValueSite {
  readonly field: string;
  readonly sampleId: string;
  /** The 1-based frame number, for frame fields. */
  readonly frame?: string;
  readonly path: string;
}

/**
 * Builds the core's download contract (SEMANTICS §4.4) from a result's field values. Every
 * label is filed under the return type of its own class, so a keypoint drawn in a
 * detections field arrives as `keypoints` and the merge treats it as unexpected (§6.4).
 */
export class AnnotationsBuilder {
  readonly annotations: Annotations = {};

  constructor(
    private readonly taskId: string,
    private readonly issues: IssueList,
  ) {}

  /** Marks that a value was given, so a sample (frame) whose labels were all removed is listed. */
  touch(site: ValueSite, returnType: LabelReturnType): void {
    this.slot(site, returnType);
  }

  scalar(site: ValueSite, value: Scalar): void {
    const bySample = this.byType(site.field, 'scalar');
    if (site.frame === undefined) {
      bySample[site.sampleId] = value;
      return;
    }
    child(bySample, site.sampleId)[site.frame] = value;
  }

  /**
   * A label field's value: a list container, a single label, or null (no labels). A missing
   * `_cls` means the class the field stores (`defaultClass`), inside containers the
   * container's element class, so hand-written results may leave it out.
   */
  labels(site: ValueSite, value: unknown, defaultClass: string): void {
    if (value === null) return;
    if (!isRecord(value)) {
      this.issues.add(site.path, 'must be a label object, a label list container or null');
      return;
    }
    const cls = String(value._cls ?? defaultClass);
    if (isListClass(cls)) {
      const { listKey, element } = LIST_CONTAINERS[cls];
      const list = value[listKey];
      if (!Array.isArray(list)) {
        this.issues.add(`${site.path}.${listKey}`, `must be a list of ${element} labels`);
        return;
      }
      this.list(site, list, element, (i) => `${site.path}.${listKey}[${i}]`);
    } else if (isSingleClass(cls)) {
      this.list(site, [value], cls, () => site.path);
    } else {
      this.issues.add(
        `${site.path}._cls`,
        `unknown label class '${cls}'; expected one of ${CLASS_NAMES}`,
      );
    }
  }

  private list(
    site: ValueSite,
    labels: readonly unknown[],
    defaultClass: SingleLabelClass,
    pathOf: (position: number) => string,
  ): void {
    const seen = new Set<string>();
    labels.forEach((label, position) => {
      const path = pathOf(position);
      if (!isRecord(label)) {
        this.issues.add(path, 'must be a label object');
        return;
      }
      const cls = label._cls ?? defaultClass;
      if (!isSingleClass(cls)) {
        this.issues.add(
          `${path}._cls`,
          `unknown label class '${String(cls)}'; expected one of ${Object.keys(SINGLE_CLASSES).join(', ')}`,
        );
        return;
      }
      const id = this.labelId(site, label.id, position, seen, path);
      if (id === undefined) return;
      const { returnType, schema } = SINGLE_CLASSES[cls];
      const parsed = schema.safeParse({ ...label, _cls: cls, id });
      if (!parsed.success) {
        this.issues.addZod(path, parsed.error);
        return;
      }
      this.slot(site, returnType)[id] = parsed.data;
    });
  }

  /**
   * The label's id: its own when it has one (an uploaded label keeps its identity, any other
   * 24-hex id is a new label); else one derived from (task, sample, frame, field, position),
   * so reading the same result twice mints the same ids and a re-load merges, not re-adds.
   * A second label with an id already used in the same list is a pasted copy: a new label.
   */
  private labelId(
    site: ValueSite,
    given: unknown,
    position: number,
    seen: Set<string>,
    path: string,
  ): string | undefined {
    const derived = (): string =>
      deterministicObjectId(
        'files',
        this.taskId,
        site.sampleId,
        site.frame ?? '',
        site.field,
        String(position),
      );
    if (given === undefined || given === null) return derived();
    if (!labelIdSchema.safeParse(given).success) {
      this.issues.add(`${path}.id`, 'must be a 24-hex ObjectId, or left out for a new label');
      return undefined;
    }
    const id = seen.has(given as string) ? derived() : (given as string);
    seen.add(id);
    return id;
  }

  private byType(field: string, returnType: ReturnType): Record<string, unknown> {
    const byField = this.annotations[field] ?? {};
    this.annotations[field] = byField;
    const bySample = byField[returnType] ?? {};
    byField[returnType] = bySample;
    return bySample;
  }

  private slot(site: ValueSite, returnType: LabelReturnType): Record<string, unknown> {
    const sample = child(this.byType(site.field, returnType), site.sampleId);
    return site.frame === undefined ? sample : child(sample, site.frame);
  }
}

/** The record under `key`, created empty when absent. */
function child(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (isRecord(existing)) return existing;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}
