import { SourceMap } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMappings,
  encodeMappings,
  isOwnSource,
  keepSources,
  type Segment,
  type SourceMapV3,
} from '../../cdk/source-maps.js';

/** Lines of ascending-column segments over `sources` sources and `names` names. */
const mappingLines = (sources: number, names: number) =>
  fc.array(
    fc
      .array(
        fc.oneof(
          fc.tuple(step),
          fc.tuple(step, fc.nat(sources - 1), fc.nat(2000), fc.nat(300)),
          fc.tuple(step, fc.nat(sources - 1), fc.nat(2000), fc.nat(300), fc.nat(names - 1)),
        ),
        { maxLength: 12 },
      )
      .map((segments) => {
        // Generated columns ascend within a line, as in any map a bundler writes.
        let column = -1;
        return segments.map(([by, ...rest]) => {
          column += by;
          return [column, ...rest] as Segment;
        });
      }),
    { minLength: 1, maxLength: 8 },
  );

const step = fc.integer({ min: 1, max: 500 });

const map = (mappings: string): SourceMapV3 => ({
  version: 3,
  sources: [
    '../../lib/merge/merge-slot.ts',
    '../../node_modules/zod/v4/core/core.js',
    '../../lib/x.ts',
  ],
  names: ['mergeSlot', 'parse', 'x'],
  mappings,
});

describe('Source maps: mappings', () => {
  it('encodes what it decodes, segment for segment', () => {
    fc.assert(
      fc.property(mappingLines(3, 3), (lines) => {
        expect(decodeMappings(encodeMappings(lines))).toEqual(lines);
      }),
    );
  });

  it('decodes a mapping worked out by hand', () => {
    // S = 18 = +9 (sign in the low bit), C = +1, E = +2. Line 1: column 0 → source 0 line 0
    // column 0; then +9 columns → column 9, name 0. Line 2 empty. Line 3: column 2 → line 1
    // (0 + 1), column 9 (carried over from line 1, + 0).
    expect(decodeMappings('AAAA,SAASA;;EACA')).toEqual([
      [
        [0, 0, 0, 0],
        [9, 0, 0, 9, 0],
      ],
      [],
      [[2, 0, 1, 9]],
    ]);
  });

  it.each([
    ['a character outside base64', 'AA!A'],
    ['a value cut short', 'g'],
    ['a segment of two fields', 'AA'],
  ])('refuses %s, naming the segment', (_name, mappings) => {
    expect(() => decodeMappings(mappings)).toThrow(/source map segment/);
  });
});

describe('Source maps: keepSources', () => {
  it('keeps every position of our own code where it was, and maps none of the dependency’s', () => {
    fc.assert(
      fc.property(mappingLines(3, 3), (lines) => {
        // Node misreads a segment that ends the string (see keepSources): end with a line.
        const full = map(`${encodeMappings(lines)};`);
        const trimmed = keepSources(full, isOwnSource);
        const before = new SourceMap(full as never);
        const after = new SourceMap(trimmed as never);
        lines.forEach((segments, line) => {
          for (const [column] of segments as Array<[number]>) {
            const was = before.findEntry(line, column) as { originalSource?: string };
            const now = after.findEntry(line, column);
            if (was.originalSource !== undefined && isOwnSource(was.originalSource)) {
              expect(now).toEqual(was);
            } else {
              expect((now as { originalSource?: string }).originalSource).toBeUndefined();
            }
          }
        });
      }),
    );
  });

  it('ends with a separator after its last segment, so Node reads that segment right', () => {
    const trimmed = keepSources(
      map(
        encodeMappings([
          [
            [0, 0, 0, 0],
            [4, 1, 0, 0],
          ],
        ]),
      ),
      isOwnSource,
    );
    expect(trimmed.mappings).toBe('AAAA,I;');
    const entry = new SourceMap(trimmed as never).findEntry(0, 5) as { originalSource?: string };
    expect(entry.originalSource).toBeUndefined();
  });

  it('lists only the sources and names still used', () => {
    const trimmed = keepSources(
      map(
        encodeMappings([
          [
            [0, 1, 0, 0, 1],
            [10, 2, 4, 2, 2],
          ],
        ]),
      ),
      isOwnSource,
    );
    expect(trimmed.sources).toEqual(['../../lib/x.ts']);
    expect(trimmed.names).toEqual(['x']);
    // The empty line last: see the test above.
    expect(decodeMappings(trimmed.mappings)).toEqual([[[0], [10, 0, 4, 2, 0]], []]);
  });

  it.each([
    ['../../node_modules/zod/index.js', false],
    ['node_modules/@smithy/core/dist-es/a.js', false],
    ['..\\..\\node_modules\\zod\\index.js', false],
    ['../../lib/store/samples.ts', true],
    ['../../lib/not_node_modules/a.ts', true],
  ])('counts %s as our own: %s', (source, own) => {
    expect(isOwnSource(source)).toBe(own);
  });
});
