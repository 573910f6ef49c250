import { describe, expect, it } from 'vitest';
import type { TemplateVariant } from '../api/types';
import { bodyPlaceholders, prefill } from './placeholders';

const variant = (text: string): TemplateVariant => ({
  id: 'v',
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  parameterFormat: 'POSITIONAL',
  components: [{ type: 'HEADER', format: 'TEXT', text: 'Order {{9}}' }, { type: 'BODY', text }],
});

describe('bodyPlaceholders', () => {
  it('lists positional placeholders in numeric order, once each', () => {
    expect(bodyPlaceholders(variant('{{2}} for {{1}}, again {{2}}'))).toEqual(['1', '2']);
  });

  it('lists named placeholders in order of first use', () => {
    expect(bodyPlaceholders(variant('Hi {{ first_name }}, order {{order_id}} for {{first_name}}'))).toEqual(['first_name', 'order_id']);
  });

  it('finds none in a body without any', () => {
    expect(bodyPlaceholders(variant('Your order has shipped.'))).toEqual([]);
  });
});

describe('prefill', () => {
  const contact = { name: 'Ana Souza', phone: '+5511987650001', fields: { order_id: 'PED-4411', vip: true } };

  it('takes a custom field of the same name first', () => {
    expect(prefill('order_id', contact)).toBe('PED-4411');
    expect(prefill('vip', contact)).toBe('true');
  });

  it('fills the usual name placeholders, {{1}} with the first name', () => {
    expect(prefill('1', contact)).toBe('Ana');
    expect(prefill('first_name', contact)).toBe('Ana');
    expect(prefill('name', contact)).toBe('Ana Souza');
    expect(prefill('phone', contact)).toBe('+5511987650001');
  });

  it('leaves the rest for the agent', () => {
    expect(prefill('2', contact)).toBe('');
    expect(prefill('coupon', contact)).toBe('');
    expect(prefill('1', null)).toBe('');
    expect(prefill('1', { name: null, phone: null, fields: {} })).toBe('');
  });

  it('uses CRM fields when the contact has none of that name', () => {
    expect(prefill('plan', contact, { plan: 'Pro' })).toBe('Pro');
  });
});
