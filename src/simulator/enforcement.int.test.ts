import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import type { SimulatorOptions } from './simulator.js';
import { NUMBER_ID, startHarness, statusesOf, TOKEN, valueOf, type Harness } from './testing/harness.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixture JSON

const DAY = 24 * 60 * 60 * 1000;
const templates: SimulatorOptions['templates'] = [
  { name: 'order_shipped', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped.' }] },
  { name: 'welcome_named', language: 'pt_BR', category: 'UTILITY', components: [{ type: 'BODY', text: 'Olá {{first_name}}!' }] },
  { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Sale!' }] },
  { name: 'draft_one', language: 'en_US', category: 'UTILITY', status: 'PENDING', components: [{ type: 'BODY', text: 'x' }] },
  { name: 'paused_one', language: 'en_US', category: 'MARKETING', status: 'PAUSED', components: [{ type: 'BODY', text: 'x' }] },
  { name: 'login_code', language: 'en_US', category: 'AUTHENTICATION', components: [{ type: 'BODY', text: '{{1}} is your code.' }] },
];
const sale = { type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } };
const text = { type: 'text', text: { body: 'hello' } };

let h: Harness;
afterEach(() => h?.close());

/** Checks a Graph error body against Meta's envelope (graph-error-*.json). */
function expectGraphError(json: any, code: number) { // eslint-disable-line @typescript-eslint/no-explicit-any -- response JSON
  expect(json.error).toMatchObject({ type: 'OAuthException', code, fbtrace_id: expect.stringMatching(/^A[\w-]{22}$/) });
  expect(json.error.message).toEqual(expect.any(String));
  if (code !== 190) expect(json.error.error_data).toEqual({ messaging_product: 'whatsapp', details: expect.any(String) });
}

describe('24 h customer service window (131047)', () => {
  it('refuses free-form messages to a customer who never wrote, with the envelope of graph-error-131047-reengagement.json', async () => {
    h = await startHarness({ templates });
    h.sim.addCustomer({ name: 'Oliver', waId: '447700900123' });
    const res = await h.send({ to: '447700900123', ...text });
    expect(res.statusCode).toBe(400);
    const expected = fixture('graph-error-131047-reengagement');
    expect(res.json()).toEqual({ error: { ...expected.error, fbtrace_id: expect.any(String) } });
  });

  it('closes 24 h after the last inbound message, while templates still go out', async () => {
    const clock = new ManualClock(1_790_000_000_000);
    h = await startHarness({ templates, clock });
    const oliver = h.sim.addCustomer({ name: 'Oliver', waId: '447700900123' });
    h.sim.customerSays(oliver, NUMBER_ID, 'hi');
    clock.advance(DAY - 1);
    expect((await h.send({ to: '447700900123', ...text })).statusCode).toBe(200);
    clock.advance(1);
    expectGraphError((await h.send({ to: '447700900123', ...text })).json(), 131047);
    expect((await h.send({ to: '447700900123', ...sale })).statusCode).toBe(200);
  });

  it('reports 131047 as a failed status instead when configured asynchronous', async () => {
    h = await startHarness({ templates, asyncFailures: [131026, 131047, 131050] });
    h.sim.addCustomer({ name: 'Oliver', waId: '447700900123' });
    const res = await h.send({ to: '447700900123', ...text });
    expect(res.statusCode).toBe(200);
    const wamid = res.json().messages[0].id as string;
    await h.hub.waitFor(() => statusesOf(h.hub, wamid).length === 1);
    expect(statusesOf(h.hub, wamid)[0]).toMatchObject({ status: 'failed', errors: [fixture('status-failed-131047').entry[0].changes[0].value.statuses[0].errors[0]] });
  });
});

describe('templates (132001, 132015, 132000, 132012, 131062)', () => {
  it('answers 132001 for an unknown name or language and for a template not approved', async () => {
    h = await startHarness({ templates });
    h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    const unknown = await h.send({ to: '551187654321', type: 'template', template: { name: 'order_update_v3', language: { code: 'pt_BR' } } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ ...fixture('graph-error-132001-template-not-found').error, fbtrace_id: expect.any(String) });
    expectGraphError((await h.send({ to: '551187654321', type: 'template', template: { name: 'order_shipped', language: { code: 'fr_FR' } } })).json(), 132001);
    expectGraphError((await h.send({ to: '551187654321', type: 'template', template: { name: 'draft_one', language: { code: 'en_US' } } })).json(), 132001);
  });

  it('answers 132015 for a paused template', async () => {
    h = await startHarness({ templates });
    expectGraphError((await h.send({ to: '551187654321', type: 'template', template: { name: 'paused_one', language: { code: 'en_US' } } })).json(), 132015);
  });

  it('answers 132000 when the parameter count does not match the placeholders', async () => {
    h = await startHarness({ templates });
    const res = await h.send({
      to: '551187654321',
      type: 'template',
      template: { name: 'order_shipped', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] },
    });
    expect(res.json()).toEqual({ error: { ...fixture('graph-error-132000-param-count-mismatch').error, fbtrace_id: expect.any(String) } });
  });

  it('answers 132012 for positional parameters sent to a named template', async () => {
    h = await startHarness({ templates });
    const res = await h.send({
      to: '551187654321',
      type: 'template',
      template: { name: 'welcome_named', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }] },
    });
    expectGraphError(res.json(), 132012);
    const named = await h.send({
      to: '551187654321',
      type: 'template',
      template: { name: 'welcome_named', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ana' }] }] },
    });
    expect(named.statusCode).toBe(200);
  });

  it('answers 131062 for an authentication template sent to a BSUID', async () => {
    h = await startHarness({ templates });
    const ana = h.sim.addCustomer({ name: 'Ana', waId: '551187654321' });
    const res = await h.send({
      recipient: ana.bsuid,
      type: 'template',
      template: { name: 'login_code', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }] },
    });
    expect(res.json()).toEqual({ error: { ...fixture('graph-error-131062-bsuid-not-supported').error, fbtrace_id: expect.any(String) } });
  });
});

