import { normalisePhone, phoneFromWaId, phoneMatchKey } from './core/phone.js';

/**
 * The match key to look a phone up by. A number the phone library does not know as valid (a
 * range it has no metadata for yet, a reserved test range) can still arrive as a WhatsApp id and
 * be stored; written in international digits, it must be found again.
 */
export function lookupPhone(input: string, defaultRegion: string | undefined): { ok: true; e164: string; matchKey: string } | { ok: false; message: string } {
  const parsed = normalisePhone(input, defaultRegion);
  if (parsed.ok) return { ok: true, e164: parsed.e164, matchKey: phoneMatchKey(parsed.e164) };
  const digits = input.replace(/[\s().-]/g, '');
  const asWaId = /^\+?\d{8,15}$/.test(digits) ? phoneFromWaId(digits.replace(/^\+/, '')) : null;
  return asWaId ? { ok: true, e164: asWaId, matchKey: phoneMatchKey(asWaId) } : { ok: false, message: parsed.message };
}
