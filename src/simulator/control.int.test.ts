import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delayRange, formatDelayRange, registerSimulateCommand, startStandaloneSimulator, type SimulateOptions } from '../cli/simulate.command.js';
import { parseWebhookEnvelope, toInboundEvents } from '../modules/inbound/index.js';
import { startFakeHub, type FakeHub } from './testing/fake-hub.js';
import { APP_SECRET, NUMBER_ID, startHarness, statusesIn, TOKEN, WABA_ID, type Harness } from './testing/harness.js';

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await startHarness();
  base = await h.sim.listen(0);
});
afterEach(() => h.close());

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}/_simulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- response JSON
};
const graph = (path: string, body: unknown, token = TOKEN) =>
  fetch(`${base}/v23.0${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });

describe('control surface over HTTP (/_simulator)', () => {
  it('adds customers and makes them write; the webhook parses into a message', async () => {
    const created = await control('POST', '/customers', { name: 'Priya Sharma', waId: '919812345678' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'cus_1', waId: '919812345678', bsuid: expect.stringMatching(/^IN\./) });
    const said = await control('POST', '/customers/919812345678/says', { text: 'नमस्ते' });
    expect(said.body.wamid).toMatch(/^wamid\./);
    const [received] = await h.hub.waitFor((a) => a.length === 1);
    const parsed = parseWebhookEnvelope(received!.body);
    expect(parsed.ok && toInboundEvents(parsed.envelope)).toMatchObject([{ kind: 'message_received', wamid: said.body.wamid, text: 'नमस्ते' }]);
    expect((await control('GET', '/customers')).body).toHaveLength(1);
  });

  it('drives every customer action', async () => {
    await control('POST', '/customers', { name: 'Ana', waId: '551187654321' });
    await control('POST', '/customers/551187654321/says', { text: 'oi' });
    const sent = (await (await graph(`/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '551187654321', text: { body: 'olá' } })).json()) as { messages: { id: string }[] };
    const wamid = sent.messages[0]!.id;
    const actions: [string, unknown][] = [
      ['button-reply', { toWamid: wamid, payload: 'P', text: 'T' }],
      ['interactive-reply', { toWamid: wamid, buttonReply: { id: 'a', title: 'A' } }],
      ['interactive-reply', { toWamid: wamid, listReply: { id: 'b', title: 'B' } }],
      ['reaction', { wamid, emoji: '❤️' }],
      ['reaction', { wamid, emoji: null }],
      ['media', { kind: 'image', data: Buffer.from('jpeg').toString('base64'), mimeType: 'image/jpeg', caption: 'pic' }],
      ['sends', { message: { type: 'location', location: { latitude: -23.55, longitude: -46.63, name: 'Sé' } } }],
      ['stop', {}],
    ];
    for (const [path, body] of actions) {
      const res = await control('POST', `/customers/cus_1/${path}`, body);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body['wamid']).toMatch(/^wamid\./);
    }
    expect((await control('POST', '/customers/cus_1/resume', {})).body).toEqual({ ok: true });
    expect((await control('POST', '/customers/cus_1/window', { lastInboundAt: null })).body).toEqual({ ok: true });
    const late = (await (await graph(`/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '551187654321', text: { body: 'late' } })).json()) as { error: { code: number } };
    expect(late.error.code).toBe(131047);
    const messages = await control('GET', '/messages');
    expect(messages.body['received'].length).toBe(9);
    expect(messages.body['sent'].length).toBe(1);
  });

  it('injects errors and timeouts, expires tokens, and clears', async () => {
    expect((await control('POST', '/errors', { code: 131000 })).status).toBe(201);
    const failed = await graph(`/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '551187654321', type: 'template', template: { name: 'x', language: { code: 'en_US' } } });
    expect(((await failed.json()) as { error: { code: number } }).error.code).toBe(131000);
    await control('POST', '/errors', { httpStatus: 502, times: 3 });
    await control('DELETE', '/errors');
    expect((await control('POST', '/tokens/expire', { token: TOKEN })).body).toEqual({ ok: true });
    expect((await graph(`/${NUMBER_ID}/messages`, {})).status).toBe(401);
    await control('POST', '/tokens', { token: 'fresh-token' });
    expect((await graph(`/${NUMBER_ID}/messages`, {}, 'fresh-token')).status).toBe(400);
    expect((await control('POST', '/timeouts', { delayMs: 10 })).status).toBe(201);
  });

  it('manages numbers, templates and settings; the state hides the app secret', async () => {
    expect((await control('POST', '/numbers', { phoneNumberId: '222', displayPhoneNumber: '15550000002', wabaId: '333' })).status).toBe(201);
    const template = await control('POST', '/templates', { wabaId: '333', name: 'promo', language: 'en_US', category: 'marketing', components: [{ type: 'BODY', text: 'Hi' }] });
    expect(template.body).toMatchObject({ wabaId: '333', name: 'promo', status: 'APPROVED', category: 'MARKETING' });
    const paused = await control('POST', '/templates/status', { wabaId: '333', name: 'promo', language: 'en_US', status: 'PAUSED' });
    expect(paused.body['status']).toBe('PAUSED');
    const config = await control('PATCH', '/config', { duplicateRate: 0.5, statusDelaysMs: { read: 999 } });
    expect(config.body).toMatchObject({ duplicateRate: 0.5, statusDelaysMs: { sent: 5, delivered: 40, read: 999 }, appSecret: '[redacted]' });
    const state = await control('GET', '/state');
    expect(state.body['numbers']).toHaveLength(2);
    expect(state.body['settings'].appSecret).toBe('[redacted]');
    expect(JSON.stringify(state.body)).not.toContain(APP_SECRET);
    expect((await control('GET', '/webhooks')).body.length).toBeGreaterThan(0);
    expect(WABA_ID).not.toBe('333');
  });

  it('answers each Graph request after answerDelayMs, drawn between its bounds, and refuses bounds the wrong way round', async () => {
    await control('POST', '/customers', { name: 'Priya Sharma', waId: '919812345678' });
    await control('POST', '/customers/919812345678/says', { text: 'hi' });
    const timedSend = async () => {
      const started = performance.now();
      const res = await graph(`/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '919812345678', type: 'text', text: { body: 'hello' } });
      expect(res.status).toBe(200);
      return performance.now() - started;
    };
    expect((await control('PATCH', '/config', { answerDelayMs: { min: 250, max: 300 } })).body).toMatchObject({ answerDelayMs: { min: 250, max: 300 } });
    for (let i = 0; i < 3; i++) expect(await timedSend()).toBeGreaterThanOrEqual(250);
    // Errors take as long: Meta answers whatever it answers after its delay.
    const started = performance.now();
    expect((await graph(`/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '919812345678' }, 'wrong-token')).status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(await control('PATCH', '/config', { answerDelayMs: { min: 300, max: 200 } })).toMatchObject({ status: 400 });
    expect((await control('GET', '/state')).body['settings'].answerDelayMs).toEqual({ min: 250, max: 300 });
  });

  it('answers 400 for bad input, 404 for unknown things', async () => {
    expect(await control('POST', '/customers', { waId: 'abc' })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(await control('PATCH', '/config', { duplicateRate: 2 })).toMatchObject({ status: 400 });
    expect(await control('POST', '/customers/nobody/says', { text: 'x' })).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await control('GET', '/nothing-here')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await control('POST', '/customers/cus_1/dance', {})).toMatchObject({ status: 404 });
  });

  it('starts and stops the autopilot', async () => {
    await control('POST', '/customers', { name: 'Ana', waId: '551187654321' });
    expect((await control('POST', '/autopilot/start', { intervalMs: 20 })).body).toEqual({ ok: true });
    await h.hub.waitFor((a) => a.length >= 2);
    expect((await control('GET', '/state')).body['autopilot']).toBe(true);
    await control('POST', '/autopilot/stop');
    await h.sim.idle();
    const count = h.hub.received.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(h.hub.received.length).toBe(count);
  });
});

