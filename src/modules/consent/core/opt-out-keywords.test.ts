import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildKeywordMatcher,
  classifyConsentKeyword,
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  normaliseKeywordText,
  type ConsentKeywordAction,
} from './opt-out-keywords.js';

const entries = (lists: Record<string, readonly string[]>, action: ConsentKeywordAction) =>
  Object.entries(lists).flatMap(([language, words]) => words.map((word) => ({ word, language, action })));
const ALL = [...entries(DEFAULT_OPT_OUT_KEYWORDS, 'opt_out'), ...entries(DEFAULT_OPT_IN_KEYWORDS, 'opt_in')];

/** What people put around a word: punctuation, spaces, emoji (with ZWJ, skin tones, selectors). */
const SURROUNDINGS = [' ', '  ', '\n', '\t', '.', '!', '!!!', '?', '¡', '¿', '"', '«', '»', '“', '”', '*', '(', ')', '…', '🛑', '✋🏽', '🙏', '❤️', '👨‍👩‍👧', '1️⃣'.slice(1), '、', '。', '！', '؟', '—'];
const surrounding = fc.array(fc.constantFrom(...SURROUNDINGS), { maxLength: 4 }).map((parts) => parts.join(''));
const COMBINING = ['\u0301', '\u0300', '\u0302', '\u0308', '\u0303', '\u0327', '\u030c'];

/** Any casing per letter, and accents added to some Latin letters. */
function variant(word: string, casing: boolean[], accents: (string | null)[]): string {
  return [...word]
    .map((ch, i) => {
      const cased = casing[i % casing.length] ? ch.toUpperCase() : ch.toLowerCase();
      const accent = accents[i % accents.length];
      return /[a-z]/i.test(ch) && accent ? cased + accent : cased;
    })
    .join('');
}

/** Ordinary words that are never keywords on their own, in several languages. */
const FILLER = ['please', "don't", 'I', 'want', 'to', 'the', 'order', 'why', 'did', 'you', 'não', 'por', 'favor', 'bitte', 'пожалуйста', 'من', 'कृपया', 'ok', 'now', 'my', 'never', 'again'];
const filler = fc.array(fc.constantFrom(...FILLER), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));

describe('classifyConsentKeyword', () => {
  it('knows opt-out and opt-in keywords in at least 12 languages', () => {
    expect(Object.keys(DEFAULT_OPT_OUT_KEYWORDS).length).toBeGreaterThanOrEqual(12);
    expect(Object.keys(DEFAULT_OPT_IN_KEYWORDS).length).toBeGreaterThanOrEqual(12);
  });

  it('matches the usual forms people write', () => {
    const cases: [string, ConsentKeywordAction, string][] = [
      ['STOP', 'opt_out', 'en'],
      ['Stop.', 'opt_out', 'en'],
      ['  unsubscribe!! ', 'opt_out', 'en'],
      ['Stop promotions', 'opt_out', 'en'],
      ['¡BAJA!', 'opt_out', 'es'],
      ['dar de baja', 'opt_out', 'es'],
      ['Parar promoções', 'opt_out', 'pt'],
      ['arret', 'opt_out', 'fr'],
      ['Arrêt', 'opt_out', 'fr'],
      ['désabonner', 'opt_out', 'fr'],
      ['Stopp', 'opt_out', 'de'],
      ['«Стоп»', 'opt_out', 'ru'],
      ['отписаться', 'opt_out', 'ru'],
      ['ايقاف', 'opt_out', 'ar'],
      ['إِيقَاف', 'opt_out', 'ar'],
      ['रोकें', 'opt_out', 'hi'],
      ['berhenti', 'opt_out', 'id'],
      ['İPTAL', 'opt_out', 'tr'],
      ['iptal', 'opt_out', 'tr'],
      ['wypisz', 'opt_out', 'pl'],
      ['配信停止', 'opt_out', 'ja'],
      ['ＳＴＯＰ', 'opt_out', 'en'],
      ['退订', 'opt_out', 'zh'],
      ['stop 🛑', 'opt_out', 'en'],
      ['START', 'opt_in', 'en'],
      ['unstop', 'opt_in', 'en'],
      ['Alta', 'opt_in', 'es'],
      ['başla', 'opt_in', 'tr'],
      ['Старт', 'opt_in', 'ru'],
    ];
    for (const [text, action, language] of cases) expect(classifyConsentKeyword(text), text).toMatchObject({ action, language });
  });

  it('never reads a sentence as an opt-out', () => {
    for (const text of ["please don't stop", 'stop sending me the promo', 'I want to cancel my order', 'can you stop?', 'Não pare', 'bitte nicht abmelden', 'yes', 'no', 'ok', '', '   ', '🛑', null, undefined]) {
      expect(classifyConsentKeyword(text), String(text)).toBeNull();
    }
  });

  it('no normalised keyword is both an opt-out and an opt-in', () => {
    const out = new Set(entries(DEFAULT_OPT_OUT_KEYWORDS, 'opt_out').map((e) => normaliseKeywordText(e.word)));
    const inn = entries(DEFAULT_OPT_IN_KEYWORDS, 'opt_in').map((e) => normaliseKeywordText(e.word));
    expect(inn.filter((w) => out.has(w))).toEqual([]);
  });

  it('property: any casing, accent or surrounding punctuation/emoji of a keyword still matches it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ALL),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.array(fc.option(fc.constantFrom(...COMBINING), { freq: 3 }), { minLength: 1, maxLength: 8 }),
        surrounding,
        surrounding,
        ({ word, action }, casing, accents, before, after) => {
          const text = `${before}${variant(word, casing, accents)}${after}`;
          expect(classifyConsentKeyword(text)?.action).toBe(action);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: a keyword inside a longer sentence never matches', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), filler, fc.constantFrom('before', 'after', 'both'), filler, ({ word }, left, where, right) => {
        const text = where === 'before' ? `${left} ${word}` : where === 'after' ? `${word} ${right}` : `${left} ${word} ${right}`;
        expect(classifyConsentKeyword(text)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('property: normalising twice changes nothing, and classifying never throws', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const once = normaliseKeywordText(text);
        expect(normaliseKeywordText(once)).toBe(once);
        const result = classifyConsentKeyword(text);
        expect(result === null || result.action === 'opt_out' || result.action === 'opt_in').toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('takes extra keywords, and drops defaults a business does not want', () => {
    const matcher = buildKeywordMatcher({ optOut: { custom: ['NO MORE PROMOS'] }, optIn: { custom: ['PROMOS PLEASE'] }, remove: ['cancel', 'CANCELAR'] });
    expect(matcher('no more promos!')).toMatchObject({ action: 'opt_out', language: 'custom' });
    expect(matcher('Promos, please')).toBeNull(); // the inner comma is part of the message
    expect(matcher('promos please')).toMatchObject({ action: 'opt_in', language: 'custom' });
    expect(matcher('cancel')).toBeNull();
    expect(matcher('cancelar')).toBeNull();
    expect(matcher('STOP')).toMatchObject({ action: 'opt_out' });
    expect(classifyConsentKeyword('cancel')).toMatchObject({ action: 'opt_out' });
  });

  it('lets an opt-out win when a configured word is in both lists', () => {
    const matcher = buildKeywordMatcher({ optIn: { custom: ['STOP'] }, optOut: { custom: ['RESUME'] } });
    expect(matcher('stop')?.action).toBe('opt_out');
    expect(matcher('resume')?.action).toBe('opt_out');
  });
});
