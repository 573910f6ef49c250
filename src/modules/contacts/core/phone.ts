/**
 * Phone numbers of contacts: parsing legacy/CRM formats and WhatsApp ids into E.164, and the
 * match key under which WhatsApp's country variants of one subscriber meet.
 *
 * Pure: only libphonenumber-js (full "max" metadata, so validity means "in an allocated range",
 * not just "has a plausible length").
 *
 * Decisions:
 * - Extensions (`ext. 12`, `x12`, `#12`, `;ext=12`) are REFUSED, not dropped. A number with an
 *   extension is a switchboard line shared by many people; dropping the extension would give them
 *   all the same E.164 and so the same contact identity. No WhatsApp account has an extension.
 * - When libphonenumber rejects a number but a country variant of it (see VARIANT_RULES) is
 *   valid, the VALID variant is returned: `+551187654321` (Brazilian wa_id without the ninth
 *   digit) normalises to `+5511987654321`, `+5215512345678` (Mexican wa_id) to `+525512345678`.
 *   Both are the subscriber's current real number and share the match key with the input.
 * - Argentina's national mobile prefix `15` (written after the area code): `+54 11 15 2345 6789`
 *   and `011 15 2345 6789` (region AR) are read by libphonenumber itself (its area-code table knows
 *   where the `15` sits); `+54 9 11 15 2345 6789` (9 and 15 both) is repaired here by dropping the
 *   9 and letting libphonenumber strip the 15. The result is `+549…`. The match key and variants
 *   work on E.164 and never see a `15`: an E.164 that still contains one is not recognised as the
 *   same person (normalise it first).
 * - Error messages never echo the input (phone numbers are personal data and messages get logged).
 */
