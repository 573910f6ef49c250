import { describe, expect, it } from 'vitest';
import { phoneSearchVariants } from './phone-search-variants.js';

describe('phoneSearchVariants', () => {
  it('spells a US number as E.164, digits, national digits and the national format, E.164 first', () => {
    const variants = phoneSearchVariants('+14155550142', 'US');
    expect(variants[0]).toBe('+14155550142');
    expect(variants).toEqual(expect.arrayContaining(['+14155550142', '14155550142', '4155550142', '(415) 555-0142']));
    expect(new Set(variants).size).toBe(variants.length);
  });

  it("adds Brazil's number without the ninth digit, as WhatsApp may know it", () => {
    const variants = phoneSearchVariants('+5511987654321', 'BR');
    expect(variants).toEqual(expect.arrayContaining(['+5511987654321', '5511987654321', '11987654321', '(11) 98765-4321', '+551187654321', '551187654321']));
  });

  it("adds Mexico's 521 form and Argentina's form without the 9", () => {
    expect(phoneSearchVariants('+525512345678', 'MX')).toEqual(expect.arrayContaining(['+525512345678', '5512345678', '+5215512345678']));
    expect(phoneSearchVariants('+5491123456789', 'AR')).toEqual(expect.arrayContaining(['+5491123456789', '+541123456789', '1123456789']));
  });

  it('gives no national spellings for a number of another country than the region', () => {
    const variants = phoneSearchVariants('+447911123456', 'US');
    expect(variants).toEqual(['+447911123456', '447911123456', '+44 7911 123456']);
    expect(phoneSearchVariants('+447911123456', undefined)).not.toContain('07911 123456');
  });

  it('passes anything that is not E.164 through unchanged', () => {
    expect(phoneSearchVariants('not a phone', 'US')).toEqual(['not a phone']);
  });
});
