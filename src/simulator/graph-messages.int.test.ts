import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhookEnvelope, toInboundEvents, type StatusChanged } from '../modules/inbound/index.js';
import type { Customer } from './customers.js';
import { describeWamid } from './ids.js';
import { NUMBER_ID, startHarness, statusesOf, valueOf, type Harness } from './testing/harness.js';

let h: Harness;
let ana: Customer;

beforeEach(async () => {
  h = await startHarness({
    templates: [
      { name: 'order_shipped', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped.' }] },
      { name: 'spring_sale', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Sale!' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop' }] }] },
    ],
  });
  ana = h.sim.addCustomer({ name: 'Ana Souza', waId: '551187654321', aliases: ['5511987654321'] });
  // Opens the 24 h window so that free-form messages are allowed.
  h.sim.customerSays(ana, NUMBER_ID, 'Oi!');
});
afterEach(() => h.close());

const bodies: Record<string, Record<string, unknown>> = {
  text: { type: 'text', text: { body: 'Olá Ana 👋', preview_url: false } },
  'image by id': { type: 'image', image: { id: '1003383421387256', caption: 'Your receipt' } },
  'image by link': { type: 'image', image: { link: 'https://example.com/a.jpg' } },
  video: { type: 'video', video: { link: 'https://example.com/a.mp4', caption: 'Unboxing' } },
  audio: { type: 'audio', audio: { id: '1234567890987654' } },
  document: { type: 'document', document: { link: 'https://example.com/invoice.pdf', filename: 'invoice.pdf' } },
  sticker: { type: 'sticker', sticker: { id: '8273645501928374' } },
  location: { type: 'location', location: { latitude: -23.5505, longitude: -46.6333, name: 'Loja Centro', address: 'Praça da Sé' } },
  contacts: { type: 'contacts', contacts: [{ name: { formatted_name: 'Support', first_name: 'Support' }, phones: [{ phone: '+15557340192', type: 'WORK' }] }] },
  'interactive button': {
    type: 'interactive',
    interactive: { type: 'button', body: { text: 'Reschedule?' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] } },
  },
  'interactive list': {
    type: 'interactive',
    interactive: { type: 'list', body: { text: 'Shipping?' }, action: { button: 'Options', sections: [{ title: 'Speed', rows: [{ id: 'express', title: 'Express', description: 'Next day' }] }] } },
  },
  'interactive cta_url': {
    type: 'interactive',
    interactive: { type: 'cta_url', body: { text: 'Track it' }, action: { name: 'cta_url', parameters: { display_text: 'Track', url: 'https://example.com/t/1' } } },
  },
  template: {
    type: 'template',
    template: { name: 'order_shipped', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '4411' }] }] },
  },
};

