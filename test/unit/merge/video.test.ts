import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../lib/labels/index.js';
import { mergeAnnotations } from '../../../lib/merge/index.js';
import { detection, detections, field, mergeTwice, oid } from '../../support/builders.js';

const F1 = oid(0xf1);
const F2 = oid(0xf2);
const dataset = { mediaType: 'video', sampleFields: {}, frameFields: { dets: 'Detections' } };

function video(frame1: Record<string, unknown>[], frame2: Record<string, unknown>[] = []): Sample {
  return {
    id: 'v1',
    filepath: '/data/v1.mp4',
    media_type: 'video',
    frames: {
      '1': { id: F1, dets: detections(...frame1) },
      '2': { id: F2, dets: detections(...frame2) },
    },
  };
}

const framesOf = (sample: Sample | undefined) =>
  Object.fromEntries(
    Object.entries(sample?.frames ?? {}).map(([n, frame]) => [
      n,
      (frame.dets as { detections: Array<Record<string, unknown>> }).detections,
    ]),
  );

describe('Function: mergeAnnotations — video frame fields and tracks (SEMANTICS §6.7)', () => {
  it('merges labels frame by frame using the frame ids of the download', () => {
    const A = oid(1);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 1 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': { detections: { v1: { [F1]: { [A]: detection(A, 'dog', { index: 1 }) } } } },
      },
    });
    expect(framesOf(result.samples[0])['1']?.[0]).toMatchObject({ id: A, label: 'dog', index: 1 });
  });

  it('gives a downloaded track that contains a stored label the stored index', () => {
    const A = oid(1);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 5 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: { [A]: detection(A, 'cat', { index: 0 }) },
              [F2]: { [oid(2)]: detection(oid(2), 'cat', { index: 0 }) },
            },
          },
        },
      },
    });
    const frames = framesOf(result.samples[0]);
    expect(frames['1']?.[0]?.index).toBe(5);
    expect(frames['2']?.[0]?.index).toBe(5);
  });

  it('gives the smaller stored index to a track that merged two stored tracks', () => {
    const A = oid(1);
    const B = oid(2);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 4 })], [detection(B, 'cat', { index: 2 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A], [F2]: [B] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: { [A]: detection(A, 'cat', { index: 9 }) },
              [F2]: { [B]: detection(B, 'cat', { index: 9 }) },
            },
          },
        },
      },
    });
    const frames = framesOf(result.samples[0]);
    expect([frames['1']?.[0]?.index, frames['2']?.[0]?.index]).toEqual([2, 2]);
  });

  it('numbers unseen tracks after the largest stored index', () => {
    const A = oid(1);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 3 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: {
                [A]: detection(A, 'cat', { index: 3 }),
                [oid(8)]: detection(oid(8), 'dog', { index: 0 }),
              },
            },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']?.map((label) => label.index)).toEqual([3, 4]);
  });

  it('strips keyframe flags when the field is not keyframe-only', () => {
    const A = oid(1);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 1 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: {
                [A]: detection(A, 'cat', { index: 1 }),
                [oid(3)]: detection(oid(3), 'x', { index: 2, keyframe: true }),
              },
            },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']?.[1]).not.toHaveProperty('keyframe');
  });

  it('keeps keyframe flags on labels imported into a new field', () => {
    const result = mergeAnnotations({
      dataset: { ...dataset, frameFields: {} },
      samples: [{ id: 'v1', filepath: '/v.mp4', media_type: 'video', frames: { '1': { id: F1 } } }],
      labelSchema: { 'frames.dets': field({ type: 'detections', existingField: false }) },
      idMap: {},
      annotations: {
        'frames.dets': {
          detections: {
            v1: { [F1]: { [oid(3)]: detection(oid(3), 'x', { index: 0, keyframe: true }) } },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']?.[0]?.keyframe).toBe(true);
    expect(result.dataset.frameFields?.dets).toBe('Detections');
  });

  it('creates a frame, with a deterministic id, for a frame number the sample does not have yet', () => {
    const input = {
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: {},
      annotations: {
        'frames.dets': {
          detections: { v1: { '7': { [oid(3)]: detection(oid(3), 'x', { index: 0 }) } } },
        },
      },
    };
    const first = mergeAnnotations(input);
    const again = mergeAnnotations(input);
    expect(first.samples[0]?.frames?.['7']?.id).toMatch(/^[0-9a-f]{24}$/);
    expect(again.samples[0]?.frames?.['7']?.id).toBe(first.samples[0]?.frames?.['7']?.id);
  });

  it('reports labels on an unknown frame id as skipped', () => {
    const result = mergeAnnotations({
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: {},
      annotations: {
        'frames.dets': {
          detections: { v1: { [oid(0xdead)]: { [oid(3)]: detection(oid(3), 'x') } } },
        },
      },
    });
    expect(result.report.skipped).toEqual([
      {
        field: 'frames.dets',
        sampleId: 'v1',
        frameId: oid(0xdead),
        labelId: oid(3),
        reason: 'FRAME_NOT_FOUND',
      },
    ]);
  });

  it('merges a frame sent under both its number and its id as one frame: the label returned last wins', () => {
    const A = oid(1);
    const stored = { ...detection(A, 'cat', { index: 1 }), occluded: false };
    const result = mergeAnnotations({
      dataset,
      samples: [video([stored])],
      labelSchema: { 'frames.dets': field({ type: 'detections', attributes: {} }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              '1': { [A]: detection(A, 'dog', { index: 1 }) },
              [F1]: { [A]: detection(A, 'bird', { index: 1 }) },
            },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']).toEqual([
      expect.objectContaining({ id: A, label: 'bird', index: 1 }),
    ]);
    expect(result.report.fields['frames.dets']).toMatchObject({ edited: 1, added: 0, skipped: 0 });
  });

  it('adds a new label sent under both the frame number and the frame id once, as the label returned last', () => {
    const NEW = oid(9);
    const result = mergeAnnotations({
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              '1': { [NEW]: detection(NEW, 'dog') },
              [F1]: { [NEW]: detection(NEW, 'bird') },
            },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']).toEqual([
      expect.objectContaining({ id: NEW, label: 'bird' }),
    ]);
    expect(result.idMap['frames.dets']?.v1).toEqual({ [F1]: [NEW] });
  });

  it('does not give a new track label the id of a stored label that was never uploaded', () => {
    const A = oid(1);
    const X = oid(2);
    const NEW = oid(9);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 1 })], [detection(X, 'bird', { index: 1 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      // X sits on frame 2 at the index the downloaded track inherits, but was not uploaded.
      idMap: { 'frames.dets': { v1: { [F1]: [A], [F2]: [] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: { [A]: detection(A, 'cat', { index: 0 }) },
              [F2]: { [NEW]: detection(NEW, 'cat', { index: 0 }) },
            },
          },
        },
      },
    });
    const frame2 = framesOf(result.samples[0])['2'] ?? [];
    expect(frame2.map((label) => label.id)).toEqual([X, NEW]);
    expect(frame2[1]).toMatchObject({ label: 'cat', index: 1 });
  });

  it('merges a keyframe edit on a field the run created: new fields are keyframe-only', () => {
    const A = oid(1);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 0, keyframe: true })])],
      labelSchema: { 'frames.dets': field({ type: 'detections', existingField: false }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: { v1: { [F1]: { [A]: detection(A, 'cat', { index: 0, keyframe: false }) } } },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']?.[0]?.keyframe).toBe(false);
    expect(result.report.fields['frames.dets']).toMatchObject({ edited: 1 });
  });

  it('keeps the tracks of a label pasted onto two frames when the same download is merged again', () => {
    const PASTED = oid(5);
    const input = {
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [], [F2]: [] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: { [PASTED]: detection(PASTED, 'cat', { index: 0 }) },
              [F2]: { [PASTED]: detection(PASTED, 'cat', { index: 0 }) },
            },
          },
        },
      },
    };
    const { first, again } = mergeTwice(input);

    expect(again.samples).toEqual(first.samples);
    expect(again.report.changes).toEqual([]);
  });

  it('gives a label pasted onto a frame of a video on another page the id the whole download gives it', () => {
    const A = oid(1);
    const other: Sample = { ...video([detection(A, 'cat', { index: 1 })]), id: 'v0' };
    const copy = { [F1]: { [A]: detection(A, 'cat', { index: 1 }) } };
    const whole = mergeAnnotations({
      dataset,
      samples: [other, video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v0: { [F1]: [A] }, v1: { [F1]: [] } } },
      annotations: { 'frames.dets': { detections: { v0: copy, v1: copy } } },
    });

    const page = mergeAnnotations({
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [] } } },
      annotations: { 'frames.dets': { detections: { v1: copy } } },
      duplicateIds: { 'frames.dets': { detections: [A] } },
    });

    expect(page.samples[0]).toEqual(whole.samples[1]);
    expect(framesOf(page.samples[0])['1']?.[0]?.id).not.toBe(A);
  });

  it('numbers the first new track 1 when the sample stores no index, as FiftyOne does', () => {
    const N = oid(0x77);
    const result = mergeAnnotations({
      dataset: { mediaType: 'video', sampleFields: {}, frameFields: {} },
      samples: [
        { id: 'v1', filepath: '/d/v1.mp4', media_type: 'video', frames: { '1': { id: F1 } } },
      ],
      labelSchema: {
        'frames.dets': field({ type: 'detections', existingField: false, classes: ['cat'] }),
      },
      idMap: {},
      annotations: {
        'frames.dets': { detections: { v1: { [F1]: { [N]: detection(N, 'cat', { index: 7 }) } } } },
      },
    });

    // FiftyOne's _update_tracks: `max(indexes) if indexes else 0`, then + 1.
    expect(framesOf(result.samples[0])['1']?.[0]?.index).toBe(1);
  });

  it('adds two shapes of one track in one frame as two labels, and a replay changes nothing', () => {
    const X = oid(7);
    const Y = oid(8);
    const input = {
      dataset,
      samples: [video([])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: {
                [X]: detection(X, 'cat', { index: 1 }),
                [Y]: detection(Y, 'dog', { index: 1 }),
              },
            },
          },
        },
      },
    };
    const { first, again } = mergeTwice(input);
    expect(framesOf(first.samples[0])['1']?.map((label) => label.id)).toEqual([X, Y]);
    expect(again.report.changes).toEqual([]);
    expect(again.samples[0]).toBe(first.samples[0]);
  });

  it('edits each of two recorded labels at one frame and index in place: a label keeps its own id there', () => {
    const A = oid(1);
    const B = oid(2);
    const result = mergeAnnotations({
      dataset,
      samples: [video([detection(A, 'cat', { index: 1 }), detection(B, 'dog', { index: 1 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A, B] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: {
                [A]: detection(A, 'lion', { index: 1 }),
                [B]: detection(B, 'wolf', { index: 1 }),
              },
            },
          },
        },
      },
    });
    expect(framesOf(result.samples[0])['1']?.map(({ id, label }) => [id, label])).toEqual([
      [A, 'lion'],
      [B, 'wolf'],
    ]);
  });

  it("gives a recorded label's id at its frame and index to one downloaded label only", () => {
    const A = oid(1);
    const C = oid(3);
    const X = oid(7);
    const Y = oid(8);
    const result = mergeAnnotations({
      dataset,
      // Track 1 holds A on frame 2 and C on frame 1; the download's track 0 contains A.
      samples: [video([detection(C, 'cat', { index: 1 })], [detection(A, 'cat', { index: 1 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [C], [F2]: [A] } } },
      annotations: {
        'frames.dets': {
          detections: {
            v1: {
              [F1]: {
                [X]: detection(X, 'lion', { index: 0 }),
                [Y]: detection(Y, 'wolf', { index: 0 }),
              },
              [F2]: { [A]: detection(A, 'cat', { index: 0 }) },
            },
          },
        },
      },
    });
    expect(
      framesOf(result.samples[0])['1']?.map(({ id, label, index }) => [id, label, index]),
    ).toEqual([
      [C, 'lion', 1],
      [Y, 'wolf', 1],
    ]);
  });

  it('does not number a track by a label returned on another frame than the one it is stored on', () => {
    const A = oid(1);
    const input = {
      dataset,
      samples: [video([detection(A, 'cat', { index: 5 })])],
      labelSchema: { 'frames.dets': field({ type: 'detections' }) },
      idMap: { 'frames.dets': { v1: { [F1]: [A] } } },
      annotations: {
        'frames.dets': { detections: { v1: { [F2]: { [A]: detection(A, 'cat', { index: 0 }) } } } },
      },
    };
    const { first, again } = mergeTwice(input);
    const frames = framesOf(first.samples[0]);
    // A left frame 1 (deleted there) and is new on frame 2, in a track of its own.
    expect(frames['1']).toEqual([]);
    expect(frames['2']).toMatchObject([{ id: A, index: 6 }]);
    expect(again.report.changes).toEqual([]);
  });
});
