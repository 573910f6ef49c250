import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/test-databases.js';
import { uuidGenerator } from '../../platform/ids.js';
import type { TemplateSeed } from '../../simulator/index.js';
import { createContact, type Contact } from '../contacts/index.js';
import { formatCurrency, formatDateTime } from './core/fill-parameters.js';
import { prepareTemplateSend, type PrepareTemplateSendInput } from './prepare-template-send.js';
import { syncTemplates } from './sync-templates.js';
import { templateRepository } from './template.repository.js';
import { NUMBER_ID, startWorld, T0, TOKEN, WABA_ID, type World } from './testing/world.js';

/**
 * Authoring (validate → submit → PENDING → the review webhook), and filling templates for a
 * contact (preview and prepare-template-send), against the Meta simulator on real databases.
 * A prepared template is also sent to the simulator, which checks it the way Meta does.
 */

const ORDER_READY = {
  name: 'order_ready',
  category: 'UTILITY',
  language: 'en_US',
  components: [
    { type: 'BODY', text: 'Hi {{first_name}}, order {{order_number}} is ready.', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Ana' }, { param_name: 'order_number', example: 'A-1' }] } },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }] },
  ],
};

const reminder = (language: string, texts: { header: string; body: string; footer: string; pay: string; ok: string }): TemplateSeed => ({
  name: 'payment_reminder',
  language,
  category: 'UTILITY',
  parameter_format: 'NAMED',
  components: [
    { type: 'HEADER', format: 'TEXT', text: texts.header, example: { header_text_named_params: [{ param_name: 'first_name', example: 'Ana' }] } },
    {
      type: 'BODY',
      text: texts.body,
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Ana' },
          { param_name: 'outstanding_balance', example: '$10.00' },
          { param_name: 'appointment_time', example: 'May 1, 2026' },
        ],
      },
    },
    { type: 'FOOTER', text: texts.footer },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: texts.pay, url: 'https://pay.example.com/i/{{1}}', example: ['https://pay.example.com/i/F-1'] },
        { type: 'QUICK_REPLY', text: texts.ok },
      ],
    },
  ],
});

const CATALOGUE: TemplateSeed[] = [
  reminder('es', {
    header: 'Recordatorio para {{first_name}}',
    body: 'Hola {{first_name}}, su saldo es {{outstanding_balance}}. Su cita: {{appointment_time}}.',
    footer: 'Clínica Ejemplo',
    pay: 'Pagar',
    ok: 'Entendido',
  }),
  reminder('en_US', {
    header: 'Reminder for {{first_name}}',
    body: 'Hi {{first_name}}, your balance is {{outstanding_balance}}. Your appointment: {{appointment_time}}.',
    footer: 'Example Clinic',
    pay: 'Pay',
    ok: 'Got it',
  }),
  { name: 'spring_sale', language: 'en_US', category: 'MARKETING', status: 'PAUSED', components: [{ type: 'BODY', text: 'Spring sale: 20% off everything.' }] },
];

const MAPPING = {
  first_name: 'contact.firstName',
  outstanding_balance: { from: 'crm.balance', format: 'currency', currency: 'USD' },
  appointment_time: { from: 'crm.appointment_at', format: 'date_time' },
  'button.0': 'crm.invoice',
};

