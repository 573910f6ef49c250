import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { InboundEvent, MessageReceived, StatusChanged } from './inbound-event.js';
import { parseWebhookEnvelope, toInboundEvents } from './parse-webhook.js';

const FIXTURES = new URL('../../../../test/fixtures/meta/', import.meta.url);
// Meta's OpenAPI description (MIT), copied from the shared reference material.
const OPENAPI = new URL('../../../../test/fixtures/openapi/business-messaging-api_v23.0.yaml', import.meta.url);

/** Webhook bodies only: `graph-*` are Graph API responses; the signature vector wraps its body in a string. */
const webhookFixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('graph-'));

function loadBody(file: string): unknown {
  const json = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) as unknown;
  return file === 'webhook-signature-vector.json' ? (JSON.parse((json as { raw_body: string }).raw_body) as unknown) : json;
}

function eventsOf(body: unknown): InboundEvent[] {
  const parsed = parseWebhookEnvelope(body);
  if (!parsed.ok) throw new Error(parsed.message);
  return toInboundEvents(parsed.envelope);
}

function eventsFrom(file: string): InboundEvent[] {
  return eventsOf(loadBody(file));
}

function only<K extends InboundEvent['kind']>(file: string, kind: K): Extract<InboundEvent, { kind: K }> {
  const events = eventsFrom(file);
  expect(events.map((e) => e.kind)).toEqual([kind]);
  return events[0] as Extract<InboundEvent, { kind: K }>;
}

const message = (file: string): MessageReceived => only(file, 'message_received');
const status = (file: string): StatusChanged => only(file, 'status_changed');

function envelopeWith(field: string, value: unknown): unknown {
  return { object: 'whatsapp_business_account', entry: [{ id: '204857361209384', changes: [{ field, value }] }] };
}

const METADATA = { display_phone_number: '15557340192', phone_number_id: '118274650392817' };

const M = 'message_received';
const S = 'status_changed';
const F = 'field_update';

/** Every webhook fixture and the event kinds it must produce, in order. */
const EXPECTED_KINDS: Record<string, InboundEvent['kind'][]> = {
  'account-update-violation.json': [F],
  'batch-messages-and-statuses.json': [M, M, M, S, S, S, F],
  'business-capability-update.json': [F],
  'inbound-audio-voice.json': [M],
  'inbound-button-template-quick-reply.json': [M],
  'inbound-contacts.json': [M],
  'inbound-document.json': [M],
  'inbound-image.json': [M],
  'inbound-interactive-button-reply.json': [M],
  'inbound-interactive-list-reply.json': [M],
  'inbound-interactive-nfm-reply-flow.json': [M],
  'inbound-interactive-with-value-errors-131000.json': [M, 'webhook_error'],
  'inbound-location.json': [M],
  'inbound-order.json': [M],
  'inbound-reaction-removed.json': ['reaction_changed'],
  'inbound-reaction.json': ['reaction_changed'],
  'inbound-sticker-animated.json': [M],
  'inbound-system-user-changed-number.json': ['user_changed_number'],
  'inbound-text-ctwa-referral.json': [M],
  'inbound-text-frequently-forwarded.json': [M],
  'inbound-text-legacy-no-bsuid.json': [M],
  'inbound-text-product-inquiry.json': [M],
  'inbound-text-reply-context.json': [M],
  'inbound-text-username-no-phone.json': [M],
  'inbound-text.json': [M],
  'inbound-unsupported.json': [M],
  'inbound-video.json': [M],
  'phone-number-quality-update.json': [F],
  'smb-message-echoes-text.json': ['message_echoed'],
  'status-delivered-cbp-legacy-marketing.json': [S],
  'status-delivered-pmp-v23-utility-free-in-window.json': [S],
  'status-delivered-pmp-v24-service-free.json': [S],
  'status-delivered-service-billable-2026-10-UNCONFIRMED.json': [S],
  'status-failed-131026.json': [S],
  'status-failed-131047.json': [S],
  'status-failed-131049.json': [S],
  'status-failed-131050.json': [S],
  'status-failed-132015-template-paused-bsuid-recipient.json': [S],
  'status-played-voice.json': [S],
  'status-read-v24.json': [S],
  'status-sent-cbp-legacy.json': [S],
  'status-sent-free-entry-point.json': [S],
  'status-sent-pmp-v24-marketing.json': [S],
  'template-category-update-completed.json': [F],
  'template-category-update-impending.json': [F],
  'template-quality-update.json': [F],
  'template-status-approved.json': [F],
  'template-status-paused.json': [F],
  'template-status-rejected-invalid-format.json': [F],
  'user-id-update.json': ['bsuid_changed'],
  'user-preferences-resume.json': ['marketing_preference_changed'],
  'user-preferences-stop.json': ['marketing_preference_changed'],
  'webhook-signature-vector.json': [M],
};

