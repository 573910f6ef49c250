import { describe, expect, it } from 'vitest';
import { cookieValue, SESSION_COOKIE, sessionCookie } from './session-auth.js';

describe('session cookie', () => {
  it('should find the session among other cookies', () => {
    expect(cookieValue(`theme=dark; ${SESSION_COOKIE}=abc123; other=1`, SESSION_COOKIE)).toBe('abc123');
  });

  it('should answer null for a missing header or cookie, and not throw on malformed encoding', () => {
    expect(cookieValue(undefined, SESSION_COOKIE)).toBeNull();
    expect(cookieValue('theme=dark', SESSION_COOKIE)).toBeNull();
    expect(() => cookieValue(`${SESSION_COOKIE}=%E0%A4%A`, SESSION_COOKIE)).not.toThrow();
  });

  it('should be HttpOnly and SameSite=Strict, Secure only over HTTPS, and expire with the session', () => {
    const plain = sessionCookie('tok', 3_600_000, false);
    expect(plain).toContain(`${SESSION_COOKIE}=tok`);
    expect(plain).toContain('HttpOnly');
    expect(plain).toContain('SameSite=Strict');
    expect(plain).toContain('Max-Age=3600');
    expect(plain).not.toContain('Secure');
    expect(sessionCookie('tok', 1000, true)).toContain('Secure');
    expect(sessionCookie('', 0, false)).toContain('Max-Age=0');
  });
});
