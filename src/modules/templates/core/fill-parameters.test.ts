import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parameterText, validTemplate, type GeneratedTemplate } from '../testing/arbitraries.js';
import { checkSendable, fillParameters, formatCurrency, formatDateTime, TemplateMapping, TemplateParameters, type FillContext, type GraphComponent } from './fill-parameters.js';
import { renderPreview } from './render-preview.js';
import { checkTemplate } from './template-rules.js';
import { readComponents, type TemplateVariant } from './template.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const listed = (fixture('graph-template-list-page')['data'] as Record<string, unknown>[]).map(
  (t): TemplateVariant => ({
    name: t['name'] as string,
    language: t['language'] as string,
    category: t['category'] as string,
    status: t['status'] as string,
    parameterFormat: t['parameter_format'] as 'NAMED' | 'POSITIONAL',
    components: readComponents(t['components']),
  }),
);
const orderUpdate = listed.find((t) => t.name === 'order_update_v2')!;
const springSale = { ...listed.find((t) => t.name === 'spring_sale_2026')!, status: 'APPROVED' };

const ana = { name: 'Ana Maria Souza', phone: '+5511987654321', locale: 'pt_BR', fields: { order_number: 'PED-4411', balance: 1234.5, appointment_at: '2026-05-01T15:30:00Z', empty: '' } };
const ctx = (overrides: Partial<FillContext> = {}): FillContext => ({ contact: ana, locale: 'en_US', timeZone: 'UTC', ...overrides });

function variantOf(g: GeneratedTemplate): TemplateVariant {
  const checked = checkTemplate(g.template);
  if (!checked.ok) throw new Error(JSON.stringify(checked.error));
  return { ...checked.value, status: 'APPROVED' };
}

const MEDIA = { IMAGE: { image: { link: 'https://cdn.example.com/a.png' } }, VIDEO: { video: { id: '1234' } }, DOCUMENT: { document: { id: '99', filename: 'invoice.pdf' } }, LOCATION: { location: { latitude: 1, longitude: 2 } } } as const;

/** Explicit parameters for everything the generated template needs, with the values used. */
const explicitFor = (g: GeneratedTemplate) =>
  fc.record({
    body: fc.array(parameterText, { minLength: g.bodyNames.length, maxLength: g.bodyNames.length }),
    header: fc.array(parameterText, { minLength: g.headerNames.length, maxLength: g.headerNames.length }),
    buttons: fc.array(parameterText, { minLength: g.dynamicUrlButtons.length + g.copyCodeButtons.length, maxLength: g.dynamicUrlButtons.length + g.copyCodeButtons.length }),
    asArray: fc.boolean(),
  });

function parametersFor(g: GeneratedTemplate, values: { body: string[]; header: string[]; buttons: string[]; asArray: boolean }) {
  const list = (names: string[], vs: string[]) => (values.asArray || g.format === 'POSITIONAL' ? vs : Object.fromEntries(names.map((n, i) => [n, vs[i]!])));
  const buttonIndexes = [...g.dynamicUrlButtons, ...g.copyCodeButtons];
  return {
    ...(g.bodyNames.length > 0 ? { body: list(g.bodyNames, values.body) } : {}),
    ...(g.headerKind === 'text' && g.headerNames.length > 0 ? { header: list(g.headerNames, values.header) } : {}),
    ...(g.headerKind !== 'none' && g.headerKind !== 'text' ? { header: MEDIA[g.headerKind] } : {}),
    ...(buttonIndexes.length > 0 ? { buttons: Object.fromEntries(buttonIndexes.map((index, i) => [String(index), values.buttons[i]!])) } : {}),
  };
}

const componentOfType = (components: GraphComponent[] | undefined, type: string) => components?.find((c) => c['type'] === type);
/** An independent reference renderer: one regex pass. */
const reference = (text: string, names: string[], values: string[]) => text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, n: string) => values[names.indexOf(n)]!);