describe('every webhook fixture', () => {
  it('has an expectation here (a new fixture must be added to the table)', () => {
    expect(webhookFixtures.sort()).toEqual(Object.keys(EXPECTED_KINDS).sort());
  });

  it.each(webhookFixtures)('%s parses and yields the expected event kinds', (file) => {
    const parsed = parseWebhookEnvelope(loadBody(file));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(toInboundEvents(parsed.envelope).map((e) => e.kind)).toEqual(EXPECTED_KINDS[file]);
  });

  it.each(webhookFixtures)('%s: every event carries the WABA id and business number of its change', (file) => {
    for (const event of eventsFrom(file)) {
      expect(event.wabaId).toBe('204857361209384');
      if ('business' in event) {
        expect(event.business).toEqual({ phoneNumberId: '118274650392817', displayPhoneNumber: '15557340192' });
      }
    }
  });
});

describe('parseWebhookEnvelope', () => {
  it('lists the distinct fields of the envelope in order of appearance', () => {
    const parsed = parseWebhookEnvelope(loadBody('batch-messages-and-statuses.json'));
    expect(parsed).toMatchObject({ ok: true, fields: ['messages', 'message_template_status_update'] });
  });

  it.each([
    ['null', null],
    ['a string', 'whatsapp_business_account'],
    ['a number', 42],
    ['an array', [{ object: 'whatsapp_business_account', entry: [] }]],
    ['another object type', { object: 'page', entry: [] }],
    ['no object at all', { entry: [] }],
    ['a missing entry', { object: 'whatsapp_business_account' }],
    ['an entry that is not an array', { object: 'whatsapp_business_account', entry: {} }],
    ['an entry without changes', { object: 'whatsapp_business_account', entry: [{ id: '1' }] }],
    ['a change without field', { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ value: {} }] }] }],
    ['a change whose field is not a string', { object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 7, value: {} }] }] }],
  ])('rejects %s as NOT_WHATSAPP_ENVELOPE', (_name, body) => {
    const parsed = parseWebhookEnvelope(body);
    expect(parsed).toMatchObject({ ok: false, code: 'NOT_WHATSAPP_ENVELOPE' });
    if (!parsed.ok) expect(parsed.message).toMatch(/not a WhatsApp webhook/);
  });

  it('keeps unknown envelope keys and accepts an entry without id or time', () => {
    const parsed = parseWebhookEnvelope({ object: 'whatsapp_business_account', extra: 1, entry: [{ changes: [{ field: 'x', value: 1 }] }] });
    expect(parsed).toMatchObject({ ok: true, envelope: { extra: 1 } });
    if (parsed.ok) expect(toInboundEvents(parsed.envelope)).toEqual([{ kind: 'field_update', wabaId: '', field: 'x', time: null, value: 1 }]);
  });
});

