import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePassword, encodePassword, SCRYPT_PARAMS } from './password-encoding.js';

describe('password encoding', () => {
  it('writes scrypt$N$r$p$salt$hash with base64 salt and hash', () => {
    const encoded = encodePassword({ ...SCRYPT_PARAMS, salt: new Uint8Array(16).fill(1), hash: new Uint8Array(32).fill(2) });
    expect(encoded).toBe(`scrypt$32768$8$1$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`);
  });

  it('reads back whatever it wrote', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 32 }),
        fc.integer({ min: 1, max: 16 }),
        fc.uint8Array({ minLength: 8, maxLength: 64 }),
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        (log2N, r, p, salt, hash) => {
          const decoded = decodePassword(encodePassword({ N: 2 ** log2N, r, p, salt, hash }));
          expect(decoded).not.toBeNull();
          expect(decoded!.N).toBe(2 ** log2N);
          expect([decoded!.r, decoded!.p]).toEqual([r, p]);
          expect(Buffer.from(decoded!.salt).equals(Buffer.from(salt))).toBe(true);
          expect(Buffer.from(decoded!.hash).equals(Buffer.from(hash))).toBe(true);
        },
      ),
    );
  });

  it('refuses malformed or dangerous hashes instead of guessing', () => {
    const salt = Buffer.alloc(16, 1).toString('base64');
    const hash = Buffer.alloc(32, 2).toString('base64');
    for (const stored of [
      '',
      'plaintext',
      `bcrypt$32768$8$1$${salt}$${hash}`,
      `scrypt$32768$8$1$${salt}`,
      `scrypt$30000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // a cost that would exhaust memory
      `scrypt$32768$0$1$${salt}$${hash}`,
      `scrypt$32768$8$99$${salt}$${hash}`,
      `scrypt$32768$8$1$not*base64$${hash}`,
      `scrypt$32768$8$1$${salt}$AAAA`, // hash too short
      `scrypt$-1$8$1$${salt}$${hash}`,
    ]) {
      expect(decodePassword(stored)).toBeNull();
    }
  });
});
