import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

const box = new SecretBox('a-secret-key-of-at-least-32-characters!!');

describe('SecretBox', () => {
  it('opens what it sealed, and never stores the plaintext', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (secret) => {
        const sealed = box.seal(secret);
        expect(box.open(sealed)).toBe(secret);
        if (secret.length > 3) expect(sealed).not.toContain(secret);
      }),
    );
  });

  it('seals the same secret differently each time', () => {
    expect(box.seal('token')).not.toBe(box.seal('token'));
  });

  it('refuses a value sealed under another key or tampered with', () => {
    const sealed = box.seal('EAAG-token');
    expect(() => new SecretBox('another-secret-key-of-32-characters-x').open(sealed)).toThrow();
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => box.open('plain-token')).toThrow('not a sealed secret');
  });
});
