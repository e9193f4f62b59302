import type { CvatAttributeValue, CvatLabel } from './api.js';
import { LABEL_ID_ATTR } from './label-specs.js';

const OBJECT_ID = /^[0-9a-f]{24}$/;

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
  /** `shape:<id>` / `tag:<id>` → our label id, recorded from the upload's PUT response. */
  serverIds: Readonly<Record<string, string>>;
  /** What the upload sent, for matching items that lost both server id and `label_id`. */
  uploaded?: readonly UploadedItem[];
}

/**
 * How downloaded items find the ids of the labels they were uploaded as: the order in which
 * they claim ids, and the last-resort geometry match.
 */
export function labelIdentity(input: IdentityInput) {
  function labelIdOf(item: IdentityItem): string | undefined {
    if (!item.labelIdUsable) return undefined;
    const cvatLabel = input.labels.get(item.label_id);
    const spec = cvatLabel?.attributes.find((each) => each.name === LABEL_ID_ATTR);
    const value = item.attributes.find((each) => each.spec_id === spec?.id)?.value;
    return value !== undefined && OBJECT_ID.test(value) ? value : undefined;
  }
  // Items whose server id was recorded claim their ids first, so a pasted copy cannot steal one.
  // Explicit identities claim their ids before geometry matching may hand one out.
  const rank = (item: IdentityItem) =>
    input.serverIds[item.serverKey] !== undefined ? 0 : labelIdOf(item) !== undefined ? 1 : 2;
  const unclaimed = [...(input.uploaded ?? [])];
  /** Last resort: an uploaded item of the same frame, label, type and pixels, not yet claimed. */
  function byGeometry(item: IdentityItem, taken: ReadonlySet<string>): string | undefined {
    const at = unclaimed.findIndex(
      (each) =>
        each.frame === item.frame &&
        each.cvatLabelId === item.label_id &&
        each.type === item.type &&
        !taken.has(each.labelId) &&
        each.points.length === item.points.length &&
        each.points.every((value, i) => value === item.points[i]),
    );
    if (at < 0) return undefined;
    const [match] = unclaimed.splice(at, 1);
    return match?.labelId;
  }
  return {
    /** Sorts items so explicit identities (server id, then `label_id`) claim first. */
    order: <T extends IdentityItem>(items: T[]): T[] => items.sort((a, b) => rank(a) - rank(b)),
    byGeometry,
  };
}
