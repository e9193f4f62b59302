import type { LabelType } from '../../../lib/labels/index.js';
import { oid } from '../../support/builders.js';
import { RETURN_TYPES, type RunSpec, renderLabel, SCALARS } from './arbitraries.js';

// Parts of buildRun (build-run.ts): a field as built, and the download's unexpected labels.
type Rec = Record<string, unknown>;

export interface Field {
  name: string;
  leaf: string;
  frame: boolean;
  type: LabelType;
  rt: string;
}

/** `parent[key]`, created empty when missing. */
export function child(parent: Rec, key: string): Rec {
  const existing = parent[key];
  if (existing !== null && typeof existing === 'object') return existing as Rec;
  const created: Rec = {};
  parent[key] = created;
  return created;
}

/** Labels of return types their field does not expect (SEMANTICS §6.4). */
export function addUnexpected(
  spec: RunSpec,
  fields: Field[],
  samples: Rec[],
  annotations: Record<string, Record<string, Rec>>,
  idMap: Record<string, Rec>,
  sampleFields: Rec,
  newId: () => string,
  uniqueIds: boolean,
): void {
  // With 'keep', the target `detections` may already hold a recorded label per sample.
  const keepTargetStored = spec.keepTargetStored && spec.unexpectedPolicy === 'keep';
  if (keepTargetStored) {
    samples.forEach((sample, si) => {
      const id = oid(0xeee000 + si);
      sample.detections = {
        _cls: 'Detections',
        detections: [
          { _cls: 'Detection', id, label: 'cat', bounding_box: [0, 0, 1, 1], note: 'x' },
        ],
      };
      child(idMap, 'detections')[`s${si}`] = [id];
    });
    sampleFields.detections = 'Detections';
  }
  for (const u of spec.unexpected) {
    const f = fields[u.field % fields.length] as Field;
    const rt = RETURN_TYPES[u.rt] as string;
    if (rt === f.rt) continue;
    const si = u.sample % samples.length;
    const frameList = Object.entries((samples[si]?.frames ?? {}) as Record<string, { id: string }>);
    const dl = child(annotations[f.name] as Rec, rt);
    let group: unknown = SCALARS[u.values.length + u.frame];
    if (rt !== 'scalar') {
      // The stored `detections` label is recorded for its sample, not for any frame.
      const reuse = keepTargetStored && u.recordedIn && !(uniqueIds && f.frame);
      group = Object.fromEntries(
        u.values.map((v, k) => [
          reuse && k === 0 ? oid(0xeee000 + si) : newId(),
          renderLabel(rt, v),
        ]),
      );
    }
    if (f.frame) {
      const fr = frameList[u.frame % Math.max(1, frameList.length)];
      child(dl, `s${si}`)[fr ? (u.frame % 2 === 0 ? fr[0] : fr[1].id) : '1'] = group;
    } else dl[`s${si}`] = group;
  }
}
