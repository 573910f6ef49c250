/**
 * Checks the simulator against Meta's own OpenAPI description (test/fixtures/openapi/, v23.0):
 * its success and error responses, a sample of request bodies, and the webhooks it sends, with
 * ajv + ajv-formats (strict: false: the file uses OpenAPI keywords such as `discriminator`,
 * `example` and `format: int32/binary/url`).
 *
 * The file cannot be used as it is, and the repairs below are deliberate and listed:
 * 1. Every message schema is `allOf: [BaseMessageProperties, {additionalProperties: false, …}]`.
 *    In JSON Schema the second member then forbids the base's own fields (`messaging_product`,
 *    `to`, …), so no real request validates, not even Meta's examples. We drop
 *    `additionalProperties: false` inside `allOf` members.
 * 2. The webhook schemas were merged in with name clashes: `IncomingMessage` points at the *send*
 *    schemas (`TextMessage`, …) and the webhook messages extend the send-side
 *    `BaseMessageProperties`. We point them at the webhook variants (`TextMessage_2`,
 *    `ImageMessage_1`, …, `BaseMessageProperties_1`).
 * Left as found (so not validated): `LocationMessage` types latitude/longitude as strings while
 * Meta's own example sends numbers; `TemplateComponent.index` has the pattern `^[2-6, 11-14]$`,
 * which refuses index "0"; `InteractiveObject.type` lacks `cta_url`; `LanguageObject` requires
 * `policy`; `TextMessage.text.body` is not required; `Change.field` only lists `messages` and group fields; webhook messages require `from`,
 * which username-only users (2026) do not have; contact/status schemas predate BSUIDs but are open.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseSendRequest } from './send-request.js';
import { NUMBER_ID, startHarness, TOKEN, WABA_ID, type Harness } from './testing/harness.js';

type Json = Record<string, unknown>;
const doc = parseYaml(readFileSync(new URL('../../test/fixtures/openapi/business-messaging-api_v23.0.yaml', import.meta.url), 'utf8')) as { paths: Json; components: Json };

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ?? addFormatsPlugin) as (ajv: Ajv) => Ajv;

/** Repairs 1 and 2 of the header comment, on a deep copy. */
function repaired(components: Json): Json {
  const copy = structuredClone(components) as { schemas: Record<string, Json> };
  const dropClosedAllOf = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(dropClosedAllOf);
    if (typeof node !== 'object' || node === null) return;
    const obj = node as Json;
    if (Array.isArray(obj['allOf'])) for (const member of obj['allOf'] as Json[]) if (member['additionalProperties'] === false) delete member['additionalProperties'];
    Object.values(obj).forEach(dropClosedAllOf);
  };
  dropClosedAllOf(copy);

  const webhookVariant: Record<string, string> = {
    TextMessage: 'TextMessage_2',
    ReactionMessage: 'ReactionMessage_1',
    AudioMessage: 'AudioMessage_1',
    DocumentMessage: 'DocumentMessage_1',
    ImageMessage: 'ImageMessage_1',
    StickerMessage: 'StickerMessage_1',
    VideoMessage: 'VideoMessage_1',
    LocationMessage: 'LocationMessage_1',
  };
  const incoming = copy.schemas['IncomingMessage'] as { oneOf: { $ref: string }[] };
  for (const branch of incoming.oneOf) {
    const name = branch.$ref.split('/').pop() as string;
    if (webhookVariant[name]) branch.$ref = `#/components/schemas/${webhookVariant[name]}`;
  }
  const webhookSchemas = [...Object.values(webhookVariant), 'ContactSharingMessage', 'UnsupportedMessage', 'ButtonMessage', 'InteractiveMessageReply', 'OrderMessage', 'SystemMessage'];
  for (const name of webhookSchemas) {
    for (const member of (copy.schemas[name]?.['allOf'] as Json[] | undefined) ?? []) {
      if (member['$ref'] === '#/components/schemas/BaseMessageProperties') member['$ref'] = '#/components/schemas/BaseMessageProperties_1';
    }
  }
  return copy;
}

function compiler(components: Json) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'meta', components }, 'meta');
  return {
    component: (name: string) => ajv.compile({ $ref: `meta#/components/schemas/${name}` }),
    inline: (schema: unknown) => ajv.compile({ $id: `inline-${Math.random()}`, ...(schema as Json) }),
  };
}

const raw = compiler(doc.components);
const fixed = compiler(repaired(doc.components));

const operation = (path: string, method: string) => (doc.paths[path] as Record<string, Json>)[method] as Json;
const responseSchema = (path: string, method: string) =>
  ((((operation(path, method)['responses'] as Json)['200'] as Json)['content'] as Json)['application/json'] as Json)['schema'];
const requestSchema = (path: string, method: string, type = 'application/json') =>
  (((operation(path, method)['requestBody'] as Json)['content'] as Json)[type] as Json)['schema'];

