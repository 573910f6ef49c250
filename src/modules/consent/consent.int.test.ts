import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiWith } from '../../../test/support/api-with.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { ManualClock } from '../../platform/clock.js';
import { uuidGenerator } from '../../platform/ids.js';
import { createContact, type Contact } from '../contacts/index.js';
import {
  applyConsentKeyword,
  buildKeywordMatcher,
  consentDecision,
  consentRoutes,
  getConsent,
  isOptedOut,
  keywordTextOf,
  recordConsentChange,
  recordConsentFromApi,
} from './index.js';

const NUMBER_A = '118274650392817';
const NUMBER_B = '209385761029384';
const T0 = Date.UTC(2026, 10, 1);

describe.each(DIALECTS)('consent on %s', (dialect) => {
  let database: TestDatabase;
  let clock: ManualClock;
  let contact: Contact;
  const deps = () => ({ clock, ids: uuidGenerator, defaultRegion: 'US' });

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    for (const table of ['consent_events', 'contacts'] as const) await database.db.deleteFrom(table).execute();
    clock = new ManualClock(T0);
    const created = await createContact(database.db, { name: 'Ana', phone: '+55 11 98765-4321' }, deps());
    if (!created.ok) throw created.error;
    contact = created.value;
  });

  const keyword = (text: string, wamid: string, at: number, number: string | null = NUMBER_A) =>
    database.db.transaction().execute((trx) => applyConsentKeyword(trx, { contact, businessPhoneNumberId: number, text, wamid, timestamp: at }, deps()));

  describe('keywords', () => {
    it('records STOP as an opt-out of every template category on the number written to, with the wamid as evidence', async () => {
      expect(await keyword('Stop!', 'wamid.1', T0 - 5_000)).toEqual({ action: 'opt_out', language: 'en' });
      const { ledger, state } = await getConsent(database.db, contact.id);
      expect(ledger.map((e) => [e.category, e.action, e.source, e.evidence, e.businessPhoneNumberId]).sort()).toEqual([
        ['authentication', 'opt_out', 'inbound_keyword', 'wamid.1', NUMBER_A],
        ['marketing', 'opt_out', 'inbound_keyword', 'wamid.1', NUMBER_A],
        ['utility', 'opt_out', 'inbound_keyword', 'wamid.1', NUMBER_A],
      ]);
      expect(state.marketing.numbers[NUMBER_A]).toMatchObject({ status: 'opted_out', source: 'inbound_keyword', since: new Date(T0 - 5_000).toISOString() });
      expect(state.marketing.overall.status).toBe('unknown');
      expect(state.service.overall.status).toBe('unknown');
      expect(await isOptedOut(database.db, contact.id, NUMBER_A, 'marketing')).toBe(true);
      expect(await isOptedOut(database.db, contact.id, NUMBER_B, 'marketing')).toBe(false);
    });

    it('records nothing twice when the same message is processed again', async () => {
      await keyword('BAJA', 'wamid.1', T0);
      await keyword('BAJA', 'wamid.1', T0);
      expect((await getConsent(database.db, contact.id)).ledger).toHaveLength(3);
    });

    it('looks for keywords in typed text and tapped buttons, not in captions', () => {
      expect(keywordTextOf({ type: 'text', text: 'STOP' })).toBe('STOP');
      expect(keywordTextOf({ type: 'button', text: 'Stop promotions' })).toBe('Stop promotions');
      expect(keywordTextOf({ type: 'interactive', text: 'Unsubscribe' })).toBe('Unsubscribe');
      expect(keywordTextOf({ type: 'image', text: 'stop' })).toBeNull();
    });

    it('ignores a sentence that contains a keyword', async () => {
      expect(await keyword("please don't stop", 'wamid.2', T0)).toBeNull();
      expect((await getConsent(database.db, contact.id)).ledger).toEqual([]);
    });

    it('lets a later START undo a STOP, and keeps the whole history', async () => {
      await keyword('СТОП', 'wamid.1', T0 - 10_000);
      expect(await keyword('start', 'wamid.2', T0 - 5_000)).toEqual({ action: 'opt_in', language: 'en' });
      const { ledger, state } = await getConsent(database.db, contact.id);
      expect(ledger).toHaveLength(6);
      expect(state.marketing.numbers[NUMBER_A]!.status).toBe('opted_in');
    });

    it('applies to every number when the number written to is unknown, and uses configured extra keywords', async () => {
      const matcher = buildKeywordMatcher({ optOut: { custom: ['basta ya'] } });
      await database.db.transaction().execute((trx) =>
        applyConsentKeyword(trx, { contact, businessPhoneNumberId: null, text: 'Basta ya!', wamid: 'wamid.3', timestamp: T0 }, { ...deps(), matcher }),
      );
      const { state } = await getConsent(database.db, contact.id);
      expect(state.marketing.overall).toMatchObject({ status: 'opted_out', source: 'inbound_keyword' });
    });
  });

  describe('recordConsentFromApi', () => {
    it('records a form opt-in with its evidence and answers the new state', async () => {
      const result = await recordConsentFromApi(
        database.db,
        contact.id,
        { category: 'marketing', action: 'opt_in', evidence: { kind: 'form', reference: 'https://example.com/forms/42', capturedAt: new Date(T0 - 60_000).toISOString() } },
        deps(),
      );
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.state.marketing.overall).toMatchObject({ status: 'opted_in', source: 'api' });
      expect(result.value.ledger[0]!.evidence).toEqual({ kind: 'form', reference: 'https://example.com/forms/42', capturedAt: new Date(T0 - 60_000).toISOString() });
    });

    it('does not let an older form, imported late, override a STOP written since', async () => {
      await keyword('STOP', 'wamid.1', T0 - 1_000, null);
      await recordConsentFromApi(
        database.db,
        contact.id,
        { category: 'marketing', action: 'opt_in', source: 'import', evidence: { kind: 'import', capturedAt: new Date(T0 - 86_400_000).toISOString() } },
        deps(),
      );
      expect((await getConsent(database.db, contact.id)).state.marketing.overall.status).toBe('opted_out');
    });

    it('refuses an unknown contact and a capture time in the future', async () => {
      const unknown = await recordConsentFromApi(database.db, 'nope', { category: 'marketing', action: 'opt_in', evidence: { kind: 'form' } }, deps());
      expect(unknown).toMatchObject({ ok: false, error: { code: 'CONTACT_NOT_FOUND' } });
      const future = await recordConsentFromApi(
        database.db,
        contact.id,
        { category: 'marketing', action: 'opt_in', evidence: { kind: 'form', capturedAt: new Date(T0 + 3_600_000).toISOString() } },
        deps(),
      );
      expect(future).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    });
  });

  describe('consentDecision', () => {
    const decide = (category: 'marketing' | 'utility' | 'authentication' | 'service', policy = {}, number = NUMBER_A) =>
      consentDecision(database.db, { contactId: contact.id, businessPhoneNumberId: number, category, policy });

    it('refuses marketing after STOP on that number only, and always allows service', async () => {
      expect(await decide('marketing')).toEqual({ allowed: true });
      await keyword('stop', 'wamid.1', T0);
      expect(await decide('marketing')).toMatchObject({ allowed: false, code: 'CONSENT_REQUIRED' });
      expect(await decide('marketing', {}, NUMBER_B)).toEqual({ allowed: true });
      expect(await decide('service')).toEqual({ allowed: true });
    });

    it('sends utility and authentication after STOP by default, and not under respect-opt-out', async () => {
      await keyword('stop', 'wamid.1', T0);
      expect(await decide('utility')).toEqual({ allowed: true });
      expect(await decide('authentication')).toEqual({ allowed: true });
      expect(await decide('utility', { utility: 'respect-opt-out' })).toMatchObject({ allowed: false });
      expect(await decide('authentication', { authentication: 'respect-opt-out' })).toMatchObject({ allowed: false });
    });

    it('requires an explicit opt-in under require-opt-in', async () => {
      expect(await decide('utility', { utility: 'require-opt-in' })).toMatchObject({ allowed: false });
      await recordConsentFromApi(database.db, contact.id, { category: 'utility', action: 'opt_in', evidence: { kind: 'checkbox' } }, deps());
      expect(await decide('utility', { utility: 'require-opt-in' })).toEqual({ allowed: true });
    });

    it("honours Meta's marketing stop recorded by the existing sources", async () => {
      await recordConsentChange(
        database.db,
        { contactId: contact.id, businessPhoneNumberId: NUMBER_A, category: 'marketing', action: 'opt_out', source: 'user_preferences', evidence: null, occurredAt: T0 },
        deps(),
      );
      expect(await decide('marketing')).toMatchObject({ allowed: false, details: { source: 'user_preferences' } });
    });
  });

  describe('routes', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await apiWith((a) => a.register(consentRoutes, { db: database.db, deps: { clock: { now: () => clock.now() }, ids: uuidGenerator } }));
    });
    afterAll(async () => {
      await app.close();
    });

    it('GET answers the state and ledger, 404 for an unknown contact', async () => {
      await keyword('stop', 'wamid.1', T0);
      const res = await app.inject({ url: `/contacts/${contact.id}/consent` });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ contactId: contact.id, state: { marketing: { numbers: { [NUMBER_A]: { status: 'opted_out' } } } } });
      expect((await app.inject({ url: '/contacts/nope/consent' })).statusCode).toBe(404);
    });

    it('POST records consent and answers 201 with the new state; 400 for a bad body; 404 for an unknown contact', async () => {
      const body = { category: 'marketing', action: 'opt_in', businessPhoneNumberId: NUMBER_B, evidence: { kind: 'checkbox', reference: 'signup page' } };
      const res = await app.inject({ method: 'POST', url: `/contacts/${contact.id}/consent`, payload: body });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ state: { marketing: { numbers: { [NUMBER_B]: { status: 'opted_in', source: 'api' } } } } });
      const bad = await app.inject({ method: 'POST', url: `/contacts/${contact.id}/consent`, payload: { category: 'spam', action: 'opt_in', evidence: {} } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
      const missing = await app.inject({ method: 'POST', url: '/contacts/nope/consent', payload: body });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({ error: { code: 'CONTACT_NOT_FOUND' } });
    });
  });
});