describe('inbound messages', () => {
  it('reads a text message from a Brazilian number without the ninth digit, merged with its contact', () => {
    const body = loadBody('inbound-text.json') as { entry: { changes: { value: { messages: unknown[] } }[] }[] };
    const [m] = eventsOf(body) as MessageReceived[];
    expect(m).toMatchObject({
      wamid: 'wamid.HBgMNTUxMTg3NjU0MzIxFQIAEhgUM0E0QTY1OTlBRUUwMzgxMDE0NEYA',
      type: 'text',
      rawType: 'text',
      text: 'Oi! Vocês têm esse produto em azul?',
      timestamp: 1791043200000,
      media: null,
      content: null,
      context: null,
      referral: null,
      errors: [],
      from: { waId: '551187654321', bsuid: 'BR.27403918572640193841', parentBsuid: null, profileName: 'Ana Souza', username: null },
    });
    // `raw` is the very object Meta sent, not a copy.
    expect(m?.raw).toBe(body.entry[0]?.changes[0]?.value.messages[0]);
  });

  it('reads the older shape without BSUIDs', () => {
    expect(message('inbound-text-legacy-no-bsuid.json').from).toEqual({
      waId: '919812345678',
      bsuid: null,
      parentBsuid: null,
      profileName: 'Priya Sharma',
      username: null,
    });
  });

  it('identifies a username-only user by BSUID and username, with no phone', () => {
    expect(message('inbound-text-username-no-phone.json').from).toEqual({
      waId: null,
      bsuid: 'BR.84720193857201938462',
      parentBsuid: null,
      profileName: 'Marina Costa',
      username: 'marina.costa',
    });
  });

  it('reads an image with caption, media id and the new download url', () => {
    const m = message('inbound-image.json');
    expect(m.type).toBe('image');
    expect(m.text).toBe('Foto do produto com defeito');
    expect(m.media).toMatchObject({ id: '1003383421387256', mimeType: 'image/jpeg', caption: 'Foto do produto com defeito', voice: false, animated: false });
    expect(m.media?.url).toMatch(/^https:\/\/lookaside\.fbsbx\.com\//);
  });

  it('reads a forwarded video', () => {
    const m = message('inbound-video.json');
    expect(m).toMatchObject({ type: 'video', text: 'Unboxing - box arrived crushed', media: { id: '765756756123456', mimeType: 'video/mp4' } });
    expect(m.context).toEqual({ from: null, quotedWamid: null, forwarded: true, frequentlyForwarded: false, referredProduct: null });
  });

  it('marks a voice note as voice', () => {
    const m = message('inbound-audio-voice.json');
    expect(m).toMatchObject({ type: 'audio', text: null, media: { id: '1234567890987654', mimeType: 'audio/ogg; codecs=opus', voice: true } });
  });

  it('keeps a document filename and caption', () => {
    const m = message('inbound-document.json');
    expect(m).toMatchObject({ type: 'document', text: 'Invoice for order 4411', media: { filename: 'invoice-4411.pdf', mimeType: 'application/pdf' } });
  });

  it('marks an animated sticker as animated', () => {
    expect(message('inbound-sticker-animated.json')).toMatchObject({ type: 'sticker', media: { id: '8273645501928374', animated: true, voice: false } });
  });

  it('reads location coordinates as numbers, with the place name as text', () => {
    const m = message('inbound-location.json');
    expect(m.text).toBe('Sherlock Holmes Museum');
    expect(m.content).toEqual({
      type: 'location',
      latitude: 51.5237629,
      longitude: -0.1584743,
      name: 'Sherlock Holmes Museum',
      address: '221B Baker St, London NW1 6XE',
      url: 'https://www.sherlock-holmes.co.uk/',
    });
  });

  it('reads a shared contact card', () => {
    const m = message('inbound-contacts.json');
    expect(m.type).toBe('contacts');
    expect(m.content).toEqual({
      type: 'contacts',
      contacts: [
        {
          formattedName: 'Barbara J. Johnson',
          phones: [{ phone: '+1 (415) 555-0829', waId: '14155550829', type: 'MOBILE' }],
          emails: [{ email: 'bjohnson@example.com', type: 'WORK' }],
          organization: 'Social Tsunami',
        },
      ],
    });
  });

  it('reads a reply-button tap with the quoted business message', () => {
    const m = message('inbound-interactive-button-reply.json');
    expect(m).toMatchObject({ type: 'interactive', text: 'Reschedule', content: { type: 'button_reply', id: 'reschedule-button', title: 'Reschedule' } });
    expect(m.context).toMatchObject({ from: '15557340192', quotedWamid: 'wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSNzExOTI1QTkxNzA5OUFFRTQwAA==' });
  });

  it('reads a list selection with its description', () => {
    expect(message('inbound-interactive-list-reply.json')).toMatchObject({
      type: 'interactive',
      text: 'Priority Express',
      content: { type: 'list_reply', id: 'priority_express', title: 'Priority Express', description: 'Next day to 2 days' },
    });
  });

  it('parses the JSON string of a Flow completion', () => {
    expect(message('inbound-interactive-nfm-reply-flow.json').content).toEqual({
      type: 'flow_reply',
      name: 'flow',
      body: 'Sent',
      response: { flow_token: 'crm-lead-7f3a9c', full_name: 'Ana Souza', email: 'ana@example.com', preferred_contact: 'whatsapp' },
    });
  });

  it('keeps a Flow response that is not JSON as the raw string', () => {
    const [event] = eventsOf(
      envelopeWith('messages', {
        messages: [{ id: 'wamid.F', from: '1', timestamp: '1', type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: 'not {json' } } }],
      }),
    );
    expect((event as MessageReceived).content).toEqual({ type: 'flow_reply', name: null, body: null, response: 'not {json' });
  });

  it('keeps an interactive subtype it does not model as raw', () => {
    const interactive = { type: 'call_permission_reply', call_permission_reply: { response: 'accept' } };
    const [event] = eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.C', from: '1', timestamp: '1', type: 'interactive', interactive }] }));
    expect(event).toMatchObject({ type: 'interactive', text: null, content: { type: 'raw', value: interactive } });
  });

  it('reads a template quick-reply tap with its custom payload', () => {
    const m = message('inbound-button-template-quick-reply.json');
    expect(m).toMatchObject({ type: 'button', text: 'Parar promoções', content: { type: 'quick_reply', payload: 'STOP_PROMOTIONS', text: 'Parar promoções' } });
    expect(m.context?.quotedWamid).toBe('wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSNkEwRDMzRTFDOUYyNDcxQjhFAA==');
  });

  it('reads a reaction with its target message', () => {
    expect(only('inbound-reaction.json', 'reaction_changed')).toMatchObject({
      wamid: 'wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFDNBMEYxRTJEM0M0QjVBNjk3ODg3AA==',
      targetWamid: 'wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjVGNDI1QTc0RjEzMDMzNDkyQgA=',
      emoji: '👍',
      timestamp: 1791044160000,
      from: { waId: '5215512345678', profileName: 'Carlos Hernández' },
    });
  });

  it('reads a removed reaction (no emoji) as emoji null', () => {
    expect(only('inbound-reaction-removed.json', 'reaction_changed').emoji).toBeNull();
  });

  it('reads a removed reaction sent as an empty emoji as emoji null', () => {
    const [event] = eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.R', from: '1', timestamp: '1', type: 'reaction', reaction: { message_id: 'wamid.T', emoji: '' } }] }));
    expect(event).toMatchObject({ kind: 'reaction_changed', emoji: null });
  });

  it('reads an order with its items and note', () => {
    const m = message('inbound-order.json');
    expect(m.text).toBe('Please deliver after 6pm');
    expect(m.content).toEqual({
      type: 'order',
      catalogId: '194836987003835',
      text: 'Please deliver after 6pm',
      items: [
        { productRetailerId: 'sku_blue_mug_01', quantity: 2, itemPrice: 349, currency: 'INR' },
        { productRetailerId: 'sku_tea_500g', quantity: 1, itemPrice: 525.5, currency: 'INR' },
      ],
    });
  });

  it('keeps an order with an unreadable item raw rather than a partial basket', () => {
    const order = { catalog_id: 'c', product_items: [{ product_retailer_id: 'a', quantity: 1, item_price: 2, currency: 'USD' }, { quantity: 1 }] };
    const [event] = eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.O', from: '1', timestamp: '1', type: 'order', order }] }));
    expect(event).toMatchObject({ type: 'order', content: { type: 'raw', value: order } });
  });

  it('turns a user_changed_number system message into user_changed_number with the new ids', () => {
    expect(only('inbound-system-user-changed-number.json', 'user_changed_number')).toMatchObject({
      from: { waId: '551187654321', bsuid: null, profileName: null },
      newWaId: '5511987654321',
      newBsuid: 'BR.50918273640192837465',
      body: 'User Ana Souza changed from 551187654321 to 5511987654321',
      timestamp: 1791044340000,
    });
  });

  it('reads another system message as a system message with its body as text', () => {
    const system = { type: 'user_changed_user_id', body: 'User id changed', user_id: 'US.2' };
    const [event] = eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.S', from: '1', timestamp: '1', type: 'system', system }] }));
    expect(event).toMatchObject({ kind: 'message_received', type: 'system', text: 'User id changed', content: { type: 'system', systemType: 'user_changed_user_id', body: 'User id changed' } });
  });

  it('reads an unsupported message with error 131051 and the unsupported feature', () => {
    const m = message('inbound-unsupported.json');
    expect(m).toMatchObject({ type: 'unsupported', content: { type: 'unsupported', unsupportedType: 'poll_creation' } });
    expect(m.errors).toEqual([
      { code: 131051, title: 'Message type unknown', message: 'Message type unknown', details: 'Message type is currently not supported.', href: null },
    ]);
  });

  it('reports value-level errors 131000 next to the message Meta could not render', () => {
    const [received, error] = eventsFrom('inbound-interactive-with-value-errors-131000.json');
    expect(received).toMatchObject({ kind: 'message_received', type: 'interactive', content: null, text: null });
    expect(error).toEqual({
      kind: 'webhook_error',
      wabaId: '204857361209384',
      business: { phoneNumberId: '118274650392817', displayPhoneNumber: '15557340192' },
      errors: [{ code: 131000, title: 'Something went wrong', message: 'Something went wrong', details: 'Unsupported webhook payload', href: null }],
    });
  });

  it('reads a reply context with the quoted wamid', () => {
    expect(message('inbound-text-reply-context.json').context).toEqual({
      from: '15557340192',
      quotedWamid: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAERgSMDhFNzkzQ0QzQUMzQTVGQjIxAA==',
      forwarded: false,
      frequentlyForwarded: false,
      referredProduct: null,
    });
  });

  it('treats a frequently forwarded message as forwarded too', () => {
    expect(message('inbound-text-frequently-forwarded.json').context).toMatchObject({ forwarded: true, frequentlyForwarded: true });
  });

  it('reads the product a "Message business" inquiry refers to', () => {
    expect(message('inbound-text-product-inquiry.json').context?.referredProduct).toEqual({
      catalogId: '194836987003835',
      productRetailerId: 'sku_blue_mug_01',
    });
  });

  it('reads a Click-to-WhatsApp referral with ctwa_clid and the welcome message', () => {
    const m = message('inbound-text-ctwa-referral.json');
    expect(m.from.waId).toBe('5215512345678');
    expect(m.referral).toEqual({
      sourceUrl: 'https://fb.me/7xQz2LmNp',
      sourceId: '120226305854810726',
      sourceType: 'ad',
      headline: 'Escríbenos por WhatsApp',
      body: 'Envío gratis en todo México este fin de semana',
      mediaType: 'image',
      imageUrl: 'https://scontent.xx.fbcdn.net/v/t45.1600-4/fake_ad_image.jpg',
      videoUrl: null,
      thumbnailUrl: null,
      ctwaClid: expect.stringMatching(/^Aff-n8ZTODiE79d22/),
      welcomeMessage: '¡Hola! ¿En qué te podemos ayudar?',
    });
  });

  it('reads the \\u-escaped signature vector body like the plain fixture', () => {
    expect(message('webhook-signature-vector.json')).toMatchObject({ text: '¿Me pueden dar más información?', from: { profileName: 'Carlos Hernández' } });
  });
});

