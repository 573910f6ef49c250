import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './webhook-sender.js';

describe('webhook retry backoff', () => {
  it('doubles from the base delay and is capped', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 100, 1_000))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('never shrinks from one attempt to the next and never exceeds the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 1_000_000 }), (attempt, base, max) => {
        const cap = Math.max(base, max);
        expect(backoffDelayMs(attempt + 1, base, cap)).toBeGreaterThanOrEqual(backoffDelayMs(attempt, base, cap));
        expect(backoffDelayMs(attempt, base, cap)).toBeLessThanOrEqual(cap);
      }),
    );
  });
});
