import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseLanguage, languageOf, normaliseLocale, type VariantCandidate } from './localisation.js';

const approved = (...languages: string[]): VariantCandidate[] => languages.map((language) => ({ language, status: 'APPROVED', sendable: true }));
const choose = (candidates: VariantCandidate[], contactLocale: string | null, requested?: string) => chooseLanguage(candidates, { contactLocale, defaultLocale: 'en_US', requested });

const locale = fc.constantFrom('es_MX', 'es_AR', 'es', 'en_US', 'en_GB', 'en', 'pt_BR', 'pt_PT', 'pt', 'fr', 'de_DE', 'zh_CN');
const candidate = fc.record({ language: locale, status: fc.constantFrom('APPROVED', 'PAUSED', 'PENDING'), sendable: fc.boolean() }).map((c) => ({ ...c, sendable: c.status === 'APPROVED' }));
const candidates = fc.uniqueArray(candidate, { selector: (c) => c.language, maxLength: 8 });

describe('choosing the language variant', () => {
  it("takes the contact's locale when the template has it", () => {
    expect(choose(approved('en_US', 'es_MX', 'es'), 'es_MX')).toEqual({ ok: true, value: { language: 'es_MX', rule: 'contact_locale', explanation: "the contact's locale is es_MX", sendable: true } });
  });

  it("falls back from es_MX to es, then to any es_*, then to the business default", () => {
    expect(choose(approved('en_US', 'es'), 'es_MX')).toMatchObject({ ok: true, value: { language: 'es', rule: 'contact_language', explanation: "no es_MX variant; es is the contact's language" } });
    expect(choose(approved('en_US', 'es_ES', 'es_AR'), 'es_MX')).toMatchObject({ ok: true, value: { language: 'es_AR', rule: 'contact_language_other_region' } });
    expect(choose(approved('en_US', 'pt_BR'), 'es_MX')).toMatchObject({ ok: true, value: { language: 'en_US', rule: 'business_default', explanation: "no variant in the contact's language (es_MX); en_US is the business default" } });
    expect(choose(approved('en', 'pt_BR'), null)).toMatchObject({ ok: true, value: { language: 'en', rule: 'business_default_language', explanation: expect.stringContaining('the contact has no locale') } });
    expect(choose(approved('en_GB'), 'fr')).toMatchObject({ ok: true, value: { language: 'en_GB', rule: 'business_default_language_other_region' } });
  });

  it('fails with what it tried when nothing fits', () => {
    expect(choose(approved('pt_BR', 'fr'), 'es_MX')).toEqual({ ok: false, error: { tried: ['es_MX', 'es', 'es_*', 'en_US', 'en', 'en_*'], available: ['fr', 'pt_BR'] } });
  });

  it('gives exactly the language asked for, or nothing', () => {
    expect(choose(approved('es', 'pt_BR'), 'es_MX', 'pt_BR')).toMatchObject({ ok: true, value: { language: 'pt_BR', rule: 'requested' } });
    expect(choose(approved('es', 'pt'), 'es_MX', 'pt_BR')).toEqual({ ok: false, error: { tried: ['pt_BR'], available: ['es', 'pt'] } });
  });

  it('prefers an approved variant further down the chain, and says what it passed over', () => {
    const result = choose([{ language: 'es_MX', status: 'PAUSED', sendable: false }, ...approved('es')], 'es_MX');
    expect(result).toMatchObject({ ok: true, value: { language: 'es', rule: 'contact_language', sendable: true, explanation: "no approved es_MX variant; es is the contact's language (passed over: es_MX is PAUSED)" } });
    // With nothing sendable on the chain, the closest variant is chosen so its status can be reported.
    expect(choose([{ language: 'es_MX', status: 'PAUSED', sendable: false }], 'es_MX')).toMatchObject({ ok: true, value: { language: 'es_MX', sendable: false } });
  });

  it('reads locales in any common form', () => {
    expect(normaliseLocale('es-mx')).toBe('es_MX');
    expect(normaliseLocale('PT_br')).toBe('pt_BR');
    expect(normaliseLocale('EN')).toBe('en');
    expect(normaliseLocale('not a locale')).toBeNull();
    fc.assert(
      fc.property(locale, (l) => {
        expect(normaliseLocale(l)).toBe(l);
        expect(normaliseLocale(l.replace('_', '-').toLowerCase())).toBe(l);
      }),
    );
  });

  it('always chooses an existing variant, sendable ones first, the exact locale when it is sendable', () => {
    fc.assert(
      fc.property(candidates, fc.option(locale, { nil: null }), (list, contact) => {
        const result = chooseLanguage(list, { contactLocale: contact, defaultLocale: 'en_US' });
        const languages = [contact && languageOf(contact), 'en'].filter((l): l is string => l !== null);
        const reachable = list.filter((c) => languages.includes(languageOf(c.language)));
        if (!result.ok) {
          expect(reachable).toEqual([]);
          return;
        }
        const chosen = list.find((c) => c.language === result.value.language);
        expect(chosen).toBeDefined();
        expect(result.value.sendable).toBe(chosen!.sendable);
        if (reachable.some((c) => c.sendable)) expect(chosen!.sendable).toBe(true);
        if (contact && list.some((c) => c.language === contact && c.sendable)) expect(result.value).toMatchObject({ language: contact, rule: 'contact_locale' });
        // The contact's language wins over the business default whenever a sendable variant has it.
        if (contact && list.some((c) => c.sendable && languageOf(c.language) === languageOf(contact))) expect(languageOf(result.value.language)).toBe(languageOf(contact));
      }),
    );
  });

  it('does not depend on the order the variants are listed in', () => {
    fc.assert(
      fc.property(candidates, fc.option(locale, { nil: null }), fc.integer(), (list, contact, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.language.charCodeAt(0) * seed) % 7) - ((b.language.charCodeAt(0) * seed) % 7));
        expect(chooseLanguage(shuffled, { contactLocale: contact, defaultLocale: 'en_US' })).toEqual(chooseLanguage(list, { contactLocale: contact, defaultLocale: 'en_US' }));
      }),
    );
  });
});