describe('statuses', () => {
  it.each([
    ['status-sent-pmp-v24-marketing.json', 'sent'],
    ['status-delivered-pmp-v24-service-free.json', 'delivered'],
    ['status-read-v24.json', 'read'],
    ['status-played-voice.json', 'played'],
    ['status-failed-131047.json', 'failed'],
  ])('%s is recognised as %s', (file, expected) => {
    expect(status(file)).toMatchObject({ status: expected, rawStatus: expected });
  });

  it('reads a sent status with PMP pricing, the callback data and the recipient from the contacts block', () => {
    expect(status('status-sent-pmp-v24-marketing.json')).toMatchObject({
      wamid: 'wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSNkEwRDMzRTFDOUYyNDcxQjhFAA==',
      timestamp: 1791040000000,
      pricing: { model: 'PMP', type: 'regular', category: 'marketing', billable: true },
      conversation: null,
      bizOpaqueCallbackData: 'crm:campaign=spring-sale;contact=8812',
      recipient: { waId: '551187654321', bsuid: 'BR.27403918572640193841', parentBsuid: null, profileName: 'Ana Souza', username: null },
      errors: [],
    });
  });

  it('reads legacy CBP pricing (no type) and the conversation with its expiry in ms', () => {
    expect(status('status-sent-cbp-legacy.json')).toMatchObject({
      pricing: { model: 'CBP', type: null, category: 'service', billable: true },
      conversation: { id: '62d207825745e6597de71d002affa326', originType: 'service', expiresAt: 1717086420000 },
      recipient: { waId: '919812345678', bsuid: null, profileName: null },
    });
    expect(status('status-delivered-cbp-legacy-marketing.json').conversation).toEqual({
      id: '9c1f0a7e2b3d4c5e6f708192a3b4c5d6',
      originType: 'marketing',
      expiresAt: null,
    });
  });

  it('reads PMP pricing types: free customer service, free entry point, and regular service', () => {
    expect(status('status-delivered-pmp-v23-utility-free-in-window.json').pricing).toEqual({ model: 'PMP', type: 'free_customer_service', category: 'utility', billable: false });
    expect(status('status-sent-free-entry-point.json')).toMatchObject({
      pricing: { model: 'PMP', type: 'free_entry_point', category: 'referral_conversion', billable: false },
      conversation: { originType: 'referral_conversion', expiresAt: 1791302640000 },
    });
    expect(status('status-delivered-service-billable-2026-10-UNCONFIRMED.json').pricing).toEqual({ model: 'PMP', type: 'regular', category: 'service', billable: true });
  });

  it('reads a read status without pricing or conversation', () => {
    expect(status('status-read-v24.json')).toMatchObject({ pricing: null, conversation: null, timestamp: 1791040200000 });
  });

  it.each([
    ['status-failed-131047.json', 131047, 'Re-engagement message', /more than 24 hours/],
    ['status-failed-131049.json', 131049, 'This message was not delivered to maintain healthy ecosystem engagement.', /healthy ecosystem/],
    ['status-failed-131026.json', 131026, 'Message undeliverable', /Undeliverable/],
    ['status-failed-131050.json', 131050, expect.stringMatching(/stop receiving marketing/), /stop receiving marketing/],
  ])('%s carries error %i with title and details', (file, code, title, details) => {
    const s = status(file);
    expect(s.status).toBe('failed');
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]).toMatchObject({ code, title, details: expect.stringMatching(details), href: '/documentation/business-messaging/whatsapp/support/error-codes' });
  });

  it('identifies the recipient by BSUID when the status has no recipient_id', () => {
    const s = status('status-failed-132015-template-paused-bsuid-recipient.json');
    expect(s.recipient).toEqual({ waId: null, bsuid: 'BR.84720193857201938462', parentBsuid: null, profileName: null, username: null });
    expect(s.errors[0]).toMatchObject({ code: 132015, title: 'Template is Paused' });
  });

  it('keeps an unknown status string with status null', () => {
    const [event] = eventsOf(envelopeWith('messages', { metadata: METADATA, statuses: [{ id: 'wamid.X', status: 'deleted', timestamp: '1700000000', recipient_id: '1' }] }));
    expect(event).toMatchObject({ kind: 'status_changed', status: null, rawStatus: 'deleted', timestamp: 1700000000000 });
  });
});

