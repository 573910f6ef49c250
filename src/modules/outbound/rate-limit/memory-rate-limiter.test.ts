import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../platform/clock.js';
import { PAIR_LIMIT } from '../core/pair-limit.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

const T0 = 1_700_000_000_000;

describe('MemoryRateLimiter eviction', () => {
  it('holds only recipients whose bucket is still refilling, however many pass through', async () => {
    const clock = new ManualClock(T0);
    const limiter = new MemoryRateLimiter(clock);
    // 100,000 one-off recipients, one every 10 ms: a pair bucket drawn once is full again after
    // 6 s, so about 600 are live at any moment.
    let peak = 0;
    let admitted = 0;
    for (let i = 0; i < 100_000; i++) {
      clock.advance(10);
      if ((await limiter.reserve(`pair:${i}`, PAIR_LIMIT)).ok) admitted += 1;
      peak = Math.max(peak, limiter.size);
    }
    expect(admitted).toBe(100_000);
    // Live buckets plus at most about one lap of the sweeping cursor.
    expect(peak).toBeLessThan(2_000);
  });

  it('forgets a bucket only once it is full again, so eviction never changes an answer', async () => {
    const clock = new ManualClock(T0);
    const limiter = new MemoryRateLimiter(clock);
    const config = { capacity: 2, refillPerSecond: 1 };
    expect(await limiter.reserve('k', config, 2)).toEqual({ ok: true });
    clock.advance(1999);
    expect(limiter.evictIdle()).toBe(0);
    expect(await limiter.reserve('k', config, 2)).toEqual({ ok: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.evictIdle()).toBe(1);
    expect(limiter.size).toBe(0);
    // Evicted means full, exactly as if the bucket had been kept.
    expect(await limiter.reserve('k', config, 2)).toEqual({ ok: true });
  });

  it('forgets a throughput log once its longest window has passed since its newest admission', async () => {
    const clock = new ManualClock(T0);
    const limiter = new MemoryRateLimiter(clock);
    const config = { windows: [{ limit: 2, windowMs: 1000 }, { limit: 1, windowMs: 10 }] };
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: true });
    clock.advance(500);
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: true });
    clock.advance(999);
    expect(limiter.evictIdle()).toBe(0);
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: true });
    clock.advance(1000);
    expect(limiter.evictIdle()).toBe(1);
    // Forgotten means empty, exactly as if the log had been kept: two fit again.
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: true });
    clock.advance(10);
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: true });
  });
});
