import { describe, expect, it } from 'vitest';
import { importBatches } from '../../../lib/client/index.js';
import { cocoToSamples } from '../../../lib/ingest/coco.js';

const coco = {
  info: { year: 2024 },
  images: [1, 2, 3, 4, 5].map((id) => ({ id, file_name: `${id}.jpg`, width: 10, height: 10 })),
  annotations: Array.from({ length: 12 }, (_, n) => ({
    id: n + 1,
    image_id: (n % 5) + 1,
    category_id: 1,
    bbox: [1, 1, 2, 2],
  })),
  categories: [{ id: 1, name: 'car' }],
};

const samplesOf = (document: unknown) =>
  cocoToSamples(document, { dataset: 'ds', labelField: 'gt', filepathOf: (name) => name });

describe('Function: importBatches', () => {
  it('splits a FiftyOne export into lists of its samples', () => {
    const samples = Array.from({ length: 5 }, (_, n) => ({ filepath: `${n}.png` }));
    const batches = importBatches({ format: 'fiftyone', document: { samples } }, { maxItems: 2 });
    expect(batches.map((batch) => batch.size)).toEqual([2, 2, 1]);
    expect(batches.flatMap((batch) => batch.request.document as unknown[])).toEqual(samples);
  });

  it('keeps every batch under the byte budget, an oversize item alone', () => {
    const samples = [{ a: 'x'.repeat(50) }, { a: 'x'.repeat(500) }, { a: 'y' }, { a: 'z' }];
    const batches = importBatches({ format: 'fiftyone', document: samples }, { maxBytes: 100 });
    expect(batches.map((batch) => batch.size)).toEqual([1, 1, 2]);
  });

  it('splits COCO by image, each with its own annotations and every category: the same samples', () => {
    const batches = importBatches(
      { format: 'coco', document: coco, labelField: 'gt' },
      { maxItems: 2 },
    );
    expect(batches.map((batch) => batch.size)).toEqual([2, 2, 1]);
    for (const batch of batches) {
      expect(batch.request).toMatchObject({ format: 'coco', labelField: 'gt' });
      expect(batch.request.document).toMatchObject({
        info: coco.info,
        categories: coco.categories,
      });
    }
    expect(batches.flatMap((batch) => samplesOf(batch.request.document))).toEqual(samplesOf(coco));
  });

  it('sends annotations of unknown images with the first batch, so the API still refuses them', () => {
    const orphan = { id: 99, image_id: 42, category_id: 1, bbox: [0, 0, 1, 1] };
    const batches = importBatches(
      { format: 'coco', document: { ...coco, annotations: [...coco.annotations, orphan] } },
      { maxItems: 2 },
    );
    expect(() => samplesOf(batches[0]?.request.document)).toThrow(/unknown image 42/);
  });

  it('passes a document of neither shape through whole', () => {
    expect(importBatches({ format: 'coco', document: { images: 'no' } })).toEqual([
      { request: { format: 'coco', document: { images: 'no' } }, size: 0 },
    ]);
    expect(importBatches({ format: 'fiftyone', document: 42 })).toHaveLength(1);
  });
});
