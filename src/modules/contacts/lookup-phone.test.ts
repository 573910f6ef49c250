import { describe, expect, it } from 'vitest';
import { lookupPhone } from './lookup-phone.js';

describe('lookupPhone', () => {
  it('finds a number written in any legacy format', () => {
    expect(lookupPhone('(415) 555-2671', 'US')).toMatchObject({ ok: true, e164: '+14155552671' });
  });

  it('still finds, by its international digits, a number the phone library calls invalid', () => {
    // +44 7700 900xxx is reserved for drama; WhatsApp ids in ranges the metadata lacks look the same.
    expect(lookupPhone('447700900123', undefined)).toMatchObject({ ok: true, e164: '+447700900123' });
    expect(lookupPhone('+44 7700 900123', undefined)).toMatchObject({ ok: true, e164: '+447700900123' });
  });

  it('refuses what is not a phone number at all', () => {
    expect(lookupPhone('call me', 'US').ok).toBe(false);
    expect(lookupPhone('12', 'US').ok).toBe(false);
  });
});
