import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { decodePassword, encodePassword, HASH_BYTES, SALT_BYTES, SCRYPT_PARAMS, type ScryptParams } from './core/password-encoding.js';

function derive(password: string, salt: Uint8Array, params: ScryptParams, length: number): Promise<Buffer> {
  // maxmem above 128·N·r: Node's 32 MiB default is exactly the floor and would refuse it.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** scrypt runs on libuv's thread pool: hashing never blocks the event loop. */
export async function hashPassword(password: string, params: ScryptParams = SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return encodePassword({ ...params, salt, hash: await derive(password, salt, params, HASH_BYTES) });
}

/** Constant-time comparison; a malformed stored hash never verifies. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const decoded = decodePassword(stored);
  if (!decoded) return false;
  const candidate = await derive(password, decoded.salt, decoded, decoded.hash.length);
  return timingSafeEqual(candidate, decoded.hash);
}

/** A hash of nothing, verified against when the email is unknown, so that timing does not tell which emails exist. */
let decoy: Promise<string> | null = null;
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword('decoy-password-never-matches');
  await verifyPassword(password, await decoy);
  return false;
}
