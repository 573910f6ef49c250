import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consentCategoryOf, consentState, decideConsent, latestWord, optedOutOfMarketingAnywhere, type LedgerEvent } from './consent-state.js';

let seq = 0;
const event = (partial: Partial<LedgerEvent>): LedgerEvent => ({
  id: `e-${String(++seq).padStart(4, '0')}`,
  category: 'marketing',
  businessPhoneNumberId: null,
  action: 'opt_out',
  source: 'test',
  occurredAt: 1_000,
  createdAt: 1_000,
  ...partial,
});

describe('consent state', () => {
  it('lets the latest event decide, per number, with global events applying to every number', () => {
    const events = [
      event({ action: 'opt_in', occurredAt: 1_000 }),
      event({ action: 'opt_out', occurredAt: 2_000, businessPhoneNumberId: 'A' }),
      event({ action: 'opt_in', occurredAt: 3_000, businessPhoneNumberId: 'B' }),
    ];
    const state = consentState(events);
    expect(state.marketing.overall.status).toBe('opted_in');
    expect(state.marketing.numbers['A']!.status).toBe('opted_out');
    expect(state.marketing.numbers['B']!.status).toBe('opted_in');
    expect(state.utility.overall.status).toBe('unknown');
    expect(optedOutOfMarketingAnywhere(state)).toBe(true);
    // A global opt-out after both overrides the per-number words.
    const later = consentState([...events, event({ action: 'opt_out', occurredAt: 4_000 })]);
    expect(later.marketing.numbers['B']!.status).toBe('opted_out');
  });

  it('property: the answer does not depend on the order the ledger rows come in', () => {
    const arbitraryEvent = fc.record({
      category: fc.constantFrom('marketing', 'utility'),
      businessPhoneNumberId: fc.constantFrom(null, 'A', 'B'),
      action: fc.constantFrom<'opt_in' | 'opt_out'>('opt_in', 'opt_out'),
      occurredAt: fc.integer({ min: 0, max: 5 }),
      createdAt: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 12 }), fc.infiniteStream(fc.nat()), (raw, stream) => {
        const events = raw.map((e, i) => ({ ...e, id: `id-${i}`, source: 's' }));
        const shuffled = [...events].sort(() => (stream.next().value % 3) - 1);
        for (const number of [null, 'A', 'B']) expect(latestWord(shuffled, 'marketing', number)).toEqual(latestWord(events, 'marketing', number));
      }),
    );
  });
});

describe('decideConsent', () => {
  const out = { status: 'opted_out' as const, since: 1, source: 'inbound_keyword', eventId: 'x' };
  const inn = { status: 'opted_in' as const, since: 1, source: 'api', eventId: 'y' };
  const unknown = { status: 'unknown' as const, since: null, source: null, eventId: null };

  it('refuses marketing to an opted-out contact, and allows it otherwise by default', () => {
    expect(decideConsent('marketing', out)).toMatchObject({ allowed: false, code: 'CONSENT_REQUIRED' });
    expect(decideConsent('marketing', unknown)).toEqual({ allowed: true });
    expect(decideConsent('marketing', unknown, { marketing: 'require-opt-in' })).toMatchObject({ allowed: false });
    expect(decideConsent('marketing', inn, { marketing: 'require-opt-in' })).toEqual({ allowed: true });
  });

  it('lets utility and authentication follow the policy, ignoring opt-outs by default', () => {
    for (const category of ['utility', 'authentication'] as const) {
      expect(decideConsent(category, out)).toEqual({ allowed: true });
      expect(decideConsent(category, out, { [category]: 'respect-opt-out' })).toMatchObject({ allowed: false });
      expect(decideConsent(category, unknown, { [category]: 'respect-opt-out' })).toEqual({ allowed: true });
      expect(decideConsent(category, unknown, { [category]: 'require-opt-in' })).toMatchObject({ allowed: false });
      expect(decideConsent(category, inn, { [category]: 'require-opt-in' })).toEqual({ allowed: true });
    }
  });

  it('always allows service replies', () => {
    expect(decideConsent('service', out, { marketing: 'require-opt-in', utility: 'require-opt-in' })).toEqual({ allowed: true });
  });

  it('treats a template of unknown category as marketing', () => {
    expect(consentCategoryOf('MARKETING')).toBe('marketing');
    expect(consentCategoryOf('UTILITY')).toBe('utility');
    expect(consentCategoryOf('service')).toBe('service');
    expect(consentCategoryOf('unknown')).toBe('marketing');
    expect(consentCategoryOf(null)).toBe('marketing');
  });
});
