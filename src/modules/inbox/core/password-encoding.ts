/**
 * The stored form of a password hash: `scrypt$N$r$p$salt$hash` (salt and hash in base64), so that
 * the cost parameters travel with each hash and can be raised later without breaking old ones.
 */
export type ScryptParams = { N: number; r: number; p: number };

export type EncodedPassword = ScryptParams & { salt: Uint8Array; hash: Uint8Array };

/** OWASP's scrypt floor: N=2^15 (32 MiB per hash with r=8), r=8, p=1. */
export const SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export function encodePassword(encoded: EncodedPassword): string {
  return ['scrypt', encoded.N, encoded.r, encoded.p, toBase64(encoded.salt), toBase64(encoded.hash)].join('$');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isPowerOfTwo = (n: number) => n > 1 && (n & (n - 1)) === 0;

/** null for anything that is not a well-formed hash of ours (a corrupted row never verifies). */
export function decodePassword(stored: string): EncodedPassword | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,10}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  if (!isPowerOfTwo(N) || N > 2 ** 20 || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return null;
  const [salt, hash] = [parts[4]!, parts[5]!];
  if (!BASE64.test(salt) || !BASE64.test(hash)) return null;
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  if (saltBytes.length < 8 || hashBytes.length < 16) return null;
  return { N, r, p, salt: saltBytes, hash: hashBytes };
}
