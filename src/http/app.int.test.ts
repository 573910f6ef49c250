import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-databases.js';
import { createSwitchboard, type Switchboard } from '../main.js';
import { signatureFor } from '../modules/inbound/index.js';
import { loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';

const SECRET = 'app-secret-for-tests';
const TOKEN = 'api-token-for-tests-0123456789';
const VERIFY = 'verify-me';
const auth = { authorization: `Bearer ${TOKEN}` };
const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/meta/${name}.json`, import.meta.url));

describe('HTTP surface', () => {
  let database: TestDatabase;
  let switchboard: Switchboard;
  let app: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    const config = loadConfig({
      DATABASE_URL: database.url,
      META_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: VERIFY,
      SWITCHBOARD_API_TOKEN: TOKEN,
      DEFAULT_REGION: 'US',
    });
    switchboard = await createSwitchboard(config, createLogger('silent'), { http: true, worker: true });
    app = switchboard.app!;
  });
  afterAll(async () => {
    await switchboard.close();
    await database.drop();
  });

  /** `signature: null` sends no header at all. */
  const postWebhook = (body: Buffer | string, signature: string | null = signatureFor(body, SECRET)) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      payload: body,
    });

  describe('webhook verification handshake', () => {
    it('answers the challenge as the body when the token matches', async () => {
      const res = await app.inject({ url: `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('1158201444');
    });

    it('answers 403 to a wrong token or mode', async () => {
      for (const query of [`hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`, `hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`, '']) {
        const res = await app.inject({ url: `/webhooks/whatsapp?${query}` });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: { code: 'WEBHOOK_VERIFY_TOKEN_INVALID' } });
      }
    });
  });

  describe('webhook delivery', () => {
    it("accepts Meta's signature over the raw escaped bytes", async () => {
      const vector = JSON.parse(fixture('webhook-signature-vector').toString()) as { raw_body: string; app_secret: string };
      const res = await postWebhook(vector.raw_body, signatureFor(vector.raw_body, SECRET));
      expect(res.statusCode).toBe(200);
    });

    it('answers 401 with a machine-readable code to a missing or wrong signature', async () => {
      for (const signature of [null, 'sha256=00', signatureFor(fixture('inbound-text'), 'other')]) {
        const res = await postWebhook(fixture('inbound-text'), signature);
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID', message: expect.any(String) } });
      }
    });

    it('answers 400 to a signed body that is not JSON or not a WhatsApp envelope', async () => {
      for (const body of ['{"object":', '[]', '{"object":"instagram","entry":[]}']) {
        const res = await postWebhook(body);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ error: { code: 'WEBHOOK_BODY_INVALID' } });
      }
    });

    it('accepts a body of 3 MB', async () => {
      const body = JSON.parse(fixture('inbound-text').toString()) as { entry: { changes: { value: { messages: { text: { body: string } }[] } }[] }[] };
      body.entry[0]!.changes[0]!.value.messages[0]!.text.body = 'x'.repeat(3 * 1024 * 1024 - 1000);
      const raw = JSON.stringify(body);
      expect(raw.length).toBeGreaterThan(3 * 1024 * 1024 - 1000);
      expect((await postWebhook(raw)).statusCode).toBe(200);
    });

    it('answers 413 to a body beyond the limit', async () => {
      const res = await postWebhook(Buffer.alloc(5 * 1024 * 1024, 0x20));
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    });
  });

  describe('REST API', () => {
    it('answers 401 without the bearer token', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
        const res = await app.inject({ url: '/api/v1/contacts?phone=1', headers });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      }
    });

    it('creates a contact from a legacy national format and finds it by any other format', async () => {
      const created = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'Jo', phone: '(415) 555-2671' } });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ name: 'Jo', phone: '+14155552671', waId: null, bsuid: null, id: expect.any(String) });
      for (const phone of ['+1 415-555-2671', '14155552671', '415.555.2671']) {
        const found = await app.inject({ url: `/api/v1/contacts?phone=${encodeURIComponent(phone)}`, headers: auth });
        expect(found.json().data.map((c: { id: string }) => c.id)).toEqual([created.json().id]);
      }
      const one = await app.inject({ url: `/api/v1/contacts/${created.json().id}`, headers: auth });
      expect(one.json()).toEqual({ ...created.json(), serviceWindows: [] });
    });

    it('refuses an unparseable phone with 400 and changes nothing', async () => {
      const before = (await database.db.selectFrom('contacts').selectAll().execute()).length;
      for (const phone of ['call me', '12', '']) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'X', phone } });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.code).toMatch(/^(CONTACT_PHONE_INVALID|VALIDATION_FAILED)$/);
      }
      expect((await database.db.selectFrom('contacts').selectAll().execute()).length).toBe(before);
    });

    it('refuses a second contact with the same number with 409', async () => {
      await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'A', phone: '+44 7400 123456' } });
      const res = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'B', phone: '+447400123456' } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: { code: 'CONTACT_PHONE_TAKEN', details: { contactId: expect.any(String) } } });
    });

    it("changes a contact's locale and custom fields, merging fields and removing those set to null", async () => {
      const created = (await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'Lu', phone: '+1 650 555 0177', locale: 'es_MX', fields: { plan: 'gold', balance: 10 } } })).json();
      expect(created).toMatchObject({ locale: 'es_MX', fields: { plan: 'gold', balance: 10 } });
      const patched = await app.inject({ method: 'PATCH', url: `/api/v1/contacts/${created.id}`, headers: auth, payload: { locale: 'pt_BR', fields: { balance: 25.5, plan: null } } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ name: 'Lu', locale: 'pt_BR', fields: { balance: 25.5 } });
      expect(patched.json().fields).not.toHaveProperty('plan');
      const bad = await app.inject({ method: 'PATCH', url: `/api/v1/contacts/${created.id}`, headers: auth, payload: { locale: 'Spanish' } });
      expect(bad.statusCode).toBe(400);
      expect((await app.inject({ url: `/api/v1/contacts/${created.id}`, headers: auth })).json().locale).toBe('pt_BR');
    });

    it('finds contacts by BSUID and answers 400 to a lookup without a key', async () => {
      expect((await app.inject({ url: '/api/v1/contacts?bsuid=XX.none', headers: auth })).json()).toEqual({ data: [] });
      const res = await app.inject({ url: '/api/v1/contacts', headers: auth });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('CONTACT_QUERY_MISSING');
    });

    it('answers 404 for an unknown contact and its timeline', async () => {
      expect((await app.inject({ url: '/api/v1/contacts/nope', headers: auth })).json().error.code).toBe('CONTACT_NOT_FOUND');
      expect((await app.inject({ url: '/api/v1/contacts/nope/timeline', headers: auth })).statusCode).toBe(404);
    });

    it('pages a timeline newest last, with a cursor to the entries before', async () => {
      const created = await app.inject({ method: 'POST', url: '/api/v1/contacts', headers: auth, payload: { name: 'Pager', phone: '+1 650 555 0100' } });
      const body = (i: number) =>
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [{ id: 'w', changes: [{ field: 'messages', value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15557340192', phone_number_id: '118274650392817' },
            contacts: [{ profile: { name: 'P' }, wa_id: '16505550100' }],
            messages: [{ from: '16505550100', id: `wamid.page-${i}`, timestamp: String(1791000000 + i), type: 'text', text: { body: `m${i}` } }],
          } }] }],
        });
      for (let i = 0; i < 5; i++) expect((await postWebhook(body(i))).statusCode).toBe(200);
      await switchboard.worker!.drain();
      const url = `/api/v1/contacts/${created.json().id}/timeline?limit=2`;
      const first = (await app.inject({ url, headers: auth })).json();
      expect(first.data.map((e: { text: string }) => e.text)).toEqual(['m3', 'm4']);
      const second = (await app.inject({ url: `${url}&cursor=${first.nextCursor}`, headers: auth })).json();
      expect(second.data.map((e: { text: string }) => e.text)).toEqual(['m1', 'm2']);
      const third = (await app.inject({ url: `${url}&cursor=${second.nextCursor}`, headers: auth })).json();
      expect(third).toMatchObject({ data: [{ text: 'm0', direction: 'inbound', type: 'text' }], nextCursor: null });
      const bad = await app.inject({ url: `${url}&cursor=garbage`, headers: auth });
      expect(bad.json().error.code).toBe('TIMELINE_CURSOR_INVALID');
      expect((await app.inject({ url: `${url.replace('limit=2', 'limit=0')}`, headers: auth })).json().error.code).toBe('VALIDATION_FAILED');
    });

    it('publishes an OpenAPI document of the API', async () => {
      const res = await app.inject({ url: '/api/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/contacts', '/api/v1/contacts/{id}', '/api/v1/contacts/{id}/timeline']));
    });

    it('answers unknown routes with the error shape', async () => {
      const res = await app.inject({ url: '/nothing-here' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    });
  });

  describe('operations', () => {
    it('reports liveness and readiness', async () => {
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    });

    it('exposes webhook, latency, queue and dead-letter metrics', async () => {
      const text = (await app.inject({ url: '/metrics' })).body;
      for (const name of [
        'switchboard_webhooks_received_total',
        'switchboard_webhooks_refused_total{reason="WEBHOOK_SIGNATURE_INVALID"}',
        'switchboard_webhook_ack_seconds_bucket',
        'switchboard_queue_depth',
        'switchboard_jobs_scheduled',
        'switchboard_processing_lag_seconds',
        'switchboard_dead_letters',
      ]) {
        expect(text).toContain(name);
      }
    });
  });
});