describe('rate limits (130429, 131056)', () => {
  it("answers 130429 past the number's throughput", async () => {
    h = await startHarness({ templates, numbers: [{ phoneNumberId: NUMBER_ID, displayPhoneNumber: '15557340192', wabaId: '204857361209384', throughputMps: 3 }] });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.send({ to: `1650555014${i}`, ...sale });
      codes.push(res.statusCode === 200 ? 200 : res.json().error.code);
    }
    expect(codes).toEqual([200, 200, 200, 130429, 130429]);
    const res = await h.send({ to: '16505550149', ...sale });
    expect(res.json()).toEqual({ error: { ...fixture('graph-error-130429-throughput').error, fbtrace_id: expect.any(String) } });
  });

  it('answers 131056 past the pair limit for one user, while other users are unaffected', async () => {
    const clock = new ManualClock(0);
    h = await startHarness({ templates, clock, pairRateLimit: { capacity: 2, refillIntervalMs: 6_000 } });
    const ok = async (to: string) => (await h.send({ to, ...sale })).statusCode;
    expect([await ok('551187654321'), await ok('551187654321')]).toEqual([200, 200]);
    const limited = await h.send({ to: '551187654321', ...sale });
    expect(limited.json()).toEqual({ error: { ...fixture('graph-error-131056-pair-rate-limit').error, fbtrace_id: expect.any(String) } });
    expect(await ok('447700900123')).toBe(200);
    clock.advance(6_000);
    expect(await ok('551187654321')).toBe(200);
  });
});