describe('filling template parameters', () => {
  it('builds the Cloud API template from explicit parameters: counts, names, order, and what the contact sees', () => {
    fc.assert(
      fc.property(
        validTemplate.chain((g) => fc.tuple(fc.constant(g), explicitFor(g))),
        ([g, values]) => {
          const variant = variantOf(g);
          const filled = fillParameters(variant, { parameters: TemplateParameters.parse(parametersFor(g, values)) }, ctx());
          if (!filled.ok) throw new Error(JSON.stringify(filled.error));
          const { graphTemplate } = filled.value;
          expect(graphTemplate.name).toBe(variant.name);
          expect(graphTemplate.language).toEqual({ code: variant.language });

          const body = componentOfType(graphTemplate.components, 'body');
          if (g.bodyNames.length === 0) expect(body).toBeUndefined();
          else {
            const parameters = body!['parameters'] as Record<string, unknown>[];
            expect(parameters.map((p) => p['text'])).toEqual(values.body);
            expect(parameters.map((p) => p['parameter_name'])).toEqual(g.format === 'NAMED' ? g.bodyNames : g.bodyNames.map(() => undefined));
          }
          const buttons = (graphTemplate.components ?? []).filter((c) => c['type'] === 'button');
          expect(buttons.map((b) => Number(b['index']))).toEqual([...g.dynamicUrlButtons, ...g.copyCodeButtons].sort((a, b) => a - b));

          const preview = renderPreview(variant, filled.value);
          if (!preview.ok) throw new Error(JSON.stringify(preview.error));
          const bodyText = variant.components.find((c) => c.type === 'BODY')!.text!;
          expect(preview.value.body).toBe(reference(bodyText, g.bodyNames, values.body));
          if (!values.body.some((v) => v.includes('{'))) expect(preview.value.body).not.toMatch(/\{\{/);
          expect(preview.value.buttons).toHaveLength(variant.components.find((c) => c.type === 'BUTTONS')?.buttons?.length ?? 0);
        },
      ),
    );
  });

  it('names the parameter that has no value', () => {
    fc.assert(
      fc.property(
        validTemplate.filter((g) => g.format === 'NAMED' && g.bodyNames.length > 0).chain((g) => fc.tuple(fc.constant(g), explicitFor(g), fc.nat())),
        ([g, values, pick]) => {
          const dropped = g.bodyNames[pick % g.bodyNames.length]!;
          const parameters = parametersFor(g, { ...values, asArray: false }) as { body: Record<string, string> };
          delete parameters.body[dropped];
          const filled = fillParameters(variantOf(g), { parameters: TemplateParameters.parse(parameters) }, ctx());
          expect(filled).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_MISSING', details: { parameter: dropped, component: 'body' } } });
          if (!filled.ok) expect(filled.error.message).toContain(`{{${dropped}}}`);
        },
      ),
    );
  });

  it('refuses a positional list of the wrong length, saying how many were expected', () => {
    fc.assert(
      fc.property(
        validTemplate.chain((g) => fc.tuple(fc.constant(g), explicitFor(g), fc.array(parameterText, { maxLength: 7 }))),
        ([g, values, body]) => {
          fc.pre(body.length !== g.bodyNames.length);
          const parameters = { ...parametersFor(g, values), body };
          const filled = fillParameters(variantOf(g), { parameters: TemplateParameters.parse(parameters) }, ctx());
          expect(filled).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_COUNT_MISMATCH', details: { component: 'body', expected: g.bodyNames.length, given: body.length } } });
        },
      ),
    );
  });

  it('fills from CRM fields exactly as from the same values given explicitly, and names the field that is missing', () => {
    fc.assert(
      fc.property(
        validTemplate.filter((g) => g.bodyNames.length > 0).chain((g) => fc.tuple(fc.constant(g), explicitFor(g), fc.nat())),
        ([g, values, pick]) => {
          const variant = variantOf(g);
          const fields = Object.fromEntries(g.bodyNames.map((n, i) => [`f_${n}`, values.body[i]!]));
          const mapping = TemplateMapping.parse(Object.fromEntries(g.bodyNames.map((n) => [g.format === 'NAMED' ? n : `body.${n}`, `crm.f_${n}`])));
          const rest = parametersFor(g, values) as Record<string, unknown>;
          delete rest['body'];
          const parameters = TemplateParameters.parse(rest);
          const fromFields = fillParameters(variant, { parameters, mapping }, ctx({ contact: { ...ana, fields } }));
          const explicit = fillParameters(variant, { parameters: TemplateParameters.parse(parametersFor(g, values)) }, ctx());
          expect(fromFields.ok && fromFields.value.graphTemplate).toEqual(explicit.ok && explicit.value.graphTemplate);

          const absent = g.bodyNames[pick % g.bodyNames.length]!;
          const without = Object.fromEntries(Object.entries(fields).filter(([k]) => k !== `f_${absent}`));
          expect(fillParameters(variant, { parameters, mapping }, ctx({ contact: { ...ana, fields: without } }))).toMatchObject({
            ok: false,
            error: { code: 'TEMPLATE_PARAMETER_MISSING', details: { parameter: absent, source: `crm.f_${absent}` } },
          });
        },
      ),
    );
  });

  it("gives Meta's currency parameter: amount × 1000 and a fallback in the contact's locale", () => {
    const variant: TemplateVariant = {
      name: 'balance_due',
      language: 'es_MX',
      category: 'UTILITY',
      status: 'APPROVED',
      parameterFormat: 'NAMED',
      components: [{ type: 'BODY', text: 'Debe {{outstanding_balance}} en total.' }],
    };
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.constantFrom('es_MX', 'en_US', 'pt_BR', 'de_DE'), fc.constantFrom('USD', 'MXN', 'EUR', 'BRL'), (amount, locale, currency) => {
        const filled = fillParameters(variant, { mapping: { outstanding_balance: { from: 'crm.balance', format: 'currency', currency } } }, ctx({ locale, contact: { ...ana, fields: { balance: amount } } }));
        if (!filled.ok) throw new Error(JSON.stringify(filled.error));
        const [parameter] = componentOfType(filled.value.graphTemplate.components, 'body')!['parameters'] as Record<string, unknown>[];
        expect(parameter).toEqual({
          type: 'currency',
          parameter_name: 'outstanding_balance',
          currency: { fallback_value: formatCurrency(amount, currency, locale), code: currency, amount_1000: Math.round(amount * 1000) },
        });
        expect(Number.isInteger((parameter!['currency'] as { amount_1000: number }).amount_1000)).toBe(true);
      }),
    );
  });

  it("fills the issue's mapping: first name, a balance in USD and an appointment time, in the contact's locale", () => {
    const variant: TemplateVariant = {
      name: 'payment_reminder',
      language: 'es_MX',
      category: 'UTILITY',
      status: 'APPROVED',
      parameterFormat: 'NAMED',
      components: [
        { type: 'BODY', text: 'Hola {{first_name}}, su saldo es {{outstanding_balance}}. Cita: {{appointment_time}}.' },
        { type: 'FOOTER', text: 'Clínica Ejemplo' },
      ],
    };
    const mapping = TemplateMapping.parse({
      first_name: 'contact.firstName',
      outstanding_balance: { from: 'crm.balance', format: 'currency', currency: 'USD' },
      appointment_time: { from: 'crm.appointment_at', format: 'date_time' },
    });
    const filled = fillParameters(variant, { mapping }, ctx({ locale: 'es_MX' }));
    if (!filled.ok) throw new Error(JSON.stringify(filled.error));
    const when = formatDateTime(Date.parse('2026-05-01T15:30:00Z'), 'es_MX', 'UTC', 'date_time');
    expect(when).toContain('mayo de 2026');
    expect(filled.value.graphTemplate).toEqual({
      name: 'payment_reminder',
      language: { code: 'es_MX' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'first_name', text: 'Ana' },
            { type: 'currency', parameter_name: 'outstanding_balance', currency: { fallback_value: 'USD\u00a01,234.50', code: 'USD', amount_1000: 1234500 } },
            { type: 'date_time', parameter_name: 'appointment_time', date_time: { fallback_value: when } },
          ],
        },
      ],
    });
    expect(renderPreview(variant, filled.value)).toEqual({
      ok: true,
      value: { header: null, body: `Hola Ana, su saldo es USD\u00a01,234.50. Cita: ${when}.`, footer: 'Clínica Ejemplo', buttons: [] },
    });
    // The same mapping for a contact without the field names it.
    expect(fillParameters(variant, { mapping }, ctx({ contact: { ...ana, fields: {} } }))).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_MISSING', message: expect.stringContaining('crm.balance'), details: { parameter: 'outstanding_balance', source: 'crm.balance' } },
    });
  });

  it("fills Meta's listed order_update_v2 (image header, named body, URL button) as NOTES §7 shows", () => {
    const filled = fillParameters(
      orderUpdate,
      {
        parameters: TemplateParameters.parse({ header: { image: { link: 'https://loja.example.com/p.png' } }, buttons: { '0': 'PED-4411' } }),
        mapping: TemplateMapping.parse({ first_name: 'contact.firstName', order_number: 'crm.order_number', 'button.1': { value: 'TALK_TO_AGENT' } }),
      },
      ctx({ locale: 'pt_BR' }),
    );
    if (!filled.ok) throw new Error(JSON.stringify(filled.error));
    expect(filled.value.graphTemplate).toEqual({
      name: 'order_update_v2',
      language: { code: 'pt_BR' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://loja.example.com/p.png' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'first_name', text: 'Ana' },
            { type: 'text', parameter_name: 'order_number', text: 'PED-4411' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'PED-4411' }] },
        { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'TALK_TO_AGENT' }] },
      ],
    });
    expect(renderPreview(orderUpdate, filled.value)).toEqual({
      ok: true,
      value: {
        header: { type: 'media', format: 'IMAGE', link: 'https://loja.example.com/p.png', id: null, filename: null },
        body: 'Olá Ana! Seu pedido PED-4411 saiu para entrega.',
        footer: 'Responda PARAR para não receber mais avisos',
        buttons: [
          { type: 'URL', text: 'Rastrear pedido', url: 'https://loja.example.com/rastreio/PED-4411' },
          { type: 'QUICK_REPLY', text: 'Falar com atendente', payload: 'TALK_TO_AGENT' },
        ],
      },
    });
  });

  it('refuses a header of the wrong media type, a missing one, and media for a text header', () => {
    const withValues = (header: unknown) =>
      fillParameters(
        orderUpdate,
        { parameters: TemplateParameters.parse({ header, buttons: { '0': 'X' } }), mapping: TemplateMapping.parse({ first_name: { value: 'Ana' }, order_number: { value: '1' } }) },
        ctx(),
      );
    expect(withValues({ video: { id: '1' } })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_HEADER_MEDIA_MISMATCH', details: { expected: 'IMAGE', given: 'VIDEO' } } });
    expect(withValues(['a'])).toMatchObject({ ok: false, error: { code: 'TEMPLATE_HEADER_MEDIA_MISMATCH', details: { expected: 'IMAGE', given: 'TEXT' } } });
    expect(fillParameters(orderUpdate, { mapping: TemplateMapping.parse({ first_name: { value: 'Ana' }, order_number: { value: '1' } }) }, ctx())).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_MISSING', details: { parameter: 'header', component: 'header' } },
    });
    expect(fillParameters(springSale, { parameters: TemplateParameters.parse({ header: { image: { id: '1' } }, body: ['SPRING20', '20%'] }) }, ctx())).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_HEADER_MEDIA_MISMATCH', details: { expected: 'TEXT', given: 'IMAGE' } },
    });
    // A header image from a CRM field: a link, or a media id.
    const fromField = fillParameters(
      orderUpdate,
      { parameters: TemplateParameters.parse({ buttons: ['X'] }), mapping: TemplateMapping.parse({ header: { from: 'crm.photo', format: 'image' }, first_name: 'contact.firstName', order_number: 'crm.order_number' }) },
      ctx({ contact: { ...ana, fields: { ...ana.fields, photo: '778899' } } }),
    );
    expect(fromField.ok && fromField.value.graphTemplate.components?.[0]).toEqual({ type: 'header', parameters: [{ type: 'image', image: { id: '778899' } }] });
  });

  it('addresses header and body parameters of a positional template separately', () => {
    const filled = fillParameters(springSale, { mapping: TemplateMapping.parse({ 'header.1': 'contact.firstName', 'body.1': { value: 'SPRING20' }, 'body.2': { value: '20%' } }) }, ctx());
    expect(filled.ok && filled.value.graphTemplate.components).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
      { type: 'body', parameters: [{ type: 'text', text: 'SPRING20' }, { type: 'text', text: '20%' }] },
    ]);
    expect(filled.ok && renderPreview(springSale, filled.value)).toMatchObject({ ok: true, value: { header: { type: 'text', text: 'Act fast, Ana!' }, body: 'Use code SPRING20 for 20% off until Sunday.' } });
  });

  it("refuses what Meta refuses in a parameter's text, unknown names and buttons that take nothing", () => {
    const body = (values: unknown) => fillParameters(springSale, { parameters: TemplateParameters.parse({ header: ['Oliver'], body: values }) }, ctx());
    expect(body(['a\nb', 'x'])).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_INVALID', details: { parameter: '1', component: 'body' } } });
    expect(body(['a      b', 'x'])).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_INVALID' } });
    expect(body(['  ', 'x'])).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_MISSING', details: { parameter: '1' } } });
    expect(body({ 1: 'a', 2: 'b', 3: 'c' })).toMatchObject({ ok: false, error: { code: 'TEMPLATE_PARAMETER_UNKNOWN', details: { parameter: '3' } } });
    expect(fillParameters(springSale, { parameters: TemplateParameters.parse({ header: ['O'], body: ['a', 'b'], buttons: { '3': 'x' } }) }, ctx())).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_UNKNOWN', details: { component: 'button', parameter: '3' } },
    });
    expect(fillParameters(springSale, { mapping: TemplateMapping.parse({ 1: 'contact.firstName', 2: 'contact.name' }) }, ctx({ contact: null }))).toMatchObject({
      ok: false,
      error: { code: 'TEMPLATE_PARAMETER_MISSING', details: { parameter: '1', component: 'header', source: 'contact.firstName' } },
    });
  });

  it('accepts only known sources in a mapping', () => {
    expect(TemplateMapping.safeParse({ first_name: 'contact.email' }).success).toBe(false);
    expect(TemplateMapping.safeParse({ total: { from: 'crm.total', format: 'currency' } }).success).toBe(false);
    expect(TemplateMapping.safeParse({ 'button.0': 'crm.code', 'body.1': 'contact.phone', first_name: { value: 3 } }).success).toBe(true);
  });
});

describe('whether a variant may be sent', () => {
  it.each([
    ['APPROVED', null],
    ['FLAGGED', null],
    ['PAUSED', 'TEMPLATE_PAUSED'],
    ['DISABLED', 'TEMPLATE_DISABLED'],
    ['PENDING', 'TEMPLATE_NOT_APPROVED'],
    ['REJECTED', 'TEMPLATE_NOT_APPROVED'],
    ['IN_APPEAL', 'TEMPLATE_NOT_APPROVED'],
    ['DELETED', 'TEMPLATE_NOT_FOUND'],
  ])('%s → %s', (status, code) => {
    const result = checkSendable({ name: 'x', language: 'en', status });
    expect(result.ok ? null : result.error.code).toBe(code);
    if (!result.ok) expect(result.error.details).toEqual({ name: 'x', language: 'en', status });
  });
});
