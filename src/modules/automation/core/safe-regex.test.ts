import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSafeRegex } from './safe-regex.js';

describe('checkSafeRegex', () => {
  it('accepts the regexes people write for messages', () => {
    for (const source of ['^order\\s*#?\\d+$', '\\b(price|cost|quote)\\b', 'https?://\\S+', '^\\p{L}+$', '(\\+|00)?\\d{6,15}', '[a-z]{2,}@[a-z.]+', '(?:hi|hello) there', '^(?<code>[A-Z]{3})-\\d{4}$', 'a{1,3}b*']) {
      expect(checkSafeRegex(source), source).toBeNull();
    }
  });

  it('refuses nested repetition, repeated alternation and backreferences', () => {
    for (const source of ['(a+)+', '(a*)*b', '(\\d+)*$', '((ab)+)+', '(a|aa)+', '(x|y){2,}', '(?:a+){2,10}', '(a)\\1', '(?<n>a)\\k<n>', '((a+))+']) {
      expect(checkSafeRegex(source), source).not.toBeNull();
    }
  });

  it('accepts or refuses every string without throwing (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), (source) => void checkSafeRegex(source)));
    fc.assert(fc.property(fc.stringMatching(/^[()a+*|?{}0-9,\\[\]]{0,30}$/), (source) => void checkSafeRegex(source)));
  });
});
