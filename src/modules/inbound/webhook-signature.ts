import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';

/**
 * Checks Meta's `X-Hub-Signature-256` header: `sha256=` + hex HMAC-SHA256 of the raw body with
 * the app secret. It must be computed over the exact bytes received: Meta signs its own
 * `\uXXXX`-escaped serialisation, which `JSON.stringify(JSON.parse(body))` does not reproduce.
 */
export function isValidSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const received = Buffer.from(header.slice(PREFIX.length).trim(), 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  // A hex string of the wrong length decodes to a buffer of another size; timingSafeEqual requires equal sizes.
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** The header value Meta would send for `rawBody`; used by the simulator and tests. */
export function signatureFor(rawBody: Buffer | string, appSecret: string): string {
  return PREFIX + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}
