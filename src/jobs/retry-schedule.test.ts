import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs, type RetryPolicy } from './retry-schedule.js';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 20_000 };

describe('retryDelayMs', () => {
  it('gives up once the last attempt has failed', () => {
    expect(retryDelayMs(policy, 6, 0.5)).toBeNull();
    expect(retryDelayMs(policy, 5, 0.5)).not.toBeNull();
  });

  it('doubles the window with each attempt until the cap', () => {
    expect(retryDelayMs(policy, 1, 1)).toBe(1_000);
    expect(retryDelayMs(policy, 2, 1)).toBe(2_000);
    expect(retryDelayMs(policy, 3, 1)).toBe(4_000);
    expect(retryDelayMs(policy, 5, 1)).toBe(16_000);
  });

  it('always waits between half the window and the window, never beyond the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        (attempt, random, baseDelayMs, maxDelayMs) => {
          const p = { maxAttempts: 100, baseDelayMs, maxDelayMs };
          const delay = retryDelayMs(p, attempt, random);
          const window = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
          expect(delay).not.toBeNull();
          expect(delay!).toBeGreaterThanOrEqual(Math.floor(window / 2));
          expect(delay!).toBeLessThanOrEqual(Math.ceil(window));
        },
      ),
    );
  });

  it('never shrinks the lower bound as attempts grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), (attempt) => {
        const p = { maxAttempts: 100, baseDelayMs: 500, maxDelayMs: 60_000 };
        expect(retryDelayMs(p, attempt + 1, 0)!).toBeGreaterThanOrEqual(retryDelayMs(p, attempt, 0)!);
      }),
    );
  });
});