describe('batch', () => {
  it('yields 3 messages from 2 users, 3 statuses in the order sent, and the template approval', () => {
    const events = eventsFrom('batch-messages-and-statuses.json');
    const messages = events.filter((e): e is MessageReceived => e.kind === 'message_received');
    const statuses = events.filter((e): e is StatusChanged => e.kind === 'status_changed');
    expect(messages.map((m) => [m.from.waId, m.from.profileName, m.type])).toEqual([
      ['551187654321', 'Ana Souza', 'text'],
      ['551187654321', 'Ana Souza', 'image'],
      ['447700900123', 'Oliver Bennett', 'text'],
    ]);
    expect(statuses.map((s) => [s.status, s.timestamp, s.recipient.profileName])).toEqual([
      ['read', 1791046001000, 'Carlos Hernández'],
      ['delivered', 1791045990000, 'Carlos Hernández'],
      ['failed', 1791046004000, null],
    ]);
    expect(events.at(-1)).toMatchObject({ kind: 'field_update', field: 'message_template_status_update', time: 1791046005000, value: { event: 'APPROVED' } });
  });
});

describe('other fields', () => {
  it.each([
    ['user-preferences-stop.json', 'stop', 1791047600000],
    ['user-preferences-resume.json', 'resume', 1791047700000],
  ])('%s becomes a marketing preference change to %s', (file, value, timestamp) => {
    expect(only(file, 'marketing_preference_changed')).toMatchObject({
      category: 'marketing_messages',
      value,
      timestamp,
      detail: expect.stringContaining(value),
      user: { waId: '551187654321', bsuid: 'BR.27403918572640193841', profileName: 'Ana Souza' },
    });
  });

  it('turns user_id_update into a BSUID change', () => {
    expect(only('user-id-update.json', 'bsuid_changed')).toEqual({
      kind: 'bsuid_changed',
      wabaId: '204857361209384',
      waId: '447700900123',
      previousBsuid: 'GB.46192730581648293057',
      currentBsuid: 'GB.71093846520193847560',
      timestamp: 1791047800000,
    });
  });

  it.each([
    ['template-status-approved.json', 'message_template_status_update', 1791047000000],
    ['template-status-rejected-invalid-format.json', 'message_template_status_update', 1791047060000],
    ['template-status-paused.json', 'message_template_status_update', 1791047120000],
    ['template-category-update-impending.json', 'template_category_update', 1791047200000],
    ['template-category-update-completed.json', 'template_category_update', 1791133600000],
    ['template-quality-update.json', 'message_template_quality_update', 1791047300000],
    ['phone-number-quality-update.json', 'phone_number_quality_update', 1791047400000],
    ['business-capability-update.json', 'business_capability_update', 1791047450000],
    ['account-update-violation.json', 'account_update', 1791047500000],
  ])('%s becomes a field_update for %s with the raw value', (file, field, time) => {
    const body = loadBody(file) as { entry: { changes: { value: unknown }[] }[] };
    expect(only(file, 'field_update')).toEqual({ kind: 'field_update', wabaId: '204857361209384', field, time, value: body.entry[0]?.changes[0]?.value });
  });

  it('turns a coexistence echo into message_echoed addressed to the user', () => {
    expect(only('smb-message-echoes-text.json', 'message_echoed')).toMatchObject({
      wamid: 'wamid.HBgMNTUxMTg3NjU0MzIxFQIAERgSRTFDMERFNUExMUIyQzNENEU1AA==',
      to: { waId: '551187654321', bsuid: 'BR.27403918572640193841', profileName: 'Ana Souza' },
      timestamp: 1791047900000,
      type: 'text',
      text: 'Enviado pelo app WhatsApp Business no celular',
    });
  });
});

