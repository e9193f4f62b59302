import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getAttribute, type Sample } from '../../../lib/labels/index.js';
import { type MergeInput, mergeAnnotations } from '../../../lib/merge/index.js';
import { mergeTwice } from '../../support/builders.js';
import { mergeInputs, trackedVideoInputs } from './build-run.js';
import { holds, PARAMS } from './property-runs.js';
import {
  fieldsByTarget,
  pairs,
  readOnlyAttributes,
  recordedIds,
  recordedLabels,
  slotsOf,
} from './slots.js';

/**
 * Invariants of mergeAnnotations over broad random runs (arbitraries.ts): true of every
 * merge whatever the input, so they need no reference implementation.
 */
type Rec = Record<string, unknown>;
const samplesOf = (input: MergeInput): Sample[] => input.samples as Sample[];

const SPATIAL_KEYS = ['bounding_box', 'points', 'mask', 'mask_path'];
const pick = (label: Rec, keys: string[]) => keys.map((key) => label[key] ?? null);

describe('mergeAnnotations invariants (random runs of every field kind)', () => {
  it('never mutates its input', () => {
    fc.assert(
      fc.property(mergeInputs(), (input) => {
        const before = structuredClone(input);
        mergeAnnotations(input);
        expect(input).toStrictEqual(before);
      }),
      PARAMS,
    );
  });

  const replays = (input: MergeInput): void => {
    const { first, again } = mergeTwice(input);
    expect(again.report.changes).toEqual([]);
    expect(again.report.changedSampleIds).toEqual([]);
    again.samples.forEach((sample, i) => {
      expect(sample).toBe(first.samples[i]);
    });
  };

  // More runs than the rest: replays differed only on rare shapes (a label moved to another
  // frame of its track was first seen after 20,000 runs).
  it('is idempotent: merging the result again with its id map changes nothing', () => {
    holds(replays, mergeInputs(), 1000);
  });

  it('is idempotent on tracked video fields, where tracks are renumbered and ids taken', () => {
    holds(replays, trackedVideoInputs(), 1000);
  });

  it.each([
    ['allowAdditions', 'added'],
    ['allowDeletions', 'deleted'],
  ] as const)('reports no change that %s=false forbids', (flag, action) => {
    holds((input, result) => {
      for (const [target, field] of fieldsByTarget(input)) {
        if (field[flag] !== false) continue;
        const forbidden = result.report.changes.filter(
          (c) => c.field === target && c.action === action,
        );
        expect(forbidden).toEqual([]);
      }
    });
  });

  it('keeps every recorded label when allowDeletions=false', () => {
    holds((input, result) => {
      for (const { field, stored, merged } of recordedLabels(input, result)) {
        if (field.allowDeletions === false) expect(merged, String(stored.id)).not.toEqual([]);
      }
    });
  });

  it.each([
    ['allowLabelEdits', ['label']],
    ['allowIndexEdits', ['index']],
    ['allowSpatialEdits', SPATIAL_KEYS],
  ] as const)('leaves a recorded label as stored in what %s=false forbids', (flag, keys) => {
    holds((input, result) => {
      for (const { field, stored, merged } of recordedLabels(input, result)) {
        if (field[flag] !== false) continue;
        for (const label of merged) expect(pick(label, [...keys])).toEqual(pick(stored, [...keys]));
      }
    });
  });

  it("leaves a recorded label's read-only attributes as stored", () => {
    holds((input, result) => {
      for (const { field, stored, merged } of recordedLabels(input, result)) {
        for (const label of merged) {
          // Attributes follow the class the label ends up with (SEMANTICS §6.5).
          for (const name of readOnlyAttributes(field, label.label)) {
            expect(getAttribute(label, name), name).toEqual(getAttribute(stored, name));
          }
        }
      }
    });
  });

  it('never deletes nor edits a stored label the id map does not record', () => {
    holds((input, result) => {
      for (const [before, after] of pairs(samplesOf(input), result.samples)) {
        const afterSlots = slotsOf(after);
        for (const [key, slot] of slotsOf(before)) {
          const recorded = recordedIds(input.idMap, before.id, slot);
          for (const stored of slot.labels) {
            if (typeof stored.id !== 'string' || recorded.has(stored.id)) continue;
            const kept = afterSlots.get(key)?.labels.filter((l) => l.id === stored.id) ?? [];
            expect(kept, `${before.id} ${key} ${stored.id}`).toContainEqual(stored);
          }
        }
      }
    });
  });

  it('keeps label ids unique in every list', () => {
    holds(
      (_input, result) => {
        for (const sample of result.samples) {
          for (const [key, slot] of slotsOf(sample)) {
            if (!slot.isList) continue;
            const ids = slot.labels.map((l) => l.id);
            expect(new Set(ids).size, `${sample.id} ${key}`).toBe(ids.length);
          }
        }
      },
      mergeInputs(),
      // A track meeting an unrecorded stored label at its frame and index is rare.
      400,
    );
  });

  // Only among the slot's labels is a new id checked (the merge sees one page): a label moved
  // from a sample where it stays unrecorded keeps its id in its new sample.
  it('keeps label ids unique within each field across the page, given a download that returns no stored id unrecorded for its slot', () => {
    holds(
      (_input, result) => {
        const seen = new Map<string, string>();
        for (const sample of result.samples) {
          for (const [key, slot] of slotsOf(sample)) {
            for (const { id } of slot.labels) {
              const where = `${sample.id} ${key}`;
              const first = seen.get(`${slot.field} ${String(id)}`);
              expect(first ?? where, `${slot.field} ${String(id)}`).toBe(where);
              seen.set(`${slot.field} ${String(id)}`, where);
            }
          }
        }
      },
      mergeInputs({ uniqueIds: true }),
    );
  });

  it("counts each field's added, edited and deleted labels as its changes list them", () => {
    holds((_input, { report }) => {
      const counted: Record<string, Record<string, number>> = {};
      for (const { field, action } of report.changes) {
        const byAction = counted[field] ?? { added: 0, edited: 0, deleted: 0 };
        byAction[action] = (byAction[action] ?? 0) + 1;
        counted[field] = byAction;
      }
      for (const [field, entry] of Object.entries(report.fields)) {
        const { added, edited, deleted } = entry;
        expect({ added, edited, deleted }, field).toEqual(
          counted[field] ?? { added: 0, edited: 0, deleted: 0 },
        );
      }
      for (const field of Object.keys(counted)) expect(report.fields).toHaveProperty([field]);
    });
  });

  it("counts each field's skipped, refused and unexpected labels as their lists name them", () => {
    holds((_input, { report }) => {
      const fields = new Set([
        ...Object.keys(report.fields),
        ...[...report.skipped, ...report.refused, ...report.unexpected].map((e) => e.field),
      ]);
      for (const field of fields) {
        const entry = report.fields[field];
        const refused: Record<string, number> = {};
        for (const r of report.refused) {
          if (r.field === field) refused[r.reason] = (refused[r.reason] ?? 0) + 1;
        }
        expect(entry?.skipped, field).toBe(report.skipped.filter((s) => s.field === field).length);
        expect(entry?.unexpected, field).toBe(
          report.unexpected.filter((u) => u.field === field).length,
        );
        expect(entry?.refused, field).toEqual(refused);
      }
    });
  });

  it('lists as changed exactly the samples returned as new objects', () => {
    holds((input, result) => {
      const changed = pairs(samplesOf(input), result.samples)
        .filter(([before, after]) => before !== after)
        .map(([before]) => before.id);
      expect([...result.report.changedSampleIds].sort()).toEqual(changed.sort());
      expect(new Set(result.report.changedSampleIds).size).toBe(
        result.report.changedSampleIds.length,
      );
    });
  });

  it('returns a sample whose content did not change as the very input object', () => {
    holds((input, result) => {
      for (const [before, after] of pairs(samplesOf(input), result.samples)) {
        if (before !== after) expect(after, before.id).not.toStrictEqual(before);
      }
    });
  });

  it("returns exactly the input's sample ids, in input order", () => {
    holds((input, result) => {
      expect(result.samples.map((s) => s.id)).toEqual(samplesOf(input).map((s) => s.id));
    });
  });
});
