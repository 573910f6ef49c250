import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { containsKeyword, normaliseText } from './text-match.js';

describe('keyword matching', () => {
  it('matches whole words and phrases, ignoring case, accents and spacing', () => {
    expect(containsKeyword('Qual é o PRECO?', 'preço')).toBe(true);
    expect(containsKeyword('I want a   quote now', 'a quote')).toBe(true);
    expect(containsKeyword('revisit later', 'visit')).toBe(false);
    expect(containsKeyword('visit!', 'visit')).toBe(true);
    expect(containsKeyword('Ünïcödé', 'unicode')).toBe(true);
    expect(containsKeyword('price', '  ')).toBe(false);
  });

  it('finds any word inside any sentence, whatever its casing and accents (property)', () => {
    const word = fc.stringMatching(/^[a-z]{2,10}$/);
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 4 }), fc.array(word, { maxLength: 4 }), fc.boolean(), (w, before, after, upper) => {
        const accented = w.replace(/a/g, 'á').replace(/e/g, 'ê');
        const sentence = [...before, upper ? accented.toUpperCase() : accented, ...after].join(' ') + '!';
        expect(containsKeyword(sentence, w)).toBe(true);
        expect(normaliseText(sentence)).toContain(w);
      }),
    );
  });
});