describe('POST /{phone-number-id}/messages', () => {
  it.each(Object.entries(bodies))('accepts %s with the success shape of Meta', async (_, body) => {
    const res = await h.send({ to: '+5511987654321', ...body });
    expect(res.statusCode).toBe(200);
    const json = res.json();
    expect(Object.keys(json)).toEqual(['messaging_product', 'contacts', 'messages']);
    // `input` is what was sent; `wa_id` the user's real id (Brazil: without the ninth digit), as in graph-send-success.json.
    expect(json.contacts).toEqual([{ input: '+5511987654321', wa_id: '551187654321' }]);
    expect(json.messages[0].id).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
    expect(describeWamid(json.messages[0].id)?.direction).toBe('outbound');
    if (body['type'] === 'template') expect(json.messages[0].message_status).toBe('accepted');
    else expect(json.messages[0]).not.toHaveProperty('message_status');
  });

  it('accepts a reaction to a customer message', async () => {
    const inbound = h.sim.receivedMessages()[0]!.wamid;
    const res = await h.send({ to: '551187654321', type: 'reaction', reaction: { message_id: inbound, emoji: '👍' } });
    expect(res.statusCode).toBe(200);
  });

  it('sends to a BSUID with `recipient` and answers with user_id instead of wa_id', async () => {
    const res = await h.send({ recipient: ana.bsuid, type: 'text', text: { body: 'hi' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().contacts).toEqual([{ input: ana.bsuid, user_id: ana.bsuid }]);
  });

  it('lets `to` win when both `to` and `recipient` are given', async () => {
    const res = await h.send({ to: '551187654321', recipient: 'BR.00000000000000000000', type: 'text', text: { body: 'hi' } });
    expect(res.json().contacts).toEqual([{ input: '551187654321', wa_id: '551187654321' }]);
  });

  it('then delivers signed statuses sent → delivered → read, with pricing on sent and the callback data echoed', async () => {
    const res = await h.send({ to: '551187654321', type: 'text', text: { body: 'hi' }, biz_opaque_callback_data: 'crm:ticket=42', context: { message_id: h.sim.receivedMessages()[0]!.wamid } });
    const wamid = res.json().messages[0].id as string;
    await h.hub.waitFor(() => statusesOf(h.hub, wamid).length === 3);
    const statuses = statusesOf(h.hub, wamid);
    expect(statuses.map((s) => s['status'])).toEqual(['sent', 'delivered', 'read']);
    expect(h.hub.received.every((r) => r.signatureValid)).toBe(true);
    expect(statuses[0]).toEqual({
      id: wamid,
      status: 'sent',
      timestamp: expect.stringMatching(/^\d+$/),
      recipient_id: '551187654321',
      recipient_user_id: ana.bsuid,
      biz_opaque_callback_data: 'crm:ticket=42',
      pricing: { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' },
    });
    expect(statuses[1]).not.toHaveProperty('pricing');
    expect(statuses.every((s) => s['biz_opaque_callback_data'] === 'crm:ticket=42')).toBe(true);

    const webhook = h.hub.accepted().find((r) => (valueOf(r.body)['statuses'] as { id: string }[] | undefined)?.[0]?.id === wamid)!;
    expect(valueOf(webhook.body)['contacts']).toEqual([{ profile: { name: 'Ana Souza' }, wa_id: '551187654321', user_id: ana.bsuid }]);
    expect(webhook.contentType).toBe('application/json');
  });

  it("prices templates in the template's category: marketing regular, utility free inside the window", async () => {
    const marketing = (await h.send({ to: '551187654321', type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } })).json().messages[0].id as string;
    const utility = (await h.send({ to: '551187654321', ...bodies['template'] })).json().messages[0].id as string;
    await h.hub.waitFor(() => statusesOf(h.hub, marketing).length > 0 && statusesOf(h.hub, utility).length > 0);
    expect(statusesOf(h.hub, marketing)[0]!['pricing']).toEqual({ billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' });
    expect(statusesOf(h.hub, utility)[0]!['pricing']).toEqual({ billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'utility' });
  });

  it("produces statuses the hub's own parser reads as status_changed events", async () => {
    const wamid = (await h.send({ to: '551187654321', type: 'text', text: { body: 'hi' } })).json().messages[0].id as string;
    await h.hub.waitFor(() => statusesOf(h.hub, wamid).length === 3);
    const events = h.hub
      .accepted()
      .flatMap((r) => {
        const parsed = parseWebhookEnvelope(r.body);
        if (!parsed.ok) throw new Error(parsed.message);
        return toInboundEvents(parsed.envelope);
      })
      .filter((e): e is StatusChanged => e.kind === 'status_changed' && e.wamid === wamid);
    expect(events.map((e) => e.status)).toEqual(['sent', 'delivered', 'read']);
    expect(events[0]).toMatchObject({
      business: { phoneNumberId: NUMBER_ID, displayPhoneNumber: '15557340192' },
      recipient: { waId: '551187654321', bsuid: ana.bsuid, profileName: 'Ana Souza' },
      pricing: { model: 'PMP', type: 'free_customer_service', category: 'service', billable: false },
    });
  });

  it('stops at delivered for a customer whose phone sends no read receipts', async () => {
    const quiet = h.sim.addCustomer({ name: 'Quiet', waId: '447700900123', reads: false });
    h.sim.customerSays(quiet, NUMBER_ID, 'hello');
    const wamid = (await h.send({ to: '447700900123', type: 'text', text: { body: 'hi' } })).json().messages[0].id as string;
    await h.sim.idle();
    expect(statusesOf(h.hub, wamid).map((s) => s['status'])).toEqual(['sent', 'delivered']);
  });

  it('marks a customer message as read, and shows the typing indicator, with {"success":true}', async () => {
    const inbound = h.sim.receivedMessages()[0]!.wamid;
    const read = await h.send({ status: 'read', message_id: inbound });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ success: true });
    expect(h.sim.receivedMessages()[0]!.readByBusiness).toBe(true);
    const typing = await h.send({ status: 'read', message_id: inbound, typing_indicator: { type: 'text' } });
    expect(typing.json()).toEqual({ success: true });
    const unknown = await h.send({ status: 'read', message_id: 'wamid.nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe(100);
  });

  it('serves any Graph version and refuses paths that are not one', async () => {
    const v24 = await h.graph('POST', `/v24.0/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '551187654321', text: { body: 'x' } });
    expect(v24.statusCode).toBe(200);
    const bad = await h.graph('POST', `/latest/${NUMBER_ID}/messages`, { messaging_product: 'whatsapp', to: '551187654321', text: { body: 'x' } });
    expect(bad.json().error).toMatchObject({ code: 2500, type: 'OAuthException' });
    const nowhere = await h.graph('GET', '/v23.0/a/b/c');
    expect(nowhere.statusCode).toBe(400);
    expect(nowhere.json().error.code).toBe(2500);
  });

  it('answers 100 / subcode 33 for a phone number id it does not know', async () => {
    const res = await h.graph('POST', '/v23.0/999/messages', { messaging_product: 'whatsapp', to: '551187654321', text: { body: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 100, error_subcode: 33, type: 'OAuthException' });
  });

  it('registers an unknown recipient as a new user by default (templates only: no window yet)', async () => {
    const res = await h.send({ to: '+16505550142', type: 'template', template: { name: 'spring_sale', language: { code: 'en_US' } } });
    expect(res.statusCode).toBe(200);
    expect(h.sim.customer('16505550142').bsuid).toMatch(/^US\.\d{20}$/);
  });

  it('records what the hub sent for inspection', async () => {
    await h.send({ to: '551187654321', type: 'text', text: { body: 'inspect me' } });
    expect(h.sim.sentMessages().at(-1)).toMatchObject({ type: 'text', customerId: ana.id, input: '551187654321', request: { text: { body: 'inspect me' } } });
  });
});