describe('malformed items inside a valid envelope', () => {
  it('surfaces a message without an id as a field_update of its change, next to the messages that parsed', () => {
    const value = { metadata: METADATA, messages: [{ from: '1', type: 'text', text: { body: 'no id' } }, { id: 'wamid.OK', from: '1', timestamp: '1', type: 'text', text: { body: 'ok' } }] };
    const events = eventsOf(envelopeWith('messages', value));
    expect(events.map((e) => e.kind)).toEqual(['message_received', 'field_update']);
    expect(events[1]).toMatchObject({ field: 'messages', value });
  });

  it('surfaces items that are not objects, and values that are not objects, as field_update', () => {
    expect(eventsOf(envelopeWith('messages', { statuses: ['oops'] })).map((e) => e.kind)).toEqual(['field_update']);
    expect(eventsOf(envelopeWith('messages', 'oops')).map((e) => e.kind)).toEqual(['field_update']);
    expect(eventsOf(envelopeWith('user_id_update', { user_id_update: [{ wa_id: '1' }] })).map((e) => e.kind)).toEqual(['field_update']);
  });

  it('falls back to entry.time, then 0, when a message has no readable timestamp', () => {
    const body = { object: 'whatsapp_business_account', entry: [{ id: 'w', time: 1700000000, changes: [{ field: 'messages', value: { messages: [{ id: 'wamid.T', timestamp: 'soon', type: 'text' }] } }] }] };
    expect(eventsOf(body)[0]).toMatchObject({ timestamp: 1700000000000, text: null, from: { waId: null } });
    expect(eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.T', type: 'text' }] }))[0]).toMatchObject({ timestamp: 0 });
  });

  it('does not borrow the only contact when it names someone else', () => {
    const value = { contacts: [{ wa_id: '2', profile: { name: 'Other' } }], messages: [{ id: 'wamid.A', from: '1', timestamp: '1', type: 'text' }] };
    expect((eventsOf(envelopeWith('messages', value))[0] as MessageReceived).from).toMatchObject({ waId: '1', profileName: null });
  });

  it('reads a reaction without a target as an unknown message instead of dropping it', () => {
    const [event] = eventsOf(envelopeWith('messages', { messages: [{ id: 'wamid.R', from: '1', timestamp: '1', type: 'reaction', reaction: { emoji: '👍' } }] }));
    expect(event).toMatchObject({ kind: 'message_received', type: 'unknown', rawType: 'reaction', content: { type: 'raw', value: { emoji: '👍' } } });
  });
});

describe('OpenAPI webhook examples', () => {
  const spec = parseYaml(readFileSync(OPENAPI, 'utf8')) as {
    paths: Record<string, { post: { requestBody: { content: Record<string, { examples: Record<string, { value: unknown }> }> } } }>;
  };
  const examples = Object.entries(spec.paths['/whatsapp/webhooks']?.post.requestBody.content['application/json']?.examples ?? {});

  it('are found in the spec', () => {
    expect(examples.length).toBeGreaterThanOrEqual(16);
  });

  it.each(examples)('"%s" parses and yields at least one event', (_name, example) => {
    const events = eventsOf(example.value);
    expect(events.length).toBeGreaterThan(0);
    const fields = (example.value as { entry: { changes: { field: string }[] }[] }).entry.flatMap((e) => e.changes.map((c) => c.field));
    // Message examples must be fully understood, not fall back to a raw field_update.
    if (fields.every((f) => f === 'messages')) expect(events.map((e) => e.kind)).not.toContain('field_update');
  });
});

describe('properties', () => {
  const KNOWN_TYPES = ['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button', 'order', 'system', 'unsupported', 'reaction'];
  const field = fc.oneof(fc.constantFrom('messages', 'smb_message_echoes', 'user_preferences', 'user_id_update'), fc.string());
  const messageLike = fc.record(
    {
      id: fc.oneof(fc.string(), fc.jsonValue()),
      from: fc.oneof(fc.string(), fc.jsonValue()),
      timestamp: fc.oneof(fc.integer({ min: 0 }).map(String), fc.jsonValue()),
      type: fc.oneof(fc.constantFrom(...KNOWN_TYPES), fc.jsonValue()),
      text: fc.jsonValue(),
      image: fc.jsonValue(),
      location: fc.jsonValue(),
      contacts: fc.jsonValue(),
      interactive: fc.oneof(fc.record({ type: fc.constantFrom('button_reply', 'list_reply', 'nfm_reply'), button_reply: fc.jsonValue(), list_reply: fc.jsonValue(), nfm_reply: fc.jsonValue() }), fc.jsonValue()),
      button: fc.jsonValue(),
      reaction: fc.jsonValue(),
      order: fc.jsonValue(),
      system: fc.jsonValue(),
      context: fc.jsonValue(),
      referral: fc.jsonValue(),
      errors: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const item = fc.oneof(fc.jsonValue(), messageLike);
  const value = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        metadata: fc.jsonValue(),
        contacts: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
        messages: fc.array(item),
        statuses: fc.array(item),
        errors: fc.array(fc.jsonValue()),
        message_echoes: fc.array(item),
        user_preferences: fc.array(fc.jsonValue()),
        user_id_update: fc.array(fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it('never throws on arbitrary JSON inside a valid envelope, and never drops a change', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ field, value }), { maxLength: 4 }), (changes) => {
        const parsed = parseWebhookEnvelope({ object: 'whatsapp_business_account', entry: [{ id: 'w', changes }] });
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        const events = toInboundEvents(parsed.envelope);
        expect(events.length).toBeGreaterThanOrEqual(changes.length);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a message of any unknown type as type unknown with its raw JSON kept', () => {
    const unknownType = fc.string().filter((t) => !KNOWN_TYPES.includes(t) && !['id', 'from', 'timestamp', 'type'].includes(t));
    fc.assert(
      fc.property(unknownType, fc.jsonValue(), (type, payload) => {
        const sent = { id: 'wamid.U', from: '16505550142', timestamp: '1791043200', type, [type]: payload };
        const events = eventsOf(envelopeWith('messages', { metadata: METADATA, messages: [sent] }));
        expect(events).toHaveLength(1);
        const event = events[0] as MessageReceived;
        expect(event).toMatchObject({ kind: 'message_received', type: 'unknown', rawType: type, text: null, media: null });
        expect(event.raw).toBe(sent);
        expect(event.content).toEqual({ type: 'raw', value: payload });
      }),
    );
  });
});
