import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildLabelSchema, FILES_CAPABILITIES } from '../../../lib/index.js';
import type { Sample } from '../../../lib/labels/index.js';
import type { AnnotateOptions, DatasetSchema } from '../../../lib/schema/types.js';
import { SchemaSampleDigest } from '../../../lib/workflows/schema-sample-digest.js';
import { detection, detections, imageSample, oid } from '../../support/builders.js';

const dataset: DatasetSchema = {
  mediaType: 'image',
  sampleFields: { ground_truth: 'Detections', scene: 'Classification' },
};

const OPTIONS: AnnotateOptions[] = [
  { labelField: 'ground_truth' },
  { labelField: 'ground_truth', attributes: true },
  { labelSchema: { ground_truth: { attributes: true }, scene: {} } },
  { labelField: 'ground_truth', classes: [{ classes: ['car'], attributes: true }, 'person'] },
];

const labelArb = fc.record({
  label: fc.constantFrom('car', 'person', 'truck', undefined),
  occluded: fc.option(fc.boolean(), { nil: undefined }),
  color: fc.option(fc.constantFrom('red', 'blue'), { nil: undefined }),
  mask: fc.option(fc.constant([[1]]), { nil: undefined }),
});

const samplesArb = fc.array(
  fc.record({
    boxes: fc.array(labelArb, { maxLength: 4 }),
    scene: fc.option(fc.constantFrom('day', 'night'), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 25 },
);

type Drawn = typeof samplesArb extends fc.Arbitrary<infer T> ? T : never;

function toSamples(drawn: Drawn): Sample[] {
  let next = 1;
  return drawn.map((each, index) =>
    imageSample(`s${index}`, {
      ground_truth: detections(
        ...each.boxes.map(({ label, ...rest }) => {
          const extra = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
          const made = detection(oid(next++), label ?? 'x', extra);
          if (label === undefined) delete made.label;
          return made;
        }),
      ),
      ...(each.scene
        ? { scene: { _cls: 'Classification', id: oid(next++), label: each.scene } }
        : {}),
    }),
  );
}

function build(options: AnnotateOptions, samples: Iterable<Sample>) {
  try {
    return buildLabelSchema(options, { dataset, samples, backend: FILES_CAPABILITIES });
  } catch (error) {
    return { error: (error as { code?: string }).code };
  }
}

describe('SchemaSampleDigest', () => {
  it('teaches buildLabelSchema exactly what the whole selection does', () => {
    fc.assert(
      fc.property(samplesArb, fc.constantFrom(...OPTIONS), (drawn, options) => {
        const samples = toSamples(drawn);
        const digest = new SchemaSampleDigest();
        for (const sample of samples) digest.add(sample);

        expect(build(options, digest.samples)).toEqual(build(options, samples));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps memory to the distinct labels, not the samples', () => {
    const digest = new SchemaSampleDigest();
    for (let index = 0; index < 1000; index += 1) {
      digest.add(
        imageSample(`s${index}`, {
          ground_truth: detections(detection(oid(index), 'car', { occluded: index % 2 === 0 })),
        }),
      );
    }

    expect(digest.samples).toHaveLength(1);
  });

  it('keeps one sample of an empty selection’s worth: the first, even without labels', () => {
    const digest = new SchemaSampleDigest();
    digest.add(imageSample('s1'));
    digest.add(imageSample('s2'));

    expect(digest.samples.map((sample) => sample.id)).toEqual(['s1']);
  });
});
