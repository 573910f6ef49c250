import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdFactory } from './ids.js';
import { createRandom } from './prng.js';
import { defaultTemplateReview, validateTemplateCreate } from './template-create.js';
import { checkTemplateParameters, createTemplateStore, expectedParameters, pageOf, placeholders, type Template } from './templates.js';

const store = () => createTemplateStore(createIdFactory(createRandom(1)));
const WABA = '204857361209384';

/** order_update_v2 from graph-template-list-page.json: named, image header, URL button with a variable. */
const orderUpdate = (): Template =>
  store().add(
    {
      name: 'order_update_v2',
      language: 'pt_BR',
      category: 'UTILITY',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Olá {{first_name}}! Seu pedido {{order_number}} saiu para entrega.' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Rastrear pedido', url: 'https://loja.example.com/rastreio/{{1}}' },
            { type: 'QUICK_REPLY', text: 'Falar com atendente' },
          ],
        },
      ],
    },
    WABA,
  );

const positional = (): Template =>
  store().add({ name: 'spring_sale', language: 'en_GB', category: 'marketing', components: [{ type: 'HEADER', format: 'TEXT', text: 'Act fast, {{1}}!' }, { type: 'BODY', text: 'Use code {{1}} for {{2}} off.' }] }, WABA);

const text = (t: string, name?: string) => ({ type: 'text', text: t, ...(name ? { parameter_name: name } : {}) });

describe('template placeholders', () => {
  it('finds distinct placeholders in order, positional or named', () => {
    expect(placeholders('Use {{1}} for {{2}}, yes {{1}}')).toEqual(['1', '2']);
    expect(placeholders('Olá {{ first_name }}!')).toEqual(['first_name']);
    expect(placeholders(undefined)).toEqual([]);
  });

  it('infers the parameter format and what a send must supply', () => {
    const t = orderUpdate();
    expect(t.parameter_format).toBe('NAMED');
    expect(t.category).toBe('UTILITY');
    expect(expectedParameters(t)).toEqual({ header: { kind: 'media', format: 'IMAGE' }, body: ['first_name', 'order_number'], urlButtons: [{ index: 0, names: ['1'] }] });
    expect(positional().parameter_format).toBe('POSITIONAL');
  });
});

describe('template send check', () => {
  it('accepts the parameters the template asks for', () => {
    expect(
      checkTemplateParameters(orderUpdate(), [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://x/y.png' } }] },
        { type: 'body', parameters: [text('Ana', 'first_name'), text('PED-4411', 'order_number')] },
        { type: 'button', sub_type: 'url', index: '0', parameters: [text('PED-4411')] },
        { type: 'button', sub_type: 'quick_reply', index: 1, parameters: [{ type: 'payload', payload: 'AGENT' }] },
      ]),
    ).toEqual({ ok: true });
  });

  it('reports a count mismatch as 132000 with Meta\'s wording', () => {
    expect(checkTemplateParameters(positional(), [{ type: 'header', parameters: [text('Oliver')] }, { type: 'body', parameters: [text('SPRING20')] }])).toEqual({
      ok: false,
      code: 132000,
      details: 'body: number of localizable_params (1) does not match the expected number of params (2)',
    });
    expect(checkTemplateParameters(positional(), [{ type: 'body', parameters: [text('a'), text('b')] }])).toMatchObject({ code: 132000, details: expect.stringContaining('header') });
  });

  it('reports positional parameters for a named template, and a wrong header type, as 132012', () => {
    const t = orderUpdate();
    const header = { type: 'header', parameters: [{ type: 'image', image: { id: '1' } }] };
    const button = { type: 'button', sub_type: 'url', index: 0, parameters: [text('X')] };
    expect(checkTemplateParameters(t, [header, { type: 'body', parameters: [text('Ana'), text('P')] }, button])).toMatchObject({ ok: false, code: 132012 });
    expect(checkTemplateParameters(t, [{ type: 'header', parameters: [text('no')] }, { type: 'body', parameters: [text('Ana', 'first_name'), text('P', 'order_number')] }, button])).toMatchObject({ code: 132012 });
  });

  it('rejects empty text parameters (100) and buttons the template does not have (131009)', () => {
    expect(checkTemplateParameters(positional(), [{ type: 'header', parameters: [text('Oliver')] }, { type: 'body', parameters: [text(' '), text('20%')] }])).toMatchObject({ code: 100 });
    expect(checkTemplateParameters(positional(), [{ type: 'header', parameters: [text('O')] }, { type: 'body', parameters: [text('a'), text('b')] }, { type: 'button', sub_type: 'quick_reply', index: 0 }])).toMatchObject({ code: 131009 });
  });
});

describe('template paging', () => {
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(1000 + i) }));

  it('walks every item exactly once following `after`, and `next` stops on the last page', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 10 }), (n, limit) => {
        const all = items(n);
        const seen: string[] = [];
        let page = pageOf(all, { limit });
        seen.push(...page.data.map((d) => d.id));
        while (page.hasNext) {
          page = pageOf(all, { limit, after: page.after ?? undefined });
          seen.push(...page.data.map((d) => d.id));
        }
        expect(seen).toEqual(all.map((d) => d.id));
      }),
    );
  });

  it('goes back with `before`', () => {
    const all = items(7);
    const second = pageOf(all, { limit: 3, after: pageOf(all, { limit: 3 }).after ?? undefined });
    expect(second.data.map((d) => d.id)).toEqual(['1003', '1004', '1005']);
    expect(second.hasPrevious).toBe(true);
    expect(pageOf(all, { limit: 3, before: second.before ?? undefined }).data.map((d) => d.id)).toEqual(['1000', '1001', '1002']);
  });
});

describe('template creation', () => {
  const valid = {
    name: 'order_shipped',
    category: 'UTILITY',
    language: 'en_US',
    components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped.', example: { body_text: [['Ana', '4411']] } }],
  };

  it('accepts a well-formed template as PENDING', () => {
    expect(validateTemplateCreate(valid)).toMatchObject({ ok: true, seed: { name: 'order_shipped', status: 'PENDING', parameter_format: 'POSITIONAL' } });
  });

  it.each([
    ['a name with capitals', { ...valid, name: 'Order' }],
    ['an unknown category', { ...valid, category: 'PROMO' }],
    ['a bad language', { ...valid, language: 'english' }],
    ['no body', { ...valid, components: [{ type: 'FOOTER', text: 'x' }] }],
    ['variables without an example', { ...valid, components: [{ type: 'BODY', text: 'Hi {{1}}' }] }],
    ['variables with a gap', { ...valid, components: [{ type: 'BODY', text: 'Hi {{1}} {{3}}', example: { body_text: [['a', 'b']] } }] }],
  ])('refuses %s', (_, body) => {
    expect(validateTemplateCreate(body).ok).toBe(false);
  });

  it('approves by default and rejects names with "reject" or adjacent variables (INVALID_FORMAT)', () => {
    expect(defaultTemplateReview({ name: 'welcome', components: [{ type: 'BODY', text: 'Hi {{1}}' }] })).toEqual({ status: 'APPROVED' });
    expect(defaultTemplateReview({ name: 'please_reject_me', components: [] })).toMatchObject({ status: 'REJECTED', reason: 'INVALID_FORMAT' });
    expect(defaultTemplateReview({ name: 'x', components: [{ type: 'BODY', text: '{{1}}{{2}}' }] })).toMatchObject({ status: 'REJECTED' });
  });
});
