import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classificationSchema,
  detectionSchema,
  labelIdSchema,
  sampleSchema,
} from '../../../lib/labels/index.js';
import { idMapSchema } from '../../../lib/merge/contract.js';
import {
  isObjectIdString,
  isPlainClassification,
  isPlainClassificationBody,
  isPlainDetection,
  isPlainDetectionBody,
  isPlainIdMap,
  isPlainSample,
} from '../../../lib/merge/fast-guards.js';

// Values of every JSON kind, plus near-misses for the fields the guards look at.
const anything = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  // Numbers zod refuses though they are numbers: the guards must refuse them too.
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -(2 ** 53), 2 ** 53 + 2),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(
    '000000000000000000000001',
    'cat',
    '',
    'image',
    'video',
    'Detection',
    'Classification',
  ),
  fc.array(fc.oneof(fc.double(), fc.string({ maxLength: 2 })), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 2 }),
);
const maybeLabel = fc.record(
  {
    _cls: fc.oneof(fc.constantFrom('Detection', 'Classification'), anything),
    id: fc.oneof(fc.constantFrom('000000000000000000000001', 'abcdefabcdefabcdefabcdef'), anything),
    label: anything,
    bounding_box: fc.oneof(fc.array(fc.double(), { minLength: 4, maxLength: 4 }), anything),
    mask: anything,
    mask_path: anything,
    confidence: anything,
    index: anything,
    tags: fc.oneof(fc.array(fc.string({ maxLength: 2 })), anything),
    attributes: anything,
    logits: anything,
    extra: anything,
  },
  { requiredKeys: [] },
);

/** A guard may say no to a valid value; it must never say yes to an invalid one. */
describe('Property: the fast guards accept only what the zod schemas accept', () => {
  it('isPlainDetection ⇒ detectionSchema', () => {
    fc.assert(
      fc.property(maybeLabel, (value) => {
        if (isPlainDetection(value)) expect(detectionSchema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('isPlainClassification ⇒ classificationSchema', () => {
    fc.assert(
      fc.property(maybeLabel, (value) => {
        if (isPlainClassification(value))
          expect(classificationSchema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['isPlainDetectionBody', isPlainDetectionBody, detectionSchema],
    ['isPlainClassificationBody', isPlainClassificationBody, classificationSchema],
  ] as const)('%s ⇒ its schema once a valid id is set', (_, guard, schema) => {
    fc.assert(
      fc.property(maybeLabel, (value) => {
        if (guard(value))
          expect(schema.safeParse({ ...value, id: '000000000000000000000001' }).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('isObjectIdString ⇔ labelIdSchema', () => {
    const maybeId = fc.oneof(
      fc.constantFrom(
        '000000000000000000000001',
        'abcdefabcdefabcdefabcdef',
        'ABCDEFABCDEFABCDEFABCDEF',
        // Code units past ASCII, where a table read must still say "not hex".
        'abcdefabcdefabcdefabcde\u00e9',
        '\uffff'.repeat(24),
        '０１２３４５６７８９ａｂｃｄｅｆ０１２３４５６７',
      ),
      // 24 UTF-16 code units, mostly hex, some anything (lone surrogates included).
      fc.string({
        unit: fc.oneof(
          { weight: 9, arbitrary: fc.constantFrom(...'0123456789abcdef') },
          {
            weight: 1,
            arbitrary: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
          },
        ),
        minLength: 24,
        maxLength: 24,
      }),
      fc.stringMatching(/^[0-9a-g]{23,25}\n?$/),
      anything,
    );
    fc.assert(
      fc.property(maybeId, (value) => {
        expect(isObjectIdString(value)).toBe(labelIdSchema.safeParse(value).success);
      }),
      { numRuns: 5000 },
    );
  });

  it('isPlainSample ⇒ sampleSchema', () => {
    const maybeSample = fc.record(
      {
        id: anything,
        filepath: anything,
        media_type: anything,
        metadata: anything,
        tags: anything,
        frames: anything,
        gt: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(maybeSample, (value) => {
        if (isPlainSample(value)) expect(sampleSchema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('isPlainIdMap ⇒ idMapSchema', () => {
    const entry = fc.oneof(
      fc.boolean(),
      fc.array(fc.oneof(fc.constant('000000000000000000000001'), fc.string())),
      anything,
    );
    const maybeIdMap = fc.dictionary(
      fc.string({ maxLength: 3 }),
      fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), entry), anything),
    );
    fc.assert(
      fc.property(maybeIdMap, (value) => {
        if (isPlainIdMap(value)) expect(idMapSchema.safeParse(value).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts the common shapes, so the fast path is actually taken', () => {
    expect(
      isPlainDetection({
        _cls: 'Detection',
        id: '000000000000000000000001',
        label: 'cat',
        bounding_box: [0, 0, 1, 1],
      }),
    ).toBe(true);
    expect(
      isPlainClassification({
        _cls: 'Classification',
        id: '000000000000000000000001',
        label: 'cat',
      }),
    ).toBe(true);
    expect(isPlainSample({ id: 's1', filepath: '/a.jpg', gt: {} })).toBe(true);
    expect(isPlainIdMap({ gt: { s1: ['000000000000000000000001'], s2: true } })).toBe(true);
  });
});
