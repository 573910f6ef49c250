import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhookEnvelope, toInboundEvents, type InboundEvent } from '../modules/inbound/index.js';
import type { Customer } from './customers.js';
import { describeWamid } from './ids.js';
import { DISPLAY_NUMBER, NUMBER_ID, startHarness, valueOf, WABA_ID, type Harness } from './testing/harness.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as unknown;

let h: Harness;
let ana: Customer;
beforeEach(async () => {
  h = await startHarness({
    templates: [
      {
        name: 'spring_sale',
        language: 'en_US',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Sale!' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop promotions' }, { type: 'QUICK_REPLY', text: 'Tell me more' }] }],
      },
    ],
  });
  ana = h.sim.addCustomer({ name: 'Ana Souza', waId: '551187654321' });
});
afterEach(() => h.close());

/** Waits for `count` webhooks and returns the hub's own parse of the last ones. */
async function eventsOf(count: number): Promise<InboundEvent[]> {
  const received = await h.hub.waitFor((a) => a.length >= count);
  return received.slice(-count).flatMap((r) => {
    const parsed = parseWebhookEnvelope(r.body);
    if (!parsed.ok) throw new Error(parsed.message);
    return toInboundEvents(parsed.envelope);
  });
}

const sendTemplate = async (components?: unknown[]) =>
  (await h.send({ to: ana.waId, type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' }, ...(components ? { components } : {}) } })).json().messages[0].id as string;

describe('customers', () => {
  it('gives each customer a BSUID of the right country and refuses duplicates', () => {
    expect(ana.bsuid).toMatch(/^BR\.\d{20}$/);
    expect(() => h.sim.addCustomer({ name: 'Again', waId: '+551187654321' })).toThrow(/already exists/);
    expect(h.sim.addCustomer({ name: 'Generated' }).waId).toMatch(/^1555\d{7}$/);
  });

  it('sends text in the exact shape of inbound-text.json', async () => {
    const wamid = h.sim.customerSays(ana, NUMBER_ID, 'Oi! Vocês têm esse produto em azul?');
    const [received] = await h.hub.waitFor((a) => a.length === 1);
    const expected = fixture('inbound-text') as { entry: { changes: { value: { messages: Record<string, unknown>[] } }[] }[] };
    const message = expected.entry[0]!.changes[0]!.value.messages[0]!;
    expect(received!.body).toEqual({
      object: 'whatsapp_business_account',
      entry: [{ id: WABA_ID, changes: [{ value: { ...expected.entry[0]!.changes[0]!.value, contacts: [{ profile: { name: 'Ana Souza' }, wa_id: '551187654321', user_id: ana.bsuid }], messages: [{ ...message, from_user_id: ana.bsuid, id: wamid, timestamp: expect.stringMatching(/^\d+$/) }] }, field: 'messages' }] }],
    });
    expect(describeWamid(wamid)).toEqual({ userDigits: '551187654321', direction: 'inbound' });
    const [event] = await eventsOf(1);
    expect(event).toMatchObject({
      kind: 'message_received',
      wamid,
      type: 'text',
      text: 'Oi! Vocês têm esse produto em azul?',
      business: { phoneNumberId: NUMBER_ID, displayPhoneNumber: DISPLAY_NUMBER },
      from: { waId: '551187654321', bsuid: ana.bsuid, profileName: 'Ana Souza', username: null },
    });
  });

  it('sends a username-only user without wa_id or from', async () => {
    const marina = h.sim.addCustomer({ name: 'Marina Costa', username: 'marina.costa', bsuid: 'BR.84720193857201938462' });
    h.sim.customerSays(marina, NUMBER_ID, 'Olá, vi vocês no Instagram');
    const [event] = await eventsOf(1);
    expect(event).toMatchObject({ kind: 'message_received', from: { waId: null, bsuid: 'BR.84720193857201938462', username: 'marina.costa', profileName: 'Marina Costa' } });
    const message = (valueOf(h.hub.accepted()[0]!.body)['messages'] as Record<string, unknown>[])[0]!;
    expect(message).not.toHaveProperty('from');
  });

  it('taps a template quick reply: type button with payload and context', async () => {
    const templateWamid = await sendTemplate();
    const wamid = h.sim.customerRepliesToButton(ana, templateWamid, { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' });
    const events = (await eventsOf(4)).filter((e) => e.kind === 'message_received');
    expect(events).toMatchObject([
      { wamid, type: 'button', text: 'Stop promotions', content: { type: 'quick_reply', payload: 'STOP_PROMOTIONS', text: 'Stop promotions' }, context: { from: DISPLAY_NUMBER, quotedWamid: templateWamid } },
    ]);
  });

  it('taps reply buttons and list rows', async () => {
    h.sim.customerSays(ana, NUMBER_ID, 'hi');
    const business = (await h.send({ to: ana.waId, type: 'text', text: { body: 'Which one?' } })).json().messages[0].id as string;
    h.sim.customerTapsInteractive(ana, business, { buttonReply: { id: 'reschedule-button', title: 'Reschedule' } });
    h.sim.customerTapsInteractive(ana, business, { listReply: { id: 'priority_express', title: 'Priority Express', description: 'Next day to 2 days' } });
    await h.sim.idle();
    const events = h.hub.accepted().flatMap((r) => {
      const parsed = parseWebhookEnvelope(r.body);
      return parsed.ok ? toInboundEvents(parsed.envelope) : [];
    });
    expect(events.filter((e) => e.kind === 'message_received' && e.type === 'interactive')).toMatchObject([
      { content: { type: 'button_reply', id: 'reschedule-button', title: 'Reschedule' }, context: { quotedWamid: business } },
      { content: { type: 'list_reply', id: 'priority_express', title: 'Priority Express', description: 'Next day to 2 days' } },
    ]);
  });

  it('reacts and removes a reaction (no emoji, like inbound-reaction-removed.json)', async () => {
    const business = await sendTemplate();
    h.sim.customerReacts(ana, business, '👍');
    h.sim.customerReacts(ana, business, null);
    await h.sim.idle();
    const reactions = h.hub
      .accepted()
      .flatMap((r) => {
        const parsed = parseWebhookEnvelope(r.body);
        return parsed.ok ? toInboundEvents(parsed.envelope) : [];
      })
      .filter((e) => e.kind === 'reaction_changed');
    expect(reactions).toMatchObject([
      { targetWamid: business, emoji: '👍' },
      { targetWamid: business, emoji: null },
    ]);
  });

  it.each([
    ['document', 'application/pdf', { filename: 'invoice-4411.pdf' }, { filename: 'invoice-4411.pdf', voice: false }],
    ['audio', 'audio/ogg; codecs=opus', { voice: true }, { voice: true, caption: null }],
    ['sticker', 'image/webp', { animated: true }, { animated: true }],
    ['video', 'video/mp4', {}, { mimeType: 'video/mp4' }],
  ] as const)('sends %s media', async (kind, mime, options, expected) => {
    h.sim.customerSendsMedia(ana, kind, Buffer.from(`${kind} bytes`), mime, kind === 'document' ? 'Invoice' : undefined, options);
    const [event] = await eventsOf(1);
    expect(event).toMatchObject({ kind: 'message_received', type: kind, media: { mimeType: mime, ...expected } });
  });

  it('stops marketing: a STOP text and a user_preferences webhook, then marketing fails 131050 until resumed', async () => {
    const stopWamid = h.sim.customerStops(ana, NUMBER_ID);
    const events = await eventsOf(2);
    expect(events).toMatchObject([
      { kind: 'message_received', wamid: stopWamid, text: 'STOP' },
      { kind: 'marketing_preference_changed', category: 'marketing_messages', value: 'stop', user: { waId: '551187654321', bsuid: ana.bsuid } },
    ]);
    const expected = fixture('user-preferences-stop') as { entry: { changes: { value: { user_preferences: Record<string, unknown>[] } }[] }[] };
    const preference = (valueOf(h.hub.accepted()[1]!.body)['user_preferences'] as Record<string, unknown>[])[0]!;
    expect(Object.keys(preference)).toEqual(Object.keys(expected.entry[0]!.changes[0]!.value.user_preferences[0]!));

    const failed = await sendTemplate();
    await h.sim.idle();
    expect(h.sim.sentMessages().find((m) => m.wamid === failed)!.failureCode).toBe(131050);

    h.sim.customerResumes(ana, NUMBER_ID);
    await h.sim.idle();
    const preferences = h.hub.accepted().flatMap((r) => {
      const parsed = parseWebhookEnvelope(r.body);
      return parsed.ok ? toInboundEvents(parsed.envelope).filter((e) => e.kind === 'marketing_preference_changed') : [];
    });
    expect(preferences).toMatchObject([{ value: 'stop' }, { value: 'resume' }]);
    const ok = await sendTemplate();
    await h.sim.idle();
    expect(h.sim.sentMessages().find((m) => m.wamid === ok)!.failureCode).toBeNull();
  });

  it('refuses actions on unknown messages and customers not on WhatsApp', () => {
    expect(() => h.sim.customerRepliesToButton(ana, 'wamid.unknown', { payload: 'x', text: 'x' })).toThrow(/no message/);
    const ghost = h.sim.addCustomer({ name: 'Ghost', waId: '447700900999', notOnWhatsApp: true });
    expect(() => h.sim.customerSays(ghost, NUMBER_ID, 'boo')).toThrow(/not on WhatsApp/);
    expect(() => h.sim.customerSays('cus_404', NUMBER_ID, 'x')).toThrow(/no customer/);
  });

  it('can move the service window for tests', async () => {
    h.sim.customerSays(ana, NUMBER_ID, 'hi');
    h.sim.setLastInbound(ana, NUMBER_ID, Date.now() - 25 * 60 * 60 * 1000);
    expect((await h.send({ to: ana.waId, type: 'text', text: { body: 'late' } })).json().error.code).toBe(131047);
  });
});

describe('autopilot', () => {
  it('writes in now and then and answers what it receives (quick replies, reactions)', async () => {
    const autopilot = h.sim.startConversations({ intervalMs: 30, replyDelayMs: 5, reactRate: 1 });
    await h.hub.waitFor((a) => a.length >= 2);
    const template = await sendTemplate([{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'STOP_PROMOTIONS' }] }]);
    const text = (await h.send({ to: ana.waId, type: 'text', text: { body: 'Thanks for writing!' } })).json().messages[0].id as string;
    await h.hub.waitFor((a) =>
      a.some((r) => JSON.stringify(r.body).includes('"payload":"STOP_PROMOTIONS"')) && a.some((r) => JSON.stringify(r.body).includes(`"reaction":{"message_id":"${text}"`)),
    );
    autopilot.stop();
    const button = h.sim.receivedMessages().find((m) => m.type === 'button')!;
    expect(button.customerId).toBe(ana.id);
    expect(template).toMatch(/^wamid\./);
  });
});
