import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../platform/clock.js';
import { MemoryRateLimiter } from '../../../outbound/index.js';
import { burstBucket, rateLimitKey, searchBucket, searchLimiter } from './hubspot-rate-limit.js';

/** Most admissions in any window of `windowMs` (rolling, as HubSpot counts). */
function peak(times: number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('HubSpot rate-limit buckets', () => {
  it('admit at most 95 % of the tier in any rolling 10 s, whatever the arrival pattern', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10, max: 1000 }), fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 50, maxLength: 600 }), async (perTenSeconds, gaps) => {
        const clock = new ManualClock(0);
        const limiter = new MemoryRateLimiter(clock);
        const config = burstBucket({ perTenSeconds });
        const admitted: number[] = [];
        for (const gap of gaps) {
          clock.advance(gap);
          // A greedy client: retries as soon as the limiter allows.
          for (;;) {
            const r = await limiter.reserve('k', config);
            if (r.ok) break;
            clock.advance(r.retryAfterMs);
          }
          admitted.push(clock.now());
        }
        expect(peak(admitted, 10_000)).toBeLessThanOrEqual(Math.floor(perTenSeconds * 0.95));
      }),
      { numRuns: 60 },
    );
  });

  it('sustain close to the tier: 17 requests/s on Professional (190 / 10 s), 9 on Free/Starter', () => {
    expect(burstBucket({ perTenSeconds: 190 })).toEqual({ capacity: 10, refillPerSecond: 17 });
    expect(burstBucket({ perTenSeconds: 100 })).toEqual({ capacity: 5, refillPerSecond: 9 });
    expect(() => burstBucket({ perTenSeconds: 0 })).toThrow(RangeError);
  });

  it('hold searches to 90 % of 5 per rolling second, and charge them to the burst bucket too', async () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter(clock);
    const burst = burstBucket({ perTenSeconds: 100 });
    const searches = searchLimiter(limiter, { key: 's', config: searchBucket({ perTenSeconds: 100 }) });
    const admitted: number[] = [];
    while (admitted.length < 100) {
      const r = await searches.reserve('b', burst);
      if (r.ok) admitted.push(clock.now());
      else clock.advance(r.retryAfterMs);
    }
    expect(peak(admitted, 1000)).toBeLessThanOrEqual(4);

    // With a burst bucket slower than the search bucket, searches go at the burst bucket's pace.
    const slow = { capacity: 3, refillPerSecond: 0.5 };
    const start = clock.now();
    for (let n = 0; n < 6; ) {
      const r = await searches.reserve('slow', slow);
      if (r.ok) n++;
      else clock.advance(r.retryAfterMs);
    }
    expect(clock.now() - start).toBeGreaterThanOrEqual(6000);
  });

  it('keys the buckets by portal, or by a hash that does not reveal the token', () => {
    expect(rateLimitKey('4242', 'pat-secret')).toBe('crm:hubspot:portal:4242');
    expect(rateLimitKey(undefined, 'pat-secret')).toMatch(/^crm:hubspot:token:[0-9a-f]{16}$/);
    expect(rateLimitKey(undefined, 'pat-secret')).not.toContain('secret');
  });
});
