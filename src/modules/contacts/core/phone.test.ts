import fc from 'fast-check';
import { getCountries, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { normalisePhone, normalisePhoneUncached, phoneFromWaId, phoneMatchKey, phoneVariants } from './phone.js';

const e164Of = (input: string, region?: string): string => {
  const r = normalisePhone(input, region);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} (${region ?? 'no region'}) to normalise: ${r.message}`);
  return r.e164;
};

type Case = { input: string; region?: string; e164: string; country: string };

const byCountry: Record<string, Case[]> = {
  BR: [
    { input: '+55 (11) 98765-4321', e164: '+5511987654321', country: 'BR' },
    { input: '(11) 98765-4321', region: 'BR', e164: '+5511987654321', country: 'BR' },
    { input: '0 11 98765 4321', region: 'BR', e164: '+5511987654321', country: 'BR' },
    { input: '5511987654321', e164: '+5511987654321', country: 'BR' },
    // wa_id of an account registered before the ninth digit: libphonenumber calls it invalid.
    { input: '551187654321', e164: '+5511987654321', country: 'BR' },
    { input: '+55 11 8765-4321', e164: '+5511987654321', country: 'BR' },
    { input: '11 8765-4321', region: 'BR', e164: '+5511987654321', country: 'BR' },
    { input: '551187654321', region: 'BR', e164: '+5511987654321', country: 'BR' },
    { input: '+55 11 3333-4444', e164: '+551133334444', country: 'BR' },
  ],
  MX: [
    { input: '+52 55 1234 5678', e164: '+525512345678', country: 'MX' },
    { input: '55 1234 5678', region: 'MX', e164: '+525512345678', country: 'MX' },
    // wa_id with the abolished mobile `1`: not even a possible number in current metadata.
    { input: '5215512345678', e164: '+525512345678', country: 'MX' },
    { input: '+52 1 (55) 1234-5678', e164: '+525512345678', country: 'MX' },
    { input: '+52 222 123 4567', e164: '+522221234567', country: 'MX' },
  ],
  AR: [
    { input: '+54 9 11 2345-6789', e164: '+5491123456789', country: 'AR' },
    { input: '5491123456789', e164: '+5491123456789', country: 'AR' },
    { input: '+54 11 15 2345-6789', e164: '+5491123456789', country: 'AR' },
    { input: '+54 9 11 15 2345 6789', e164: '+5491123456789', country: 'AR' },
    // The `15` sits after area codes of 2, 3 and 4 digits; libphonenumber's area-code table places it.
    { input: '+54 261 15 412 3456', e164: '+5492614123456', country: 'AR' },
    { input: '+54 9 351 15 512 3456', e164: '+5493515123456', country: 'AR' },
    { input: '+54 9 2966 15 41 2345', e164: '+5492966412345', country: 'AR' },
    { input: '011 15 2345-6789', region: 'AR', e164: '+5491123456789', country: 'AR' },
    // Stored without the 9: a valid number in its own right (read as fixed line), same match key.
    { input: '+54 11 2345-6789', e164: '+541123456789', country: 'AR' },
  ],
  US: [
    { input: '(415) 555-2671', region: 'US', e164: '+14155552671', country: 'US' },
    { input: '415.555.2671', region: 'us', e164: '+14155552671', country: 'US' },
    { input: '+1 650-555-0142', e164: '+16505550142', country: 'US' },
    { input: '16505550142', e164: '+16505550142', country: 'US' },
    { input: '16505550142', region: 'US', e164: '+16505550142', country: 'US' },
    { input: '001 650 555 0142', e164: '+16505550142', country: 'US' },
    { input: '011 44 7400 123456', region: 'US', e164: '+447400123456', country: 'GB' },
  ],
  GB: [
    { input: '00 44 7400 123456', e164: '+447400123456', country: 'GB' },
    { input: '+44 (0)7400 123456', e164: '+447400123456', country: 'GB' },
    { input: '07400 123456', region: 'GB', e164: '+447400123456', country: 'GB' },
    { input: '447400123456', e164: '+447400123456', country: 'GB' },
    { input: '020 7946 0018', region: 'GB', e164: '+442079460018', country: 'GB' },
  ],
  IN: [
    { input: '+91 81234 56789', e164: '+918123456789', country: 'IN' },
    { input: '081234 56789', region: 'IN', e164: '+918123456789', country: 'IN' },
    { input: '918123456789', e164: '+918123456789', country: 'IN' },
    { input: '0091-81234-56789', e164: '+918123456789', country: 'IN' },
  ],
  DE: [
    { input: '+49 1512 3456789', e164: '+4915123456789', country: 'DE' },
    { input: '01512 3456789', region: 'DE', e164: '+4915123456789', country: 'DE' },
    { input: '4915123456789', e164: '+4915123456789', country: 'DE' },
    { input: '0049 (30) 123456', e164: '+4930123456', country: 'DE' },
    { input: '030/123456', region: 'DE', e164: '+4930123456', country: 'DE' },
  ],
  TW: [
    // `091-2345-678`: 0912 345 678 is a Taiwanese mobile (trunk 0 + 9xx xxx xxx). As a Japanese
    // national number it is invalid, so TW is the region it is documented with.
    { input: '091-2345-678', region: 'TW', e164: '+886912345678', country: 'TW' },
  ],
};

describe('normalisePhone', () => {
  for (const [country, cases] of Object.entries(byCountry)) {
    describe(`${country} formats`, () => {
      it.each(cases)('reads $input (region $region) as $e164', ({ input, region, e164, country: expected }) => {
        expect(normalisePhone(input, region)).toEqual({ ok: true, e164, country: expected });
      });
    });
  }

  it('reads 091-2345-678 as a national number only in a region where it is valid (TW, not JP)', () => {
    expect(normalisePhone('091-2345-678', 'TW')).toMatchObject({ ok: true, e164: '+886912345678' });
    expect(normalisePhone('091-2345-678', 'JP')).toMatchObject({ ok: false, code: 'PHONE_INVALID' });
  });

  it('gives "+55 (11) 98765-4321" and the wa_id 551187654321 the same match key', () => {
    expect(phoneMatchKey(e164Of('+55 (11) 98765-4321'))).toBe(phoneMatchKey(e164Of('551187654321')));
    expect(phoneMatchKey(phoneFromWaId('551187654321')!)).toBe(phoneMatchKey(e164Of('+55 (11) 98765-4321')));
  });

  it('prefers the national reading of bare digits when a default region is given', () => {
    // 4155552671 read internationally would be +41 (Switzerland); as a US national number it is valid.
    expect(normalisePhone('4155552671', 'US')).toMatchObject({ ok: true, e164: '+14155552671', country: 'US' });
  });

  it('falls back to the international reading of bare digits when the national one is invalid', () => {
    expect(normalisePhone('5491123456789', 'US')).toMatchObject({ ok: true, e164: '+5491123456789' });
    expect(normalisePhone('4915123456789', 'GB')).toMatchObject({ ok: true, e164: '+4915123456789' });
  });

  it('ignores the default region for international input, even an unknown one', () => {
    expect(normalisePhone('+4915123456789', 'ZZ')).toMatchObject({ ok: true, e164: '+4915123456789' });
  });

  it('refuses a number with an extension instead of silently dropping it', () => {
    for (const input of ['+1 650-555-0142 ext. 12', '+1 650 555 0142 x12', '+16505550142 #12', '+1-650-555-0142;ext=12', '(415) 555-2671 extension 3']) {
      const r = normalisePhone(input, 'US');
      expect(r, input).toMatchObject({ ok: false, code: 'PHONE_INVALID' });
      if (!r.ok) expect(r.message).toMatch(/extension/);
    }
  });

  const garbage: [string, string | undefined, RegExp][] = [
    ['', undefined, /empty/],
    ['   ', 'US', /empty/],
    ['abc', undefined, /letters/],
    ['call me maybe', 'US', /letters/],
    ['+1 800 FLOWERS', undefined, /letters/],
    ['+55 11 9876-5432 📞', undefined, /character/],
    ['12', undefined, /too short/],
    ['+', undefined, /too short/],
    ['1-2', 'US', /too short/],
    ['+55 +11 98765-4321', undefined, /\+/],
    ['55+11987654321', undefined, /\+/],
    ['1'.repeat(80), undefined, /too long/],
    ['(415) 555-2671', undefined, /country code/],
    ['(415) 555-2671', 'ZZ', /region/],
    ['0912345678', undefined, /not a valid international number/],
    ['+0912345678', undefined, /not a valid/],
    ['+999 1234 5678', undefined, /not a valid/],
    ['+1 555 0100', undefined, /not a valid/],
    ['+49 1512 34', undefined, /not a valid/],
    // Argentina: dropping the 9 only repairs a real `15`; other 9 + 12 digit strings stay invalid.
    ['+54 9 11 99 2345 6789', undefined, /not a valid/],
    ['+54 9 11 15 2345 678', undefined, /not a valid/],
    ['415 555 267', 'US', /not a valid/],
    // Ofcom's drama range 07700 900xxx is reserved for fiction, never allocated: invalid in the metadata.
    ['00 44 7700 900123', undefined, /not a valid/],
  ];
  it.each(garbage)('rejects %j (region %s) with PHONE_INVALID and a human message', (input, region, message) => {
    const r = normalisePhone(input, region);
    expect(r).toMatchObject({ ok: false, code: 'PHONE_INVALID' });
    if (!r.ok) {
      expect(r.message).toMatch(message);
      expect(r.message).toMatch(/^Phone|^Default region/);
    }
  });

  it('rejects a value that is not a string at run time', () => {
    expect(normalisePhone(5511987654321 as unknown as string)).toMatchObject({ ok: false, code: 'PHONE_INVALID' });
  });
});

describe('phoneFromWaId', () => {
  it.each([
    ['551187654321', '+551187654321'],
    ['5215512345678', '+5215512345678'],
    ['16505550142', '+16505550142'],
    ['12345678', '+12345678'],
    ['123456789012345', '+123456789012345'],
  ])('turns the wa_id %s into %s without second-guessing its variant', (waId, e164) => {
    expect(phoneFromWaId(waId)).toBe(e164);
  });

  it.each(['', '1234567', '1234567890123456', '+16505550142', '0165055501', '1650 555 0142', 'abcdefghij', '１６５０５５５０１４２'])(
    'returns null for %j, which is not a plausible wa_id',
    (waId) => {
      expect(phoneFromWaId(waId)).toBeNull();
    },
  );
});

type KeyCase = { forms: string[]; key: string };

const keyTable: Record<string, KeyCase[]> = {
  BR: [
    { forms: ['+5511987654321', '+551187654321'], key: '+5511987654321' },
    { forms: ['+5521976543210', '+552176543210'], key: '+5521976543210' },
    // Landline: 8 digits starting 2–5, never gains a 9.
    { forms: ['+551133334444'], key: '+551133334444' },
    // A 9-digit mobile whose 8 digits start 1–5 never existed without the 9.
    { forms: ['+5511912345678'], key: '+5511912345678' },
  ],
  MX: [
    { forms: ['+525512345678', '+5215512345678'], key: '+525512345678' },
    { forms: ['+522221234567', '+5212221234567'], key: '+522221234567' },
  ],
  AR: [
    { forms: ['+541123456789', '+5491123456789'], key: '+541123456789' },
    { forms: ['+543511234567', '+5493511234567'], key: '+543511234567' },
  ],
  US: [{ forms: ['+16505550142'], key: '+16505550142' }],
  GB: [{ forms: ['+447400123456'], key: '+447400123456' }],
  IN: [{ forms: ['+918123456789'], key: '+918123456789' }],
  DE: [{ forms: ['+4915123456789'], key: '+4915123456789' }],
};

describe('phoneMatchKey and phoneVariants', () => {
  for (const [country, cases] of Object.entries(keyTable)) {
    describe(`${country} variants`, () => {
      it.each(cases)('gives every form of $key that key, and lists them all as variants', ({ forms, key }) => {
        for (const form of forms) {
          expect(phoneMatchKey(form)).toBe(key);
          const variants = phoneVariants(form);
          expect(variants[0]).toBe(form);
          expect([...variants].sort()).toEqual([...forms].sort());
        }
      });
    });
  }

  it('does not turn a Brazilian landline into a mobile', () => {
    expect(phoneMatchKey('+551133334444')).not.toBe('+5511933334444');
    expect(phoneVariants('+551133334444')).toEqual(['+551133334444']);
    expect(phoneMatchKey('+5511933334444')).not.toBe(phoneMatchKey('+551133334444'));
  });

  it('keeps a Brazilian number that is neither DDD + 8 nor DDD + 9 + 8 digits as it is', () => {
    expect(phoneMatchKey('+5540041234')).toBe('+5540041234');
    expect(phoneMatchKey('+5508001234567')).toBe('+5508001234567');
  });

  it('treats a Mexican number already without the 1 as its own key', () => {
    expect(phoneMatchKey('+525512345678')).toBe('+525512345678');
  });

  it('does not give Argentine non-geographic numbers a 9 variant', () => {
    expect(phoneVariants('+548001234567')).toEqual(['+548001234567']);
  });

  it('does not confuse calling codes that share a first digit with a variant country', () => {
    // +5 + 5x: 551 would be Brazil, 56 is Chile, 51 Peru: only +55 gets the Brazilian rule.
    expect(phoneVariants('+56912345678')).toEqual(['+56912345678']);
    expect(phoneVariants('+51912345678')).toEqual(['+51912345678']);
  });

  it('returns input that is not +digits unchanged', () => {
    expect(phoneMatchKey('551187654321')).toBe('551187654321');
    expect(phoneVariants('not a phone')).toEqual(['not a phone']);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const exampleCountries = getCountries().filter((c) => getExampleNumber(c, examples) !== undefined);
const SEPARATORS = ['', '', '', ' ', ' ', '-', '.', '(', ')', '/', '  '];

/** Spread random separators between the digits of `digits`. */
const withSeparators = (digits: string, seps: string[]): string =>
  [...digits].map((d, i) => d + (seps.length > 0 ? seps[i % seps.length] : '')).join('');

const formattedExample = fc
  .record({
    country: fc.constantFrom(...exampleCountries),
    style: fc.constantFrom('plus', 'plus-formatted', '00', 'national', 'wa_id'),
    seps: fc.array(fc.constantFrom(...SEPARATORS), { maxLength: 12 }),
    pad: fc.constantFrom('', ' ', '\t'),
  })
  .map(({ country, style, seps, pad }) => {
    const n = getExampleNumber(country as CountryCode, examples)!;
    const intl = n.number.slice(1);
    const national = n.formatNational().replace(/\D/g, '');
    let input: string;
    let region: string | undefined;
    switch (style) {
      case 'plus': input = '+' + withSeparators(intl, seps); break;
      case 'plus-formatted': input = n.formatInternational(); break;
      case '00': input = '00 ' + withSeparators(intl, seps); break;
      case 'national': input = withSeparators(national, seps); region = country; break;
      default: input = intl;
    }
    return { input: pad + input + pad, region, e164: n.number as string };
  });

const variantCallingCodes = ['55', '52', '54'];
const anyE164 = fc.oneof(
  fc.constantFrom(...exampleCountries).map((c) => getExampleNumber(c as CountryCode, examples)!.number as string),
  fc
    .tuple(fc.constantFrom(...variantCallingCodes, '1', '44', '49', '91', '56', '51'), fc.stringMatching(/^\d{4,13}$/))
    .map(([cc, rest]) => `+${cc}${rest}`),
  fc
    .tuple(fc.constantFrom(...variantCallingCodes), fc.constantFrom('', '1', '9'), fc.stringMatching(/^[1-9]\d{9}$/))
    .map(([cc, p, rest]) => `+${cc}${p}${rest}`),
);

const BR_DDDS = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48, 49,
  51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92,
  93, 94, 95, 96, 97, 98, 99,
].map(String);

describe('properties', () => {
  it('normalisation of formatted example numbers of every country recovers the number and is idempotent', () => {
    fc.assert(
      fc.property(formattedExample, ({ input, region, e164 }) => {
        const first = normalisePhone(input, region);
        expect(first, JSON.stringify({ input, region })).toMatchObject({ ok: true, e164 });
        if (!first.ok) return;
        const again = normalisePhone(first.e164);
        expect(again).toEqual(first);
        expect(normalisePhone(first.e164, region)).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });

  it('normalisation is idempotent for WhatsApp variant forms too', () => {
    const variantForm = fc.constantFrom('BR', 'MX', 'AR').chain((c) => {
      const n = getExampleNumber(c as CountryCode, examples)!.number as string;
      return fc.constantFrom(...phoneVariants(n));
    });
    fc.assert(
      fc.property(variantForm, (form) => {
        const first = normalisePhone(form.slice(1));
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        expect(normalisePhone(first.e164)).toEqual(first);
        expect(phoneMatchKey(first.e164)).toBe(phoneMatchKey(form));
      }),
    );
  });

  it('every variant of a number has the same match key, the number itself first and no duplicates', () => {
    fc.assert(
      fc.property(anyE164, (e164) => {
        const variants = phoneVariants(e164);
        expect(variants[0]).toBe(e164);
        expect(new Set(variants).size).toBe(variants.length);
        const key = phoneMatchKey(e164);
        for (const v of variants) expect(phoneMatchKey(v)).toBe(key);
        expect(variants).toContain(key);
      }),
      { numRuns: 1000 },
    );
  });

  it('the match key is idempotent: the key of a key is itself', () => {
    fc.assert(
      fc.property(anyE164, (e164) => {
        const key = phoneMatchKey(e164);
        expect(phoneMatchKey(key)).toBe(key);
      }),
      { numRuns: 1000 },
    );
  });

  it('a Brazilian mobile matches with and without the ninth digit, and its wa_id is accepted', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BR_DDDS), fc.stringMatching(/^[6-9]\d{7}$/), (ddd, eight) => {
        const with9 = `+55${ddd}9${eight}`;
        const without9 = `+55${ddd}${eight}`;
        expect(phoneMatchKey(without9)).toBe(with9);
        expect(phoneMatchKey(with9)).toBe(with9);
        expect(phoneVariants(with9)).toEqual([with9, without9]);
        expect(phoneVariants(without9)).toEqual([without9, with9]);
        const fromWaId = normalisePhone(without9.slice(1));
        expect(fromWaId.ok).toBe(true);
        if (fromWaId.ok) expect(phoneMatchKey(fromWaId.e164)).toBe(with9);
      }),
      { numRuns: 500 },
    );
  });

  it('a Brazilian landline never gains a ninth digit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BR_DDDS), fc.stringMatching(/^[2-5]\d{7}$/), (ddd, eight) => {
        const landline = `+55${ddd}${eight}`;
        expect(phoneMatchKey(landline)).toBe(landline);
        expect(phoneVariants(landline)).toEqual([landline]);
        expect(phoneMatchKey(`+55${ddd}9${eight}`)).not.toBe(landline);
        const r = normalisePhone(landline);
        if (r.ok) expect(r.e164).toBe(landline);
      }),
      { numRuns: 500 },
    );
  });
});

describe('normalisePhone remembers recent inputs', () => {
  const anyInput = fc.oneof(
    formattedExample.map(({ input, region }) => ({ input, region })),
    fc.record({ input: fc.string({ maxLength: 20 }), region: fc.constantFrom(undefined, 'US', 'BR', 'DE') }),
    fc.record({ input: fc.stringMatching(/^\+?[\d ()-]{0,18}$/), region: fc.constantFrom(undefined, 'US', 'MX', 'AR') }),
  );

  it('answers what parsing answers, the first time and every time after', () => {
    fc.assert(
      fc.property(anyInput, ({ input, region }) => {
        const expected = normalisePhoneUncached(input, region);
        expect(normalisePhone(input, region)).toEqual(expected);
        expect(normalisePhone(input, region)).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keys on the region too: a national number read for one country is not reused for another', () => {
    expect(e164Of('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalisePhone('(415) 555-2671').ok).toBe(false);
    expect(e164Of('091-2345-678', 'TW')).toBe('+886912345678');
    expect(normalisePhone('091-2345-678', 'JP').ok).toBe(false);
  });

  it('hands out results that no caller can change for the next one', () => {
    const first = normalisePhone('+14155552671');
    expect(() => Object.assign(first, { e164: '+10000000000' })).toThrow(TypeError);
    expect(normalisePhone('+14155552671')).toMatchObject({ ok: true, e164: '+14155552671' });
  });
});