describe('switchboard simulate', () => {
  let hub: FakeHub;
  beforeEach(async () => {
    hub = await startFakeHub('cli-secret');
  });
  afterEach(() => hub.close());

  /** What the command's flags give, on a free port, signing for the fake hub. */
  const standalone = (flags: Partial<SimulateOptions>) =>
    startStandaloneSimulator({
      port: 0,
      host: '127.0.0.1',
      webhookUrl: hub.url,
      appSecret: 'cli-secret',
      accessToken: 'cli-token',
      phoneNumberId: '111',
      displayPhoneNumber: '15550001111',
      wabaId: '999',
      customers: 5,
      autopilot: false,
      interval: 1_000,
      ...flags,
    });

  it('runs standalone from flags with demo customers and seeded templates', async () => {
    const { simulator, baseUrl } = await standalone({ customers: 7, seed: 1 });
    try {
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(simulator.customers().map((c) => c.name).slice(0, 2)).toEqual(['Ana Souza', 'Carlos Hernández']);
      expect(simulator.customers()).toHaveLength(7);
      const res = await fetch(`${baseUrl}/v23.0/999/message_templates`, { headers: { authorization: 'Bearer cli-token' } });
      const catalogue = ((await res.json()) as { data: { name: string; components: unknown[] }[] }).data;
      expect(catalogue.map((t) => t.name).sort()).toEqual(['hello_world', 'order_update', 'property_inquiry', 'spring_sale']);
      // The template the example rules send is the one the automation scenario runs with.
      const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/automation/property-inquiry.template.json', import.meta.url), 'utf8')) as { components: unknown[] };
      expect(catalogue.find((t) => t.name === 'property_inquiry')).toMatchObject({ status: 'APPROVED', category: 'MARKETING', components: fixture.components });
      simulator.customerSays('551187654321', '111', 'oi');
      const [received] = await hub.waitFor((a) => a.length === 1);
      expect(received!.signatureValid).toBe(true);
    } finally {
      await simulator.close();
    }
  });

  it('batches status webhooks with --webhook-batch-ms and --webhook-batch-max', async () => {
    // A window far longer than the two sends take, so that only --webhook-batch-max cuts the
    // batches (a loaded machine can take more than 500 ms over them); the last batch waits for it to end.
    const { simulator, baseUrl } = await standalone({ customers: 1, webhookBatchMs: 2_000, webhookBatchMax: 4 });
    try {
      // The standalone's statuses take seconds, paced for a person watching; a test has no time for that.
      simulator.configure({ statusDelaysMs: { sent: 5, delivered: 10, read: 15 } });
      simulator.customerSays('551187654321', '111', 'oi');
      await hub.waitFor((a) => a.length === 1);
      for (const text of ['one', 'two']) {
        const sent = await fetch(`${baseUrl}/v23.0/111/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer cli-token' },
          body: JSON.stringify({ messaging_product: 'whatsapp', to: '551187654321', type: 'text', text: { body: text } }),
        });
        expect(sent.status).toBe(200);
      }
      await simulator.idle();
      const statusCounts = hub.received.map((r) => statusesIn(r.body).length).filter((n) => n > 0);
      // Six statuses (sent, delivered, read of two messages), four at most to a POST, and sharing POSTs.
      expect(statusCounts.reduce((a, b) => a + b, 0)).toBe(6);
      expect(Math.max(...statusCounts)).toBe(4);
      expect(statusCounts.length).toBeLessThan(6);
      expect(hub.received.every((r) => r.signatureValid)).toBe(true);
    } finally {
      await simulator.close();
    }
  });

  it('refuses invalid flags', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerSimulateCommand(program);
    await expect(program.parseAsync(['node', 'switchboard', 'simulate', '--port', '99999'])).rejects.toThrow(/port must be an integer/);
    await expect(program.parseAsync(['node', 'switchboard', 'simulate', '--webhook-batch-max', '1001'])).rejects.toThrow(/webhook-batch-max must be an integer from 1 to 1000/);
    await expect(program.parseAsync(['node', 'switchboard', 'simulate', '--webhook-batch-ms', '-1'])).rejects.toThrow(/webhook-batch-ms must be an integer from 0/);
    expect([delayRange('200'), delayRange('100-300')]).toEqual([{ min: 200, max: 200 }, { min: 100, max: 300 }]);
    expect(['200', '100-300'].map((flag) => formatDelayRange(delayRange(flag)))).toEqual(['200', '100-300']);
    for (const delay of ['300-100', 'abc', '-5', '70000']) {
      await expect(program.parseAsync(['node', 'switchboard', 'simulate', '--answer-delay-ms', delay])).rejects.toThrow(/answer-delay-ms must be ms from 0 to 60000/);
    }
  });
});