import { isSupportedCountry, parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js/max';

/** `+` followed by the country calling code and national number, digits only. */
export type E164 = string;

export type NormalisePhoneResult =
  | { ok: true; e164: E164; country: string | undefined }
  | { ok: false; code: 'PHONE_INVALID'; message: string };

/** Longest input we look at; anything longer is not a phone number field. */
const MAX_INPUT_LENGTH = 64;
/** Fewer digits than this cannot be a phone number anywhere (even Niue's national numbers have 4). */
const MIN_DIGITS = 4;

/**
 * An extension at the end of the input: `ext. 12`, `extension 12`, `ext12`, `x 12`, `#12`, `;ext=12`.
 * Matched before the character check so the caller gets the specific message.
 */
const EXTENSION = /(?<=[\d\s).-])\s*(?:;\s*ext\s*=|extension|extn?\.?|x|#)\s*\d{1,10}\s*$/i;

/** Characters allowed besides digits: the separators people and CRMs put in phone numbers. */
const SEPARATOR = /[\s\-.()/\u2010-\u2015\u2212]/u;

const invalid = (message: string): NormalisePhoneResult => ({ ok: false, code: 'PHONE_INVALID', message });

/**
 * Parse any human/legacy/WhatsApp phone format into E.164.
 *
 * - International input (`+…`, or `00…`) is read as such; `defaultRegion` is not consulted.
 * - Other input needs `defaultRegion` (ISO 3166 alpha-2, e.g. `US`) and is read as national
 *   (libphonenumber also understands that region's international dialling prefix, e.g. `011` in US).
 * - Input of bare digits (the shape of a WhatsApp wa_id) is also tried as international
 *   (`+` prepended): alone when there is no `defaultRegion`, after the national reading otherwise.
 * - If no reading is valid, the country variants (Brazil's ninth digit, Mexico's `1`, Argentina's
 *   `9`) of each reading are tried, so that a WhatsApp id is never refused.
 */
export function normalisePhone(input: string, defaultRegion?: string): NormalisePhoneResult {
  if (typeof input !== 'string') return invalid('Phone number must be text.');
  const key = `${defaultRegion ?? ''}|${input}`;
  const known = recent.get(key);
  if (known) return known;
  const result: NormalisePhoneResult = Object.freeze(normalisePhoneUncached(input, defaultRegion));
  if (recent.size >= RECENT_LIMIT) recent.delete(recent.keys().next().value!);
  recent.set(key, result);
  return result;
}

/**
 * Results of recent inputs, oldest first. Parsing costs tens of microseconds, and the same few
 * thousand numbers come back all day (every send names its recipient, every webhook its sender);
 * the results are frozen, so a caller cannot change what the next one gets.
 */
const recent = new Map<string, NormalisePhoneResult>();
const RECENT_LIMIT = 10_000;

/** `normalisePhone` without its memory of recent inputs: what it remembers is what this returned. */
export function normalisePhoneUncached(input: string, defaultRegion?: string): NormalisePhoneResult {
  if (typeof input !== 'string') return invalid('Phone number must be text.');
  const text = input.trim();
  if (text === '') return invalid('Phone number is empty.');
  if (text.length > MAX_INPUT_LENGTH) return invalid('Phone number is too long.');
  if (EXTENSION.test(text)) {
    return invalid('Phone numbers with an extension are not supported: store the number without the extension, or leave it out.');
  }

  let hasPlus = false;
  let digits = '';
  for (const ch of text) {
    if (ch >= '0' && ch <= '9') digits += ch;
    else if (ch === '+' || ch === '\uFF0B') {
      if (hasPlus || digits !== '') return invalid('Phone number has a "+" that is not at its start.');
      hasPlus = true;
    } else if (!SEPARATOR.test(ch)) {
      return /\p{L}/u.test(ch)
        ? invalid('Phone number contains letters.')
        : invalid(`Phone number contains a character that is not part of a phone number ("${ch}").`);
    }
  }
  if (digits.length < MIN_DIGITS) return invalid('Phone number is too short.');

  // `00` is the international prefix almost everywhere; treat it as `+` even without a region.
  const international = hasPlus || digits.startsWith('00');
  const bareDigits = /^\d+$/.test(text);

  const readings: PhoneNumber[] = [];
  if (international) {
    const n = parse('+' + (hasPlus ? digits : digits.slice(2)));
    if (n) readings.push(n);
  } else {
    if (defaultRegion !== undefined) {
      const region = defaultRegion.trim().toUpperCase();
      if (!isSupportedCountry(region)) return invalid('Default region is not a known country code.');
      const n = parsePhoneNumberFromString(digits, { defaultCountry: region });
      if (n) readings.push(n);
    } else if (!bareDigits) {
      return invalid('Phone number has no country code: start it with "+" or give a default region.');
    }
    if (bareDigits) {
      const n = parse('+' + digits);
      if (n) readings.push(n);
    }
  }

  for (const n of readings) if (n.isValid()) return accepted(n);

  // The variant table: a WhatsApp id (or an old stored number) in a form the metadata calls
  // invalid, whose current form is valid.
  for (const n of readings) {
    for (const variant of phoneVariants(n.number).slice(1)) {
      const v = parse(variant);
      if (v?.isValid()) return accepted(v);
    }
  }

  // Argentina `+54 9 <area> 15 <subscriber>`: drop the 9, libphonenumber strips the 15 (area-code aware)
  // and puts the 9 back. Accept only that outcome (a valid mobile, 9 + 10 digits).
  for (const n of readings) {
    const nsn = n.number.slice(1 + AR_CC.length);
    if (n.number.startsWith('+' + AR_CC) && /^9\d{12}$/.test(nsn)) {
      const v = parse('+' + AR_CC + nsn.slice(1));
      if (v?.isValid() && /^9\d{10}$/.test(v.nationalNumber)) return accepted(v);
    }
  }

  return invalid(
    !international && defaultRegion === undefined
      ? 'Phone number is not a valid international number (give a default region to read it as a national number).'
      : 'Phone number is not a valid phone number.',
  );
}

function parse(e164ish: string): PhoneNumber | undefined {
  return parsePhoneNumberFromString(e164ish);
}

function accepted(n: PhoneNumber): NormalisePhoneResult {
  return { ok: true, e164: n.number, country: n.country };
}

/**
 * A WhatsApp id (`wa_id`: E.164 digits without `+`) → E.164, or null when it is not digits of a
 * plausible length (8–15, E.164's maximum) or starts with 0 (no country code does). Deliberately
 * does NOT check validity against metadata: WhatsApp ids come in country-variant forms
 * (see phoneMatchKey) that the metadata may reject, and an inbound message is never refused.
 */
export function phoneFromWaId(waId: string): E164 | null {
  return typeof waId === 'string' && /^[1-9]\d{7,14}$/.test(waId) ? '+' + waId : null;
}

/**
 * One country's variants. A rule works on the national significant number (the digits after the
 * calling code): `toKey` maps any form to the canonical one; `forms` lists every form of a
 * canonical number. Invariant (tested): `toKey(f) === key` for every `f` in `forms(key)`, and
 * `toKey` is idempotent.
 */
type VariantRule = {
  /** ISO country, for readers. */
  country: string;
  /** Calling code without `+`. Calling codes are prefix-free, so `startsWith` is exact. */
  callingCode: string;
  toKey(nsn: string): string;
  forms(keyNsn: string): string[];
};

const AR_CC = '54';

const VARIANT_RULES: readonly VariantRule[] = [
  {
    // Brazil: mobiles gained a ninth digit `9` in front (2012–2016, area by area). WhatsApp accounts
    // registered before still have a wa_id of 55 + DDD (2 digits, no 0) + the old 8 digits.
    // Mobiles' old 8 digits start with 6–9; landlines start with 2–5 and never gained a 9, so a
    // landline stays itself (and a 9-digit mobile whose 8 digits start 1–5 never existed without 9).
    country: 'BR',
    callingCode: '55',
    toKey: (nsn) => nsn.replace(/^([1-9]{2})([6-9]\d{7})$/, '$19$2'),
    forms: (key) => {
      const m = /^([1-9]{2})9([6-9]\d{7})$/.exec(key);
      return m ? [key, `${m[1]}${m[2]}`] : [key];
    },
  },
  {
    // Mexico: until 2019 mobiles were dialled from abroad as +52 1 + 10 digits; the `1` was
    // abolished, but WhatsApp still reports many wa_ids as 521 + 10 digits. Fixed and mobile numbers
    // are no longer distinguishable, so every 10-digit number (area codes start 2–9) has both forms.
    country: 'MX',
    callingCode: '52',
    toKey: (nsn) => nsn.replace(/^1([2-9]\d{9})$/, '$1'),
    forms: (key) => (/^[2-9]\d{9}$/.test(key) ? [key, `1${key}`] : [key]),
  },
  {
    // Argentina: mobiles are dialled from abroad as +54 9 + 10 digits (area code + subscriber),
    // which is what WhatsApp uses, but are often stored as +54 + 10 digits (the national form
    // without the 9). Geographic area codes start 1–3. The national `15` mobile prefix is not an
    // E.164 matter: normalisePhone removes it (see the module comment).
    country: 'AR',
    callingCode: AR_CC,
    toKey: (nsn) => nsn.replace(/^9([1-3]\d{9})$/, '$1'),
    forms: (key) => (/^[1-3]\d{9}$/.test(key) ? [key, `9${key}`] : [key]),
  },
];

function ruleFor(e164: string): { rule: VariantRule; nsn: string } | null {
  if (!/^\+\d+$/.test(e164)) return null;
  for (const rule of VARIANT_RULES) {
    if (e164.startsWith('+' + rule.callingCode)) return { rule, nsn: e164.slice(1 + rule.callingCode.length) };
  }
  return null;
}

/**
 * The key under which WhatsApp's country variants of one subscriber meet (an E.164-shaped string):
 * Brazil with the ninth digit, Mexico without the `1`, Argentina without the `9`; anything else is
 * its own key. Input that is not `+digits` is returned unchanged.
 */
export function phoneMatchKey(e164: E164): string {
  const found = ruleFor(e164);
  return found ? `+${found.rule.callingCode}${found.rule.toKey(found.nsn)}` : e164;
}

/**
 * Every E.164 form the same subscriber may appear as, the given number first, for searching
 * systems that cannot index our match key (e.g. a CRM's phone search). All share one match key.
 */
export function phoneVariants(e164: E164): E164[] {
  const found = ruleFor(e164);
  if (!found) return [e164];
  const { rule, nsn } = found;
  const forms = rule.forms(rule.toKey(nsn)).map((f) => `+${rule.callingCode}${f}`);
  return [e164, ...forms.filter((f) => f !== e164)];
}
