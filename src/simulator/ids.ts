import type { Random } from './prng.js';

/**
 * Identifiers with the shapes Meta uses (test/fixtures/meta/README.md). Hubs must treat them as
 * opaque; they look real so that length limits and column types are exercised.
 */
export type IdFactory = {
  /**
   * `wamid.` + base64 of Meta's protobuf-like layout:
   * `0x1c 0x18 len <user digits> 0x15 0x02 0x00 <0x12 inbound | 0x11 outbound> 0x18 len <hex> 0x00`.
   * A counter inside the hex part makes every wamid of one simulator unique.
   */
  wamid(direction: 'inbound' | 'outbound', userDigits: string | null): string;
  /** Media ids: 15–16 digits. */
  mediaId(): string;
  /** Template ids: 16 digits, small enough to survive `Number()` (the status webhook sends an integer). */
  templateId(): string;
  /** Business-scoped user id: `CC.` + 20 digits. */
  bsuid(country: string): string;
  /** The `fbtrace_id` of Graph errors. */
  fbtraceId(): string;
  /** An opaque token for media download URLs. */
  urlToken(): string;
};

/** Meta's wamid for a user without a shared phone number carries this placeholder. */
const NO_PHONE_DIGITS = '80000000001';
const TRACE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function createIdFactory(random: Random): IdFactory {
  // Starts at a random offset so that ids do not all begin with zeros; still unique for 2^32 ids.
  let counter = random.int(2 ** 28);
  const unique = (randomHexLength: number) => ((++counter) >>> 0).toString(16).toUpperCase().padStart(8, '0') + random.hex(randomHexLength);
  return {
    wamid(direction, userDigits) {
      const digits = Buffer.from(userDigits ?? NO_PHONE_DIGITS, 'ascii');
      // Inbound ids observed in the wild carry 20 hex digits (often starting 3A), outbound ones 18.
      const hex = Buffer.from(direction === 'inbound' ? `3A${unique(10)}` : unique(10), 'ascii');
      const bytes = Buffer.concat([
        Buffer.from([0x1c, 0x18, digits.length]),
        digits,
        Buffer.from([0x15, 0x02, 0x00, direction === 'inbound' ? 0x12 : 0x11, 0x18, hex.length]),
        hex,
        Buffer.from([0x00]),
      ]);
      return `wamid.${bytes.toString('base64')}`;
    },
    mediaId: () => `${1 + random.int(9)}${random.digits(14 + random.int(2))}`,
    templateId: () => `1${random.digits(15)}`,
    bsuid: (country) => `${country}.${1 + random.int(9)}${random.digits(19)}`,
    fbtraceId: () => `A${Array.from({ length: 22 }, () => random.pick([...TRACE_ALPHABET])).join('')}`,
    urlToken: () => `AR${Array.from({ length: 30 }, () => random.pick([...TRACE_ALPHABET])).join('')}`,
  };
}

/** Decodes the user digits and direction from a simulator (or Meta) wamid; for tests and logs only. */
export function describeWamid(wamid: string): { userDigits: string; direction: 'inbound' | 'outbound' | 'unknown' } | null {
  if (!wamid.startsWith('wamid.')) return null;
  const bytes = Buffer.from(wamid.slice('wamid.'.length), 'base64');
  if (bytes[0] !== 0x1c || bytes[1] !== 0x18) return null;
  const length = bytes[2] ?? 0;
  const userDigits = bytes.subarray(3, 3 + length).toString('ascii');
  const marker = bytes[3 + length + 3];
  return { userDigits, direction: marker === 0x12 ? 'inbound' : marker === 0x11 ? 'outbound' : 'unknown' };
}

/** ISO country of a WhatsApp number by calling code, for BSUIDs (`BR.…`). Longest prefix wins. */
const CALLING_CODES: Record<string, string> = {
  '1': 'US', '7': 'RU', '20': 'EG', '27': 'ZA', '30': 'GR', '31': 'NL', '32': 'BE', '33': 'FR', '34': 'ES',
  '39': 'IT', '44': 'GB', '49': 'DE', '51': 'PE', '52': 'MX', '54': 'AR', '55': 'BR', '56': 'CL', '57': 'CO',
  '61': 'AU', '62': 'ID', '63': 'PH', '81': 'JP', '82': 'KR', '86': 'CN', '90': 'TR', '91': 'IN', '92': 'PK',
  '234': 'NG', '254': 'KE', '351': 'PT', '353': 'IE', '966': 'SA', '971': 'AE', '972': 'IL',
};

export function countryOf(waId: string | null): string {
  if (!waId) return 'US';
  for (const length of [3, 2, 1]) {
    const country = CALLING_CODES[waId.slice(0, length)];
    if (country) return country;
  }
  return 'US';
}
