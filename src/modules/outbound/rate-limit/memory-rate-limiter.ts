import type { Clock } from '../../../platform/clock.js';
import { admit, assertValidWindow, release, stateFor, stateLifetimeMs, type SlidingWindowConfig, type WindowState } from '../core/sliding-window.js';
import { fullBucket, msUntilFull, take, type TokenBucketConfig, type TokenBucketState } from '../core/token-bucket.js';
import type { RateLimiter, Reservation, WindowLimiter, WindowReservation } from './rate-limiter.js';

type Entry = { state: TokenBucketState; fullAt: number };

export type MemoryRateLimiterOptions = {
  /** Entries examined for eviction on each reservation (default 2); see below. */
  sweepPerReserve?: number;
};

/**
 * Token buckets (and sliding windows) in Maps, for a single process (and for tests). `reserve` has no await inside,
 * so its check-and-consume runs to completion before any other reservation: atomic without locks.
 *
 * Eviction: once a bucket has refilled to capacity it is indistinguishable from a missing key
 * (a missing key starts full), so it can be dropped without changing any answer. Each entry
 * remembers when that happens (`fullAt`), and every reservation advances a cursor over the Map
 * by `sweepPerReserve` entries, deleting those that are full. With 2 per reservation the cursor
 * outruns insertions (at most 1 per reservation), so a million one-off recipients cost memory
 * only for those whose bucket is still refilling (for the pair limit, recipients messaged in
 * the last 6 s per message sent, 4.5 min at most) plus one lap of the cursor, with O(1) work per call and no timer. `evictIdle()` does a
 * full pass for callers that want one (for example on an interval when traffic stops).
 */
export class MemoryRateLimiter implements RateLimiter, WindowLimiter {
  private readonly buckets = new Map<string, Entry>();
  /**
   * Sliding windows, one per sending number: too few keys to need the buckets' sweep;
   * `evictIdle()` drops those whose last hold and window have passed.
   */
  private readonly windows = new Map<string, { state: WindowState; idleAt: number }>();
  /** Tickets only need to be unique within this process's windows. */
  private nextTicket = 0;
  private cursor: Iterator<[string, Entry]> | undefined;
  private readonly sweepPerReserve: number;

  constructor(
    private readonly clock: Clock,
    options: MemoryRateLimiterOptions = {},
  ) {
    this.sweepPerReserve = options.sweepPerReserve ?? 2;
  }

  async reserve(key: string, config: TokenBucketConfig, count = 1): Promise<Reservation> {
    const now = this.clock.now();
    const entry = this.buckets.get(key);
    const result = take(entry?.state ?? fullBucket(config, now), config, now, count);
    if (result.ok) {
      this.buckets.set(key, { state: result.state, fullAt: now + msUntilFull(result.state, config, now) });
    }
    // A refusal consumes nothing, so there is nothing to store (and a missing key stays missing).
    this.sweep(now);
    return result.ok ? { ok: true } : { ok: false, retryAfterMs: result.retryAfterMs };
  }

  async reserveInWindow(key: string, config: SlidingWindowConfig): Promise<WindowReservation> {
    assertValidWindow(config);
    const now = this.clock.now();
    const state = stateFor(config, this.windows.get(key)?.state);
    const ticket = String(this.nextTicket++);
    const result = admit(state, config, now, ticket);
    if (!result.ok) return result;
    this.windows.set(key, { state, idleAt: now + stateLifetimeMs(config) });
    return {
      ok: true,
      release: async () => {
        // The key's state, not `state`: a resize since then replaced it, keeping the holds.
        const current = this.windows.get(key)?.state;
        if (current) release(current, ticket, this.clock.now());
      },
    };
  }

  /** Buckets currently held (full ones may linger until the cursor reaches them). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops every bucket that has refilled, and every window whose holds and answers have all passed; returns how many. O(n). */
  evictIdle(): number {
    const now = this.clock.now();
    let evicted = 0;
    for (const [key, entry] of this.windows) {
      if (entry.idleAt <= now) {
        this.windows.delete(key);
        evicted += 1;
      }
    }
    for (const [key, entry] of this.buckets) {
      if (entry.fullAt <= now) {
        this.buckets.delete(key);
        evicted += 1;
      }
    }
    return evicted;
  }

  private sweep(now: number): void {
    for (let i = 0; i < this.sweepPerReserve; i++) {
      // Map iterators are live: they skip deleted entries and reach entries added after they
      // were created, so one cursor can walk the Map while it changes.
      this.cursor ??= this.buckets.entries();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        // An empty lap would otherwise spin; the next reservation starts a new one.
        return;
      }
      const [key, entry] = next.value;
      if (entry.fullAt <= now) this.buckets.delete(key);
    }
  }
}
