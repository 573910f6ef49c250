import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimiter, serviceWindowOpen, TokenBucket } from './enforcement.js';

describe('TokenBucket', () => {
  it('allows a burst of `capacity`, then one more per refill interval', () => {
    const bucket = new TokenBucket(45, 6_000, 0);
    for (let i = 0; i < 45; i++) expect(bucket.take(0)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(5_999)).toBe(false);
    expect(bucket.take(6_000)).toBe(true);
    expect(bucket.take(6_001)).toBe(false);
  });

  it('never grants more than capacity + elapsed / interval, whatever the request times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 300 }),
        (capacity, interval, times) => {
          const sorted = [...times].sort((a, b) => a - b);
          const bucket = new TokenBucket(capacity, interval, 0);
          const granted = sorted.filter((t) => bucket.take(t)).length;
          const end = sorted[sorted.length - 1] ?? 0;
          expect(granted).toBeLessThanOrEqual(capacity + Math.floor(end / interval));
        },
      ),
    );
  });

  it('does not mint tokens when the clock goes backwards', () => {
    const bucket = new TokenBucket(1, 1_000, 10_000);
    expect(bucket.take(10_000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(10_500)).toBe(false);
  });
});

describe('rate limiter', () => {
  it('limits throughput per number and pairs per (number, recipient) independently', () => {
    const limiter = createRateLimiter();
    expect(limiter.takeThroughput('n1', 2, 0)).toBe(true);
    expect(limiter.takeThroughput('n1', 2, 0)).toBe(true);
    expect(limiter.takeThroughput('n1', 2, 0)).toBe(false);
    expect(limiter.takeThroughput('n2', 2, 0)).toBe(true);
    // A sliding second: the first send's slot frees only 1,000 ms after it.
    expect(limiter.takeThroughput('n1', 2, 999)).toBe(false);
    expect(limiter.takeThroughput('n1', 2, 1_000)).toBe(true);

    const pair = { capacity: 1, refillIntervalMs: 6_000 };
    expect(limiter.takePair('n1', 'alice', pair, 0)).toBe(true);
    expect(limiter.takePair('n1', 'alice', pair, 0)).toBe(false);
    expect(limiter.takePair('n1', 'bob', pair, 0)).toBe(true);
    expect(limiter.takePair('n2', 'alice', pair, 0)).toBe(true);
  });
});

describe('service window', () => {
  const day = 24 * 60 * 60 * 1000;
  it('is open for 24 h after the last inbound message and closed without one', () => {
    expect(serviceWindowOpen(null, 0, day)).toBe(false);
    expect(serviceWindowOpen(1_000, 1_000 + day - 1, day)).toBe(true);
    expect(serviceWindowOpen(1_000, 1_000 + day, day)).toBe(false);
  });
});