function expectValid(validate: ValidateFunction, value: unknown, label = '') {
  const valid = validate(value);
  expect(valid, `${label} ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness({
    templates: [{ name: 'order_shipped', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped.' }] }],
  });
  h.sim.customerSays(h.sim.addCustomer({ name: 'Ana Souza', waId: '16505550142' }), NUMBER_ID, 'hi');
});
afterEach(() => h.close());

const sampleRequests: Json[] = [
  { type: 'text', text: { body: 'Hello 👋', preview_url: false } },
  { type: 'image', image: { id: '1003383421387256' } },
  { type: 'image', image: { link: 'https://example.com/a.jpg' } },
  { type: 'video', video: { link: 'https://example.com/a.mp4' } },
  { type: 'audio', audio: { id: '1234567890987654' } },
  { type: 'document', document: { link: 'https://example.com/invoice.pdf' } },
  { type: 'sticker', sticker: { id: '8273645501928374' } },
  { type: 'contacts', contacts: [{ name: { formatted_name: 'Support', first_name: 'Support' }, phones: [{ phone: '+15557340192', type: 'WORK' }] }] },
  { type: 'interactive', interactive: { type: 'button', body: { text: 'Reschedule?' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] } } },
  { type: 'interactive', interactive: { type: 'list', body: { text: 'Shipping?' }, action: { button: 'Options', sections: [{ title: 'Speed', rows: [{ id: 'express', title: 'Express' }] }] } } },
  {
    type: 'template',
    template: { name: 'order_shipped', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '4411' }] }] },
  },
  { type: 'reaction', reaction: { message_id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', emoji: '👍' } },
].map((body) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505550142', ...body }));

describe("Meta's OpenAPI description", () => {
  it('as published, refuses even a plain text request (the allOf + additionalProperties:false flaw)', () => {
    expect(raw.component('Message')(sampleRequests[0])).toBe(false);
  });

  it('(repaired) still refuses what it should: no `to`, no content object, a wrong type (but it is loose: `text.body` is optional)', () => {
    const validate = fixed.component('Message');
    const { to: _to, ...noTo } = sampleRequests[0]!;
    expect(validate(noTo)).toBe(false);
    const { text: _text, ...noText } = sampleRequests[0]!;
    expect(validate(noText)).toBe(false);
    expect(validate({ ...sampleRequests[0], type: 'carrier_pigeon' })).toBe(false);
    expect(validate({ ...sampleRequests[0], text: {} })).toBe(true);
  });

  it('keeps flaws we did not repair: numeric coordinates, button index "0", cta_url, template language without policy', () => {
    const validate = fixed.component('Message');
    const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505550142' };
    expect(validate({ ...base, type: 'location', location: { latitude: 37.48, longitude: -122.14 } })).toBe(false);
    expect(validate({ ...base, type: 'location', location: { latitude: '37.48', longitude: '-122.14' } })).toBe(true);
    const template = (extra: Json) => ({ ...base, type: 'template', template: { name: 't', language: { code: 'en_US', policy: 'deterministic' }, ...extra } });
    expect(validate(template({ components: [{ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'X' }] }] }))).toBe(false);
    expect(validate({ ...base, type: 'template', template: { name: 't', language: { code: 'en_US' } } })).toBe(false);
    expect(validate({ ...base, type: 'interactive', interactive: { type: 'cta_url', body: { text: 'x' }, action: { name: 'cta_url', parameters: { display_text: 'x', url: 'https://x' } } } })).toBe(false);
  });

  it('(repaired) accepts our sample requests, and the simulator accepts them too', async () => {
    const validate = fixed.component('Message');
    for (const body of sampleRequests) {
      expectValid(validate, body, String(body['type']));
      const res = await h.send(body);
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  it('describes our send responses (MessageResponsePayload), mark-read (MarkMessageResponsePayload) and errors (ErrorResponse)', async () => {
    const sendResponse = raw.component('MessageResponsePayload');
    for (const body of sampleRequests) expectValid(sendResponse, (await h.send(body)).json(), String(body['type']));
    const markRead = await h.send({ status: 'read', message_id: h.sim.receivedMessages()[0]!.wamid, typing_indicator: { type: 'text' } });
    expectValid(raw.component('MarkMessageResponsePayload'), markRead.json());

    const errorResponse = raw.component('ErrorResponse');
    const errors = [
      await h.send({ to: '16505550142', type: 'text', text: {} }),
      await h.send({ to: '447700900123', type: 'text', text: { body: 'x' } }),
      await h.send({ to: '16505550142', type: 'template', template: { name: 'nope', language: { code: 'en_US' } } }),
      await h.graph('POST', `/v23.0/${NUMBER_ID}/messages`, sampleRequests[0], { authorization: 'Bearer wrong' }),
    ];
    h.sim.injectError({ httpStatus: 503 });
    errors.push(await h.send(sampleRequests[0]!));
    for (const res of errors) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expectValid(errorResponse, res.json());
    }
  });

  it('describes the media endpoints: upload, metadata, delete', async () => {
    const base = await h.sim.listen(0);
    const form = new FormData();
    form.set('messaging_product', 'whatsapp');
    form.set('file', new Blob([Buffer.from('%PDF-1.4')], { type: 'application/pdf' }), 'a.pdf');
    expectValid(fixed.inline(requestSchema('/{Version}/{Phone-Number-ID}/media', 'post', 'multipart/form-data')), { messaging_product: 'whatsapp', file: 'binary' });
    const upload = (await (await fetch(`${base}/v23.0/${NUMBER_ID}/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { id: string };
    expectValid(fixed.inline(responseSchema('/{Version}/{Phone-Number-ID}/media', 'post')), upload);
    const metadata = await h.graph('GET', `/v23.0/${upload.id}`);
    expectValid(fixed.inline(responseSchema('/{Version}/{Media-ID}', 'get')), metadata.json());
    const deleted = await h.graph('DELETE', `/v23.0/${upload.id}`);
    expectValid(fixed.inline(responseSchema('/{Version}/{Media-ID}', 'delete')), deleted.json());
  });

  it('describes the template endpoints: list (with paging) and create, request and response', async () => {
    const list = await h.graph('GET', `/v23.0/${WABA_ID}/message_templates?limit=1`);
    expect(list.json().paging.cursors).toBeDefined();
    expectValid(fixed.inline(responseSchema('/{Version}/{WABA-ID}/message_templates', 'get')), list.json());
    const create = {
      name: 'order_ready',
      category: 'UTILITY',
      language: 'en_US',
      components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is ready.', example: { body_text: [['Ana', '4411']] } }],
    };
    expectValid(fixed.inline(requestSchema('/{Version}/{WABA-ID}/message_templates', 'post')), create);
    const created = await h.graph('POST', `/v23.0/${WABA_ID}/message_templates`, create);
    expectValid(fixed.inline(responseSchema('/{Version}/{WABA-ID}/message_templates', 'post')), created.json());
  });

  it('(repaired) describes the messages webhooks we send: inbound messages of each kind and statuses', async () => {
    const ana = h.sim.customer('16505550142');
    const sent = (await h.send(sampleRequests[0]!)).json().messages[0].id as string;
    h.sim.customerSendsMedia(ana, 'image', Buffer.from('jpeg'), 'image/jpeg', 'photo');
    h.sim.customerSendsMedia(ana, 'document', Buffer.from('%PDF'), 'application/pdf', 'invoice', { filename: 'invoice.pdf' });
    h.sim.customerReacts(ana, sent, '👍');
    h.sim.customerRepliesToButton(ana, sent, { payload: 'YES', text: 'Yes' });
    h.sim.customerTapsInteractive(ana, sent, { buttonReply: { id: 'yes', title: 'Yes' } });
    await h.sim.idle();
    const validate = fixed.component('WebhookPayload');
    const messagesField = h.hub.accepted().filter((r) => JSON.stringify(r.body).includes('"field":"messages"'));
    expect(messagesField.length).toBeGreaterThanOrEqual(9);
    for (const r of messagesField) expectValid(validate, r.body, r.rawBody.toString().slice(0, 200));
    // Not vacuous: a body without metadata, or a message without its id, is refused.
    const broken = structuredClone(messagesField[0]!.body) as { entry: { changes: { value: Json }[] }[] };
    delete broken.entry[0]!.changes[0]!.value['metadata'];
    expect(validate(broken)).toBe(false);
    const inbound = messagesField.find((r) => JSON.stringify(r.body).includes('"messages":['))!;
    const noId = structuredClone(inbound.body) as { entry: { changes: { value: { messages: Json[] } }[] }[] };
    delete noId.entry[0]!.changes[0]!.value.messages[0]!['id'];
    expect(validate(noId)).toBe(false);
  });

  it("has request examples that the simulator's request parser all accepts", () => {
    const examples = (((operation('/{Version}/{Phone-Number-ID}/messages', 'post')['requestBody'] as Json)['content'] as Json)['application/json'] as { examples: Record<string, { value: unknown }> }).examples;
    expect(Object.keys(examples).length).toBeGreaterThan(40);
    for (const [name, { value }] of Object.entries(examples)) {
      // Fill Meta's placeholders in: a phone for `to`, real URLs for `<http(s)://…>`, short values for `<…>`.
      const filled = JSON.parse(
        JSON.stringify(value)
          .replaceAll('{{Recipient-Phone-Number}}', '16505550142')
          .replace(/<?http\(s\):\/\/([^">]*)>?/g, 'https://example.com/$1')
          .replace(/<[A-Z0-9_-]+>/g, 'x'),
      ) as unknown;
      const parsed = parseSendRequest(filled);
      expect(parsed.ok, `${name}: ${JSON.stringify(parsed)}`).toBe(true);
    }
  });
});
