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

  it('forgets a throughput window once its last hold has lapsed and a window has passed', async () => {
    const clock = new ManualClock(T0);
    const limiter = new MemoryRateLimiter(clock);
    const config = { limit: 1, windowMs: 1000, maxHoldMs: 100 };
    const first = await limiter.reserveInWindow('throughput:n', config);
    if (!first.ok) throw new Error('the first send must be admitted');
    clock.advance(10);
    await first.release();
    clock.advance(1000);
    // Never released: its hold lapses at T0 + 1110 and counts until T0 + 2110.
    expect((await limiter.reserveInWindow('throughput:n', config)).ok).toBe(true);
    clock.advance(1099);
    expect(limiter.evictIdle()).toBe(0);
    expect(await limiter.reserveInWindow('throughput:n', config)).toEqual({ ok: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.evictIdle()).toBe(1);
    // Forgotten means empty, exactly as if the window had been kept.
    expect((await limiter.reserveInWindow('throughput:n', config)).ok).toBe(true);
  });

  it('releases into the window a changed limit replaced, keeping the send counted', async () => {
    const clock = new ManualClock(T0);
    const limiter = new MemoryRateLimiter(clock);
    const small = { limit: 1, windowMs: 1000, maxHoldMs: 5000 };
    const slot = await limiter.reserveInWindow('throughput:n', small);
    if (!slot.ok) throw new Error('the first send must be admitted');
    const larger = { ...small, limit: 2 };
    expect((await limiter.reserveInWindow('throughput:n', larger)).ok).toBe(true);
    clock.advance(5);
    await slot.release();
    // Both counted: the answer at T0 + 5 frees the next place a window later.
    expect(await limiter.reserveInWindow('throughput:n', larger)).toEqual({ ok: false, retryAfterMs: 1000 });
  });
});
