import { err, ok, type Result } from './result.js';

/**
 * Which language variant of a template a contact gets. The chain: the language asked for (exact,
 * nothing else), else the contact's locale (`es_MX`) → its language (`es`) → any variant of that
 * language (`es_AR`) → the business default, walked the same way → none.
 *
 * Variants that can be sent (approved) are preferred along the whole chain: a contact whose
 * `es_MX` variant is paused gets the approved `es` one. Only when no sendable variant is on the
 * chain is the closest unsendable one chosen, so the caller can say why it cannot be sent.
 */

export type LocaleRule =
  | 'requested'
  | 'contact_locale'
  | 'contact_language'
  | 'contact_language_other_region'
  | 'business_default'
  | 'business_default_language'
  | 'business_default_language_other_region';

export type VariantCandidate = { language: string; status: string; sendable: boolean };

export type LocaleWants = {
  /** A language the caller asked for explicitly: only that variant will do. */
  requested?: string | null | undefined;
  contactLocale: string | null;
  defaultLocale: string;
};

export type LocaleChoice = {
  language: string;
  rule: LocaleRule;
  /** For people: why this variant, and which closer ones were passed over. */
  explanation: string;
  sendable: boolean;
};

export type LocaleMiss = { tried: string[]; available: string[] };

/** `es-mx`, `ES_mx` → `es_MX`; `pt` → `pt`; anything that is not a language code → null. */
export function normaliseLocale(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const match = /^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,4}|\d{3}))?$/.exec(value.trim());
  if (!match) return null;
  const language = match[1]!.toLowerCase();
  const region = match[2];
  if (region === undefined) return language;
  // Scripts (`Latn`) are title case in BCP 47; Meta's codes only use upper-case regions.
  return `${language}_${region.toUpperCase()}`;
}

export const languageOf = (locale: string) => locale.split('_')[0]!;

type Step = { rule: LocaleRule; label: string; matches: (language: string) => boolean };

function stepsFor(base: string, kind: 'contact' | 'default'): Step[] {
  const language = languageOf(base);
  const steps: Step[] = [{ rule: kind === 'contact' ? 'contact_locale' : 'business_default', label: base, matches: (l) => l === base }];
  if (language !== base) steps.push({ rule: kind === 'contact' ? 'contact_language' : 'business_default_language', label: language, matches: (l) => l === language });
  steps.push({
    rule: kind === 'contact' ? 'contact_language_other_region' : 'business_default_language_other_region',
    label: `${language}_*`,
    matches: (l) => l.startsWith(`${language}_`),
  });
  return steps;
}

function explain(rule: LocaleRule, language: string, wants: { contact: string | null; fallback: string }, qualifier: string): string {
  const contact = wants.contact;
  switch (rule) {
    case 'requested':
      return `${language} was asked for`;
    case 'contact_locale':
      return `the contact's locale is ${language}`;
    case 'contact_language':
      return `no ${qualifier}${contact} variant; ${language} is the contact's language`;
    case 'contact_language_other_region':
      return `no ${qualifier}${contact} or ${languageOf(contact ?? language)} variant; ${language} is in the contact's language`;
    case 'business_default':
    case 'business_default_language':
    case 'business_default_language_other_region': {
      const why = contact ? `no ${qualifier}variant in the contact's language (${contact})` : 'the contact has no locale';
      const which =
        rule === 'business_default'
          ? `${language} is the business default`
          : rule === 'business_default_language'
            ? `${language} is the language of the business default (${wants.fallback})`
            : `${language} is in the language of the business default (${wants.fallback})`;
      return `${why}; ${which}`;
    }
  }
}

export function chooseLanguage(candidates: readonly VariantCandidate[], wants: LocaleWants): Result<LocaleChoice, LocaleMiss> {
  const sorted = [...candidates].sort((a, b) => (a.language < b.language ? -1 : a.language > b.language ? 1 : 0));
  const available = sorted.map((c) => c.language);
  const requested = wants.requested ? (normaliseLocale(wants.requested) ?? wants.requested) : null;
  const contact = normaliseLocale(wants.contactLocale);
  const fallback = normaliseLocale(wants.defaultLocale) ?? wants.defaultLocale;
  const context = { contact, fallback };

  const steps: Step[] = requested
    ? [{ rule: 'requested', label: requested, matches: (l) => l === requested }]
    : [...(contact ? stepsFor(contact, 'contact') : []), ...stepsFor(fallback, 'default')];

  for (const pass of ['sendable', 'any'] as const) {
    const pool = pass === 'sendable' ? sorted.filter((c) => c.sendable) : sorted;
    for (const [index, step] of steps.entries()) {
      const found = pool.find((c) => step.matches(c.language));
      if (!found) continue;
      let explanation = explain(step.rule, found.language, context, pass === 'sendable' && sorted.length > pool.length ? 'approved ' : '');
      if (pass === 'sendable') {
        // Closer variants that exist but cannot be sent: say so.
        const passedOver = sorted.filter((c) => !c.sendable && steps.slice(0, index + 1).some((s) => s.matches(c.language)) && c.language !== found.language);
        if (passedOver.length > 0) explanation += ` (passed over: ${passedOver.map((c) => `${c.language} is ${c.status}`).join(', ')})`;
      }
      return ok({ language: found.language, rule: step.rule, explanation, sendable: found.sendable });
    }
  }
  return err({ tried: [...new Set(steps.map((s) => s.label))], available });
}
