import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPlaceholders, renderPlaceholders } from './placeholders.js';

const scope = {
  contact: { name: 'Dana Whitfield', firstName: 'Dana', phone: null, tags: ['Hot Lead', 'VIP'], fields: { budget: '$1M – $2M', empty: '  ', count: 0 } },
  reply: { title: '$1M – $2M', payload: 'budget_1m_2m' },
  event: { text: 'hi' },
};

describe('placeholders', () => {
  it('fills contact, reply, CRM fields and lists', () => {
    expect(renderPlaceholders('Hi {{contact.firstName}}, {{ reply.title }} ({{crm.budget}}); tags {{contact.tags}}; n={{contact.fields.count}}', scope)).toEqual({
      ok: true,
      text: 'Hi Dana, $1M – $2M ($1M – $2M); tags Hot Lead, VIP; n=0',
    });
  });

  it('refuses to render when any value is missing, null or blank, and says which', () => {
    expect(renderPlaceholders('{{contact.phone}} {{contact.fields.empty}} {{contact.fields.nope}} {{contact.phone}}', scope)).toEqual({
      ok: false,
      missing: ['contact.phone', 'contact.fields.empty', 'contact.fields.nope'],
    });
    expect(renderPlaceholders('{{reply.title}}', { contact: {} })).toEqual({ ok: false, missing: ['reply.title'] });
  });

  it('leaves text without placeholders as it is (property)', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !s.includes('{{') && !s.includes('}}')), (text) => {
        expect(renderPlaceholders(text, scope)).toEqual({ ok: true, text });
        expect(checkPlaceholders(text)).toEqual([]);
      }),
    );
  });

  it('never leaves a placeholder in rendered text, whatever the values (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('name', 'firstName', 'locale'), fc.oneof(fc.string(), fc.constant(null), fc.integer())), (contact) => {
        const result = renderPlaceholders('a {{contact.name}} b {{contact.firstName}} c {{contact.locale}}', { contact });
        if (result.ok) expect(result.text).not.toMatch(/\{\{\s*contact\./);
        else expect(result.missing.length).toBeGreaterThan(0);
      }),
    );
  });
});
