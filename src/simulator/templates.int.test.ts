import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseWebhookEnvelope, toInboundEvents } from '../modules/inbound/index.js';
import type { TemplateSeed } from './schemas.js';
import { startHarness, TOKEN, WABA_ID, type Harness } from './testing/harness.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const seeds: TemplateSeed[] = Array.from({ length: 7 }, (_, i) => ({
  name: `template_${i}`,
  language: 'en_US',
  category: i % 2 === 0 ? 'UTILITY' : 'MARKETING',
  status: i === 6 ? 'REJECTED' : 'APPROVED',
  components: [{ type: 'BODY', text: `Body ${i}` }],
}));

let h: Harness;
let base: string;
beforeEach(async () => {
  h = await startHarness({ templates: seeds });
  base = await h.sim.listen(0);
});
afterEach(() => h.close());

const get = async (url: string) => {
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown>[]; paging?: { cursors: { before: string; after: string }; next?: string; previous?: string } } };
};

describe('GET /{waba-id}/message_templates', () => {
  it("pages with Meta's cursors: `next` until the last page, where it is absent", async () => {
    const names: unknown[] = [];
    let page = await get(`${base}/v23.0/${WABA_ID}/message_templates?limit=3`);
    const pages = [page];
    expect(Object.keys(page.body)).toEqual(Object.keys(fixture('graph-template-list-page')));
    expect(page.body.data[0]).toEqual({ name: 'template_0', parameter_format: 'POSITIONAL', components: [{ type: 'BODY', text: 'Body 0' }], language: 'en_US', status: 'APPROVED', category: 'UTILITY', id: expect.stringMatching(/^\d{16}$/) });
    names.push(...page.body.data.map((t) => t['name']));
    while (page.body.paging?.next) {
      page = await get(page.body.paging.next);
      pages.push(page);
      names.push(...page.body.data.map((t) => t['name']));
    }
    expect(pages.map((p) => p.body.data.length)).toEqual([3, 3, 1]);
    expect(names).toEqual(seeds.map((s) => s.name));
    expect(pages[0]!.body.paging).not.toHaveProperty('previous');
    expect(pages[2]!.body.paging).not.toHaveProperty('next');
    const back = await get(pages[2]!.body.paging!.previous!);
    expect(back.body.data.map((t) => t['name'])).toEqual(['template_3', 'template_4', 'template_5']);
  });

  it('filters by status and category and returns only the requested fields (plus id)', async () => {
    const { body } = await get(`${base}/v23.0/${WABA_ID}/message_templates?status=APPROVED&category=marketing&fields=name,status`);
    expect(body.data).toEqual([1, 3, 5].map((i) => ({ name: `template_${i}`, status: 'APPROVED', id: expect.any(String) })));
    expect((await get(`${base}/v23.0/${WABA_ID}/message_templates?name=nothing`)).body).toEqual({ data: [] });
  });

  it('answers 100/33 for an unknown WABA and reads one template by id', async () => {
    expect((await get(`${base}/v23.0/1/message_templates`)).body).toMatchObject({ error: { code: 100, error_subcode: 33 } });
    const id = h.sim.templates()[0]!.id;
    expect((await get(`${base}/v23.0/${id}`)).body).toMatchObject({ name: 'template_0', id });
  });
});

describe('POST /{waba-id}/message_templates', () => {
  const create = (body: Record<string, unknown>) => h.graph('POST', `/v23.0/${WABA_ID}/message_templates`, body);
  const valid = {
    name: 'order_ready',
    category: 'UTILITY',
    language: 'en_US',
    components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is ready.', example: { body_text: [['Ana', '4411']] } }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }] }],
  };

  it('creates a template as PENDING, then approves it with a signed webhook shaped like template-status-approved.json', async () => {
    const res = await create(valid);
    expect(res.statusCode).toBe(200);
    const created = res.json();
    expect(created).toEqual({ id: expect.stringMatching(/^\d{16}$/), status: 'PENDING', category: 'UTILITY' });
    expect(Object.keys(created)).toEqual(Object.keys(fixture('graph-template-create')));

    const [webhook] = await h.hub.waitFor((a) => a.length === 1);
    expect(webhook!.signatureValid).toBe(true);
    const expected = fixture('template-status-approved') as { entry: { changes: { value: Record<string, unknown> }[] }[] };
    expect(webhook!.body).toEqual({
      entry: [{ id: WABA_ID, time: expect.any(Number), changes: [{ value: { ...expected.entry[0]!.changes[0]!.value, message_template_id: Number(created.id), message_template_name: 'order_ready', message_template_language: 'en_US' }, field: 'message_template_status_update' }] }],
      object: 'whatsapp_business_account',
    });
    const parsed = parseWebhookEnvelope(webhook!.body);
    expect(parsed.ok && toInboundEvents(parsed.envelope)).toMatchObject([{ kind: 'field_update', field: 'message_template_status_update' }]);

    // Approved templates can be sent.
    const sent = await h.send({ to: '551187654321', type: 'template', template: { name: 'order_ready', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '4411' }] }] } });
    expect(sent.statusCode).toBe(200);
  });

  it('cannot send a template while it is PENDING', async () => {
    await h.close();
    h = await startHarness({ templateReviewDelayMs: 60_000 });
    await create(valid);
    const sent = await h.send({ to: '551187654321', type: 'template', template: { name: 'order_ready', language: { code: 'en_US' } } });
    expect(sent.json().error.code).toBe(132001);
  });

  it('rejects by rule (names containing "reject") with rejection_info, like template-status-rejected-invalid-format.json', async () => {
    await create({ ...valid, name: 'please_reject_me' });
    const [webhook] = await h.hub.waitFor((a) => a.length === 1);
    const value = (webhook!.body as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]!.changes[0]!.value;
    const expected = (fixture('template-status-rejected-invalid-format') as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]!.changes[0]!.value;
    expect(Object.keys(value)).toEqual(Object.keys(expected));
    expect(value).toMatchObject({ event: 'REJECTED', reason: 'INVALID_FORMAT', rejection_info: expected['rejection_info'] });
  });

  it('accepts a custom review rule', async () => {
    await h.close();
    h = await startHarness({ templateReview: () => ({ status: 'REJECTED', reason: 'PROMOTIONAL' }) });
    await create(valid);
    const [webhook] = await h.hub.waitFor((a) => a.length === 1);
    expect(JSON.stringify(webhook!.body)).toContain('"reason":"PROMOTIONAL"');
  });

  it('refuses invalid names and duplicates with error 100', async () => {
    const bad = await create({ ...valid, name: 'Order Ready!' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('name') } });
    await create(valid);
    expect((await create(valid)).json().error).toMatchObject({ code: 100, error_subcode: 2388024 });
    // The same name in another language is another template.
    expect((await create({ ...valid, language: 'pt_BR' })).statusCode).toBe(200);
  });
});

describe('template status changes', () => {
  it('pauses a template: the webhook has other_info, and sends fail with 132015', async () => {
    h.sim.setTemplateStatus({ name: 'template_1', language: 'en_US' }, 'PAUSED');
    const [webhook] = await h.hub.waitFor((a) => a.length === 1);
    const value = (webhook!.body as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry[0]!.changes[0]!.value;
    expect(value).toMatchObject({ event: 'PAUSED', message_template_name: 'template_1', other_info: { title: 'FIRST_PAUSE' } });
    const sent = await h.send({ to: '551187654321', type: 'template', template: { name: 'template_1', language: { code: 'en_US' } } });
    expect(sent.json().error.code).toBe(132015);
  });
});