describe.each(DIALECTS)('templates API on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    await database.db.deleteFrom('template_events').execute();
    await database.db.deleteFrom('templates').execute();
    await database.db.deleteFrom('contacts').execute();
  });

  const world = async (options: Parameters<typeof startWorld>[1] = {}): Promise<World> => {
    const w = await startWorld(database.db, options);
    onTestFinished(() => w.close());
    return w;
  };
  const contact = async (w: World, input: { name: string; phone: string; locale: string | null; fields?: Record<string, unknown> }): Promise<Contact> => {
    const created = await createContact(database.db, input, { clock: w.clock, ids: uuidGenerator, defaultRegion: undefined });
    if (!created.ok) throw created.error;
    return created.value;
  };
  /** As queueMessage will call it: inside its transaction. */
  const prepare = (input: Omit<PrepareTemplateSendInput, 'wabaId' | 'defaultLocale'>) =>
    database.db.transaction().execute((trx) => prepareTemplateSend(trx, { wabaId: WABA_ID, defaultLocale: 'en_US', timeZone: 'UTC', ...input }));
  const post = (w: World, url: string, payload: unknown) => w.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as Record<string, unknown> });

  it('creates a template as PENDING, then the review webhook approves it and it can be sent', async () => {
    const w = await world();
    // 700 ms into a second: Meta's webhook times are whole seconds and must still count as newer.
    w.clock.set(T0 + 700);
    const created = await post(w, '/templates', ORDER_READY);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      name: 'order_ready',
      wabaId: WABA_ID,
      variants: [{ language: 'en_US', status: 'PENDING', category: 'UTILITY', parameterFormat: 'NAMED', metaTemplateId: expect.stringMatching(/^\d+$/), components: ORDER_READY.components }],
    });
    const metaId = created.json().variants[0].metaTemplateId as string;
    expect(w.sim.templates().find((t) => t.name === 'order_ready')).toMatchObject({ id: metaId, parameter_format: 'NAMED' });
    expect(await prepare({ contact: null, template: { name: 'order_ready', parameters: { body: ['Ana', 'A-1'] } } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_NOT_APPROVED', details: { status: 'PENDING' } } });

    await w.hub.waitFor((a) => a.length === 1);
    expect(await w.applyWebhooks()).toEqual(['applied']);
    const listed = await w.app.inject({ method: 'GET', url: '/api/v1/templates?name=order_ready' });
    expect(listed.json().data).toMatchObject([{ name: 'order_ready', variants: [{ status: 'APPROVED', metaTemplateId: metaId }] }]);
    const history = await w.app.inject({ method: 'GET', url: '/api/v1/templates/order_ready/history' });
    expect(history.json().data.map((e: { kind: string; newValue: string; source: string }) => [e.kind, e.newValue, e.source])).toEqual([
      ['created', 'PENDING', 'api'],
      ['status', 'APPROVED', 'webhook'],
    ]);

    const ana = await contact(w, { name: 'Ana Souza', phone: '+5511987654321', locale: 'en_US', fields: { order: 'A-1' } });
    const prepared = await prepare({ contact: ana, template: { name: 'order_ready', mapping: { first_name: 'contact.firstName', order_number: 'crm.order' } } });
    expect(prepared).toMatchObject({ ok: true, value: { category: 'utility', language: 'en_US', rule: 'contact_locale', preview: { body: 'Hi Ana, order A-1 is ready.' } } });
    const sent = await w.graph.sendMessage(NUMBER_ID, TOKEN, { to: '5511987654321', type: 'template', template: prepared.ok ? prepared.value.graphTemplate : null });
    expect(sent).toMatchObject({ ok: true, value: { wamid: expect.stringMatching(/^wamid\./) } });
  });

  it('stores a rejection with its reason; a rejected template previews but does not send', async () => {
    const w = await world();
    const created = await post(w, '/templates', { ...ORDER_READY, name: 'please_reject_me' });
    expect(created.json()).toMatchObject({ variants: [{ status: 'PENDING' }] });
    await w.hub.waitFor((a) => a.length === 1);
    expect(await w.applyWebhooks()).toEqual(['applied']);
    const variant = await templateRepository.findVariant(database.db, WABA_ID, 'please_reject_me', 'en_US');
    expect(variant).toMatchObject({ status: 'REJECTED', rejectionReason: expect.stringMatching(/^INVALID_FORMAT: Your template has parameters placed next to each other/) });
    expect(variant!.rejectionReason).toContain('Recommendation: Separate parameters');

    const preview = await post(w, '/templates/please_reject_me/preview', { parameters: { body: { first_name: 'Ana', order_number: '7' } } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ status: 'REJECTED', sendable: false, body: 'Hi Ana, order 7 is ready.' });
    expect(await prepare({ contact: null, template: { name: 'please_reject_me', parameters: { body: ['Ana', '7'] } } })).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_NOT_APPROVED', message: expect.stringContaining('REJECTED') },
    });
  });

  it("refuses a template that breaks Meta's rules with every violation, without calling Meta", async () => {
    const w = await world();
    const refused = await post(w, '/templates', {
      name: 'Order Ready',
      category: 'UTILITY',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hi {{1}} and {{2}}' },
        { type: 'BODY', text: 'Your order {{1}} is ready {{3}}' },
        { type: 'FOOTER', text: 'Reply {{1}}' },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track your order right now please', url: 'https://x.example.com/{{1}}/track' }] },
      ],
    });
    expect(refused.json().error).toMatchObject({ code: 'TEMPLATE_INVALID', message: expect.stringMatching(/^The template breaks \d+ of Meta's rules: name: /) });
    const violations = refused.json().error.details.violations as { path: string; code: string }[];
    expect(violations.map((v) => `${v.path} ${v.code}`).sort()).toEqual(
      [
        'name NAME_INVALID',
        'components[0].text HEADER_TOO_MANY_PARAMETERS',
        'components[0].example.header_text EXAMPLE_MISSING',
        'components[1].text BODY_ENDS_WITH_PARAMETER',
        'components[1].text PARAMETERS_NOT_SEQUENTIAL',
        'components[1].example.body_text EXAMPLE_MISSING',
        'components[2].text FOOTER_HAS_PARAMETERS',
        'components[3].buttons[0].text BUTTON_TEXT_TOO_LONG',
        'components[3].buttons[0].url BUTTON_URL_PARAMETER_INVALID',
      ].sort(),
    );
    expect(w.sim.templates()).toEqual([]);
    expect(await templateRepository.list(database.db)).toEqual([]);
  });

  it('refuses a template that already exists, here or at Meta', async () => {
    const w = await world({ templates: [{ name: 'order_ready', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi' }] }] });
    // Not synced yet: Meta answers 100 / 2388024.
    expect((await post(w, '/templates', ORDER_READY)).json().error).toMatchObject({ code: 'TEMPLATE_ALREADY_EXISTS', details: { metaCode: 100, metaSubcode: 2388024 } });
    await syncTemplates(w.deps);
    const before = w.sim.templates().length;
    expect((await post(w, '/templates', ORDER_READY)).json().error).toMatchObject({ code: 'TEMPLATE_ALREADY_EXISTS', details: { status: 'APPROVED' } });
    expect(w.sim.templates()).toHaveLength(before);
    // The same name in another language is another template.
    expect((await post(w, '/templates', { ...ORDER_READY, language: 'pt_BR' })).statusCode).toBe(201);
  });

  it("previews and prepares a send filled from the contact's CRM fields, in the contact's language (es_MX → es)", async () => {
    const w = await world({ templates: CATALOGUE });
    await syncTemplates(w.deps);
    const ana = await contact(w, { name: 'Ana Souza', phone: '+5511987654321', locale: 'es_MX', fields: { balance: 1234.5, appointment_at: '2026-09-15T16:00:00Z', invoice: 'F-1001' } });
    const balance = formatCurrency(1234.5, 'USD', 'es_MX');
    const when = formatDateTime(Date.parse('2026-09-15T16:00:00Z'), 'es_MX', 'UTC', 'date_time');
    expect(balance).toBe('USD\u00a01,234.50');

    const preview = await post(w, '/templates/payment_reminder/preview', { contactId: ana.id, mapping: MAPPING });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({
      language: 'es',
      chosenBecause: "no es_MX variant; es is the contact's language",
      status: 'APPROVED',
      sendable: true,
      category: 'utility',
      header: { type: 'text', text: 'Recordatorio para Ana' },
      body: `Hola Ana, su saldo es ${balance}. Su cita: ${when}.`,
      footer: 'Clínica Ejemplo',
      buttons: [
        { type: 'URL', text: 'Pagar', url: 'https://pay.example.com/i/F-1001' },
        { type: 'QUICK_REPLY', text: 'Entendido', payload: 'Entendido' },
      ],
    });

    const prepared = await prepare({ contact: ana, template: { name: 'payment_reminder', mapping: MAPPING } });
    if (!prepared.ok) throw prepared.error;
    expect(prepared.value).toMatchObject({ language: 'es', category: 'utility', rule: 'contact_language', chosenBecause: "no es_MX variant; es is the contact's language" });
    expect(prepared.value.graphTemplate).toEqual(preview.json().graphTemplate);
    expect(prepared.value.graphTemplate).toEqual({
      name: 'payment_reminder',
      language: { code: 'es' },
      components: [
        { type: 'header', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ana' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'first_name', text: 'Ana' },
            { type: 'currency', parameter_name: 'outstanding_balance', currency: { fallback_value: balance, code: 'USD', amount_1000: 1234500 } },
            { type: 'date_time', parameter_name: 'appointment_time', date_time: { fallback_value: when } },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'F-1001' }] },
      ],
    });
    // The simulator checks a template send as Meta does (132000 / 132012 / 132001): it goes out.
    expect(await w.graph.sendMessage(NUMBER_ID, TOKEN, { to: '5511987654321', type: 'template', template: prepared.value.graphTemplate })).toMatchObject({ ok: true });
  });

  it('refuses before Meta: a CRM field the contact lacks (named), a paused template, no variant in that language', async () => {
    const w = await world({ templates: CATALOGUE });
    await syncTemplates(w.deps);
    const bob = await contact(w, { name: 'Bob', phone: '+447911123456', locale: 'en_GB', fields: { appointment_at: '2026-09-15T16:00:00Z', invoice: 'F-2' } });

    const missing = await prepare({ contact: bob, template: { name: 'payment_reminder', mapping: MAPPING } });
    expect(missing).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_MISSING', message: expect.stringContaining('{{outstanding_balance}}'), details: { parameter: 'outstanding_balance', component: 'body', source: 'crm.balance' } },
    });
    expect((await post(w, '/templates/payment_reminder/preview', { contactId: bob.id, mapping: MAPPING })).json().error).toMatchObject({
      code: 'TEMPLATE_PARAMETER_MISSING',
      details: { parameter: 'outstanding_balance' },
    });

    // en_GB → en → en_* : the en_US variant, in the contact's language.
    const english = await prepare({ contact: { ...bob, fields: { ...bob.fields, balance: '10' } }, template: { name: 'payment_reminder', mapping: MAPPING } });
    expect(english).toMatchObject({ ok: true, value: { language: 'en_US', rule: 'contact_language_other_region', preview: { body: expect.stringContaining('your balance is US$10.00. Your appointment: 15 September 2026 at 16:00') } } });
    // A contact whose language has no variant gets the business default.
    expect(await prepare({ contact: { ...bob, locale: 'fr', fields: { ...bob.fields, balance: 1 } }, template: { name: 'payment_reminder', mapping: MAPPING } })).toMatchObject({
      ok: true,
      value: { language: 'en_US', rule: 'business_default', chosenBecause: "no variant in the contact's language (fr); en_US is the business default" },
    });

    expect(await prepare({ contact: bob, template: { name: 'spring_sale' } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PAUSED', details: { status: 'PAUSED', language: 'en_US' } } });
    expect((await post(w, '/templates/spring_sale/preview', { contactId: bob.id })).json()).toMatchObject({ status: 'PAUSED', sendable: false, body: 'Spring sale: 20% off everything.' });

    expect(await prepare({ contact: bob, template: { name: 'payment_reminder', language: 'pt_BR', mapping: MAPPING } })).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_LANGUAGE_NOT_FOUND', details: { tried: ['pt_BR'], available: ['en_US', 'es'] } },
    });
    expect(await prepare({ contact: bob, template: { name: 'no_such_template' } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_NOT_FOUND' } });
    expect(await prepare({ contact: bob, template: { name: 'payment_reminder', mapping: { first_name: 'contact.email' } } })).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETERS_INVALID', message: expect.stringContaining('mapping.first_name') },
    });
    expect(await prepare({ contact: bob, template: { name: 'payment_reminder', parameters: { body: ['a', 'b'] }, mapping: MAPPING } })).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_COUNT_MISMATCH', details: { component: 'body', expected: 3, given: 2 } },
    });
    expect((await post(w, '/templates/payment_reminder/preview', { contactId: 'nobody' })).json().error).toMatchObject({ code: 'CONTACT_NOT_FOUND' });

    // Meta's components passed through as given: existence, language and status still checked.
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'x' }] }];
    expect(await prepare({ contact: bob, template: { name: 'payment_reminder', language: 'es', components } })).toMatchObject({
      ok: true,
      value: { graphTemplate: { name: 'payment_reminder', language: { code: 'es' }, components }, category: 'utility', rule: 'requested', preview: null },
    });
    expect(await prepare({ contact: bob, template: { name: 'spring_sale', components: [] } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PAUSED' } });
    expect(await prepare({ contact: bob, template: { name: 'payment_reminder', components, mapping: MAPPING } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETERS_INVALID' } });
  });
});
