import { describe, expect, it } from 'vitest';
import { applyTransform, DEFAULT_FIELD_MAPS, fieldMapConfigSchema, fromCrmFields, optOutField, resolveFieldMap, toCrmFields, type FieldMap } from './field-mapping.js';

const MAP: FieldMap = [
  { crm: 'hs_budget', switchboard: 'budget', direction: 'both', transform: 'trim' },
  { crm: 'mobilephone', switchboard: 'mobile', direction: 'from_crm', transform: 'e164' },
  { crm: 'wa_opt_out', switchboard: 'opt_out', direction: 'to_crm', transform: 'none' },
  { crm: 'email', switchboard: 'email', direction: 'both', transform: 'lowercase' },
];

describe('field mapping', () => {
  it('renames mapped fields on the way to the CRM and keeps unmapped names', () => {
    expect(toCrmFields(MAP, { budget: ' $1M – $2M ', opt_out: 'true', plan: 'gold', mobile: '+14155550142' })).toEqual({
      hs_budget: '$1M – $2M',
      wa_opt_out: 'true',
      plan: 'gold',
    });
  });

  it('copies only mapped from_crm/both fields from the CRM, transformed', () => {
    expect(fromCrmFields(MAP, { hs_budget: '$1M ', mobilephone: '(415) 555-0142', wa_opt_out: 'false', email: 'Ana@Example.COM', other: 'x' }, 'US')).toEqual({
      budget: '$1M',
      mobile: '+14155550142',
      email: 'ana@example.com',
    });
  });

  it('keeps a value e164 cannot read, and null stays null', () => {
    expect(applyTransform('ask reception', 'e164', 'US')).toBe('ask reception');
    expect(applyTransform(null, 'uppercase', 'US')).toBeNull();
    expect(applyTransform('hot', 'uppercase', undefined)).toBe('HOT');
  });

  it('lets configured entries replace the defaults for the same field, per connector or for the configured one', () => {
    const config = fieldMapConfigSchema.parse({ hubspot: [{ crm: 'whatsapp_opt_out', switchboard: 'opt_out', direction: 'to_crm' }] });
    const map = resolveFieldMap('hubspot', config);
    expect(optOutField(map)).toBe('whatsapp_opt_out');
    expect(map.filter((e) => e.switchboard === 'opt_out')).toHaveLength(1);
    expect(resolveFieldMap('zoho', config)).toEqual(DEFAULT_FIELD_MAPS.zoho);
    const list = fieldMapConfigSchema.parse([{ crm: 'Budget_Range__c', switchboard: 'budget' }]);
    expect(resolveFieldMap('salesforce', list).find((e) => e.switchboard === 'budget')).toEqual({ crm: 'Budget_Range__c', switchboard: 'budget', direction: 'both', transform: 'none' });
  });

  it('refuses entries with an unknown direction or transform, or a field name that is not one', () => {
    expect(fieldMapConfigSchema.safeParse([{ crm: 'x', switchboard: 'y', direction: 'sideways' }]).success).toBe(false);
    expect(fieldMapConfigSchema.safeParse([{ crm: 'x', switchboard: 'y', transform: 'rot13' }]).success).toBe(false);
    expect(fieldMapConfigSchema.safeParse([{ crm: 'x', switchboard: '1 bad' }]).success).toBe(false);
    expect(fieldMapConfigSchema.safeParse({ freshsales: [] }).success).toBe(false);
  });
});
