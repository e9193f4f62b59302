import { describe, expect, it } from 'vitest';
import { headerValue, timingSafeEqualText } from '../../../lib/backends/webhook.js';

describe('Function: timingSafeEqualText', () => {
  it.each([
    ['s3cret', 's3cret', true],
    ['s3cret', 's3creT', false],
    ['s3cret', 's3cret-longer', false],
    ['', '', true],
  ])('compares %j and %j as %s', (a, b, equal) => {
    expect(timingSafeEqualText(a, b)).toBe(equal);
  });
});

describe('Function: headerValue', () => {
  it('finds a header whatever the case of its name', () => {
    expect(headerValue({ headers: { 'X-Signature': 'abc' }, rawBody: '' }, 'x-signature')).toBe(
      'abc',
    );
  });

  it('returns undefined for a missing header', () => {
    expect(headerValue({ headers: {}, rawBody: '' }, 'x-signature')).toBeUndefined();
  });
});
