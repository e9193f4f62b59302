import { describe, expect, it } from 'vitest';
import { parseEnvValue } from '../../../lib/config/index.js';

// Every expectation below was checked against CPython's int()/float() and FiftyOne's
// `_parse_env_value` rules (SEMANTICS §8.4).

describe('Function: parseEnvValue', () => {
  describe('Python int syntax', () => {
    const cases: Array<[raw: string, expected: number]> = [
      ['10', 10],
      ['12345', 12345],
      ['-3', -3],
      ['+5', 5],
      [' 7 ', 7],
      ['\t8\n', 8],
      ['1_000', 1000],
      ['007', 7],
      ['0', 0],
      ['1', 1],
      ['0_0', 0],
      ['\u00a05\u3000', 5],
      ['١٢', 12],
      ['𝟏𝟐', 12],
    ];
    for (const [raw, expected] of cases) {
      it(`parses ${JSON.stringify(raw)} as the integer ${expected}`, () => {
        expect(parseEnvValue(raw)).toEqual(expected);
      });
    }

    it('parses "-0" as 0, since Python ints have no negative zero', () => {
      expect(parseEnvValue('-0')).toEqual(0);
    });
  });

  describe('Python float syntax', () => {
    const cases: Array<[raw: string, expected: number]> = [
      ['1.5', 1.5],
      ['1e3', 1000],
      ['1E+3', 1000],
      ['.5', 0.5],
      ['5.', 5],
      ['5.e3', 5000],
      ['+.5e-3', 0.0005],
      [' -2.25 ', -2.25],
      ['1_0.5_5', 10.55],
      ['1e1_0', 1e10],
      ['١٢.٥', 12.5],
      ['-0.0', -0],
      ['inf', Infinity],
      ['-inf', -Infinity],
      ['+inf', Infinity],
      ['Infinity', Infinity],
      ['iNfInItY', Infinity],
      ['-INFINITY', -Infinity],
      ['1e400', Infinity],
    ];
    for (const [raw, expected] of cases) {
      it(`parses ${JSON.stringify(raw)} as the float ${Object.is(expected, -0) ? '-0' : expected}`, () => {
        expect(parseEnvValue(raw)).toEqual(expected);
      });
    }

    for (const raw of ['nan', 'NaN', '-nan', ' NAN ']) {
      it(`parses ${JSON.stringify(raw)} as NaN`, () => {
        expect(parseEnvValue(raw)).toBeNaN();
      });
    }
  });

  describe('booleans and None', () => {
    const cases: Array<[raw: string, expected: boolean | null]> = [
      ['True', true],
      ['true', true],
      ['False', false],
      ['false', false],
      ['None', null],
      ['', null],
    ];
    for (const [raw, expected] of cases) {
      it(`parses ${JSON.stringify(raw)} as ${String(expected)}`, () => {
        expect(parseEnvValue(raw)).toBe(expected);
      });
    }

    for (const raw of ['TRUE', 'FALSE', 'none', 'NONE', 'yes', ' true']) {
      it(`keeps ${JSON.stringify(raw)} as a string`, () => {
        expect(parseEnvValue(raw)).toBe(raw);
      });
    }
  });

  describe('lists', () => {
    it('splits "a,b" into the list ["a", "b"]', () => {
      expect(parseEnvValue('a,b')).toEqual(['a', 'b']);
    });

    it('parses each item with the same rules', () => {
      expect(parseEnvValue('1,2.5,true,None,x')).toEqual([1, 2.5, true, null, 'x']);
    });

    it('turns empty items into null', () => {
      expect(parseEnvValue('a,,b,')).toEqual(['a', null, 'b', null]);
    });

    it('does not trim items, but the numeric rules strip their own whitespace', () => {
      expect(parseEnvValue(' a , 2 , true')).toEqual([' a ', 2, ' true']);
    });

    it('parses a lone comma as two nulls', () => {
      expect(parseEnvValue(',')).toEqual([null, null]);
    });
  });

  describe('raw strings', () => {
    const cases = [
      '0x10',
      '0o7',
      '1__0',
      '_1',
      '1_',
      '1_.5',
      '1e',
      '1e_1',
      '.',
      '-',
      '- 5',
      '1 2',
      '1\u00a02',
      'ınf',
      'İnf',
      'infinit',
      'http://cvat:8080',
      ' ',
      '\u200b5',
      '\ufeff5',
      '\x1c5',
    ];
    for (const raw of cases) {
      it(`keeps ${JSON.stringify(raw)} as the raw string`, () => {
        expect(parseEnvValue(raw)).toBe(raw);
      });
    }
  });
});