describe('policy failures reported by webhook (131050, 131026)', () => {
  it('fails a marketing template to a customer who sent STOP with a failed status 131050 (not utility)', async () => {
    h = await startHarness({ templates });
    const carlos = h.sim.addCustomer({ name: 'Carlos', waId: '5215512345678' });
    h.sim.customerStops(carlos, NUMBER_ID);
    const res = await h.send({ to: '5215512345678', ...sale });
    expect(res.statusCode).toBe(200);
    const wamid = res.json().messages[0].id as string;
    const utility = await h.send({ to: '5215512345678', type: 'template', template: { name: 'order_shipped', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] } });
    await h.sim.idle();
    const [failed] = statusesOf(h.hub, wamid);
    const expected = fixture('status-failed-131050').entry[0].changes[0].value.statuses[0];
    expect(failed).toEqual({ ...expected, id: wamid, timestamp: expect.any(String) });
    expect(statusesOf(h.hub, utility.json().messages[0].id).map((s) => s['status'])).toEqual(['sent', 'delivered', 'read']);

    h.sim.customerResumes(carlos, NUMBER_ID);
    const after = (await h.send({ to: '5215512345678', ...sale })).json().messages[0].id as string;
    await h.sim.idle();
    expect(statusesOf(h.hub, after)[0]!['status']).toBe('sent');
  });

  it('answers 131050 synchronously when configured so', async () => {
    h = await startHarness({ templates, asyncFailures: [131026] });
    const carlos = h.sim.addCustomer({ name: 'Carlos', waId: '5215512345678' });
    h.sim.customerStops(carlos, NUMBER_ID);
    expectGraphError((await h.send({ to: '5215512345678', ...sale })).json(), 131050);
  });

  it('accepts a send to a user not on WhatsApp, then reports failed 131026 like status-failed-131026.json', async () => {
    h = await startHarness({ templates, undeliverableNumbers: ['+919812345678'] });
    h.sim.addCustomer({ name: 'Ghost', waId: '447700900999', notOnWhatsApp: true });
    const expected = fixture('status-failed-131026').entry[0].changes[0].value;
    for (const to of ['919812345678', '447700900999']) {
      const res = await h.send({ to, ...sale });
      expect(res.statusCode).toBe(200);
      const wamid = res.json().messages[0].id as string;
      await h.hub.waitFor(() => statusesOf(h.hub, wamid).length === 1);
      const webhook = h.hub.accepted().find((r) => (valueOf(r.body)['statuses'] as { id: string }[] | undefined)?.[0]?.id === wamid)!;
      // No `contacts` and no `recipient_user_id` on a failed send to a phone number.
      expect(valueOf(webhook.body)).toEqual({ ...expected, statuses: [{ ...expected.statuses[0], id: wamid, timestamp: expect.any(String), recipient_id: to }] });
    }
  });

  it('treats unknown numbers as not on WhatsApp when configured so', async () => {
    h = await startHarness({ templates, unknownRecipients: 'undeliverable' });
    const wamid = (await h.send({ to: '16505550142', ...sale })).json().messages[0].id as string;
    await h.sim.idle();
    expect(statusesOf(h.hub, wamid)).toMatchObject([{ status: 'failed', errors: [{ code: 131026 }] }]);
  });
});

describe('authentication (190) and request shape (100, 131009, 131021)', () => {
  it('answers 190 with HTTP 401 without a token, with an unknown token, and with an expired one (subcode 463)', async () => {
    h = await startHarness({ templates });
    const body = { messaging_product: 'whatsapp', to: '551187654321', ...sale };
    for (const authorization of ['', 'Bearer wrong', 'Basic abc']) {
      const res = await h.graph('POST', `/v23.0/${NUMBER_ID}/messages`, body, { authorization });
      expect(res.statusCode).toBe(401);
      expectGraphError(res.json(), 190);
      expect(res.headers['www-authenticate']).toContain('invalid_token');
    }
    h.sim.expireToken(TOKEN);
    const expired = await h.graph('POST', `/v23.0/${NUMBER_ID}/messages`, body);
    expect(expired.statusCode).toBe(401);
    const shape = fixture('graph-error-190-token-expired').error;
    expect(Object.keys(expired.json().error)).toEqual(Object.keys(shape));
    expect(expired.json().error).toMatchObject({ code: 190, error_subcode: 463, message: expect.stringMatching(/^Error validating access token: Session has expired on /) });
  });

  it('answers 100 for a malformed body, naming the param like Graph', async () => {
    h = await startHarness({ templates });
    const missing = await h.send({ to: '551187654321', type: 'text', text: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ error: { ...fixture('graph-error-100-invalid-parameter').error, fbtrace_id: expect.any(String) } });
    const notJson = await h.sim.app.inject({ method: 'POST', url: `/v23.0/${NUMBER_ID}/messages`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: '{"to":' });
    expect(notJson.statusCode).toBe(400);
    expectGraphError(notJson.json(), 100);
    expectGraphError((await h.send({ to: 'not-a-number', ...text })).json(), 100);
    expectGraphError((await h.send({ to: '551187654321', type: 'carrier_pigeon' })).json(), 100);
  });

  it('answers 131009 for values out of range and 131021 for a message to the business itself', async () => {
    h = await startHarness({ templates });
    h.sim.customerSays(h.sim.addCustomer({ name: 'Ana', waId: '551187654321' }), NUMBER_ID, 'hi');
    const long = await h.send({ to: '551187654321', type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A title that is far too long' } }] } } });
    expectGraphError(long.json(), 131009);
    expectGraphError((await h.send({ to: '15557340192', ...sale })).json(), 131021);
  });
});
