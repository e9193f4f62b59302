import { describe, expect, it } from 'vitest';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import {
  detection,
  detections,
  field,
  imageSample,
  mergeInput,
  oid,
} from '../../support/builders.js';

const A = oid(1);
const B = oid(2);
const C = oid(3);
const NEW = oid(9);

// The parse knows when the recorded ids that came back are a prefix of the slot's recorded
// list; the merge then looks for gone ids only after it. These pin that to the general rule:
// a recorded id the download lacks is deleted once, one it has is never deleted.
describe('Function: mergeAnnotations — recorded ids the download no longer has', () => {
  const merge = (recorded: string[], labels: Record<string, unknown>, allowDeletions = true) =>
    mergeAnnotations(
      mergeInput({
        samples: [
          imageSample('s1', {
            gt: detections(detection(A, 'cat'), detection(B, 'dog'), detection(C, 'cow')),
          }),
        ],
        gt: field({ type: 'detections', allowDeletions }),
        idMap: { gt: { s1: recorded } },
        annotations: { gt: { detections: { s1: labels } } } as never,
      }),
    );
  const deleted = (result: ReturnType<typeof merge>) =>
    result.report.changes.filter((c) => c.action === 'deleted').map((c) => c.labelId);
  const ids = (result: ReturnType<typeof merge>) =>
    (result.samples[0]?.gt as { detections: Array<{ id: string }> } | undefined)?.detections.map(
      (d) => d.id,
    );

  it.each([
    {
      name: 'the tail after the ids returned in order',
      recorded: [A, B, C],
      labels: { [A]: detection(A, 'cat') },
      gone: [B, C],
    },
    {
      name: 'the tail, with a new label after the returned ones',
      recorded: [A, B, C],
      labels: { [A]: detection(A, 'cat'), [NEW]: detection(NEW, 'owl') },
      gone: [B, C],
    },
    {
      name: 'none when an id in the tail is recorded again before it',
      recorded: [A, B, A],
      labels: { [A]: detection(A, 'cat'), [B]: detection(B, 'dog') },
      gone: [],
    },
    {
      name: 'an id recorded twice in the tail, once',
      recorded: [A, B, B],
      labels: { [A]: detection(A, 'cat') },
      gone: [B],
    },
    {
      name: 'the ones missing when the ids came back out of order',
      recorded: [A, B, C],
      labels: { [C]: detection(C, 'cow'), [A]: detection(A, 'cat') },
      gone: [B],
    },
    {
      name: 'every recorded id when none came back',
      recorded: [A, B, C],
      labels: { [NEW]: detection(NEW, 'owl') },
      gone: [A, B, C],
    },
  ])('deletes $name', ({ recorded, labels, gone }) => {
    const result = merge(recorded, labels);
    expect(deleted(result)).toEqual(gone);
    expect(result.report.fields.gt?.deleted).toBe(gone.length);
    expect(ids(result)?.filter((id) => gone.includes(id))).toEqual([]);
  });

  it('counts each gone id once in the warning when deletions are refused', () => {
    const result = merge([A, B, B, C], { [A]: detection(A, 'cat') }, false);
    expect(result.warnings).toContain(
      "Ignored 2 deleted labels in field 'gt' because `allowDeletions=false`",
    );
    expect(result.report.refused.map((r) => r.labelId)).toEqual([B, C]);
    expect(ids(result)).toEqual([A, B, C]);
  });
});
