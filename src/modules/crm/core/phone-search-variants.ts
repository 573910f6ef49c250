/**
 * The spellings of one phone number to look for in a CRM. CRMs match phone search on the stored
 * text (HubSpot's `EQ`, Pipedrive's `exact_match`, Zoho's criteria), and their users type numbers
 * as they like: `+14155550142`, `14155550142`, `4155550142`, `(415) 555-0142`. WhatsApp's country
 * variants (Brazil's ninth digit, Mexico's `1`, Argentina's `9`) multiply the forms.
 *
 * National spellings are produced only for numbers of `region` (the installation's DEFAULT_REGION):
 * a CRM in the US stores a Brazilian number internationally, and a bare national number of another
 * country would match strangers.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
// A pure core file of the contacts module: the one table of WhatsApp country variants.
// eslint-disable-next-line no-restricted-imports
import { phoneVariants } from '../../contacts/core/phone.js';

/** E.164 first, then its other spellings; no duplicates. */
export function phoneSearchVariants(e164: string, region: string | undefined): string[] {
  const out: string[] = [];
  const add = (value: string | undefined) => {
    if (value && !out.includes(value)) out.push(value);
  };
  const variants = /^\+\d{4,15}$/.test(e164) ? phoneVariants(e164) : [e164];
  for (const variant of variants) {
    add(variant);
    if (!/^\+\d+$/.test(variant)) continue;
    add(variant.slice(1));
    // A variant the metadata calls invalid (a legacy WhatsApp form) has no national spelling of its own.
    const parsed = parsePhoneNumberFromString(variant);
    if (!parsed?.isValid()) continue;
    if (region && parsed.country === region.toUpperCase()) {
      add(parsed.nationalNumber);
      add(parsed.formatNational());
    }
    add(parsed.formatInternational());
  }
  return out;
}
