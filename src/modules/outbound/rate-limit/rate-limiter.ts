import type { SlidingWindowConfig } from '../core/sliding-window.js';
import type { TokenBucketConfig } from '../core/token-bucket.js';

/** The answer to one reservation. `retryAfterMs` is a whole number of ms >= 1. */
export type Reservation = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Token buckets keyed by string (`throughput:<phone number id>`, `pair:<phone number id>:<wa_id>`),
 * behind a port so a single process can keep them in memory and several processes can share
 * them in Redis.
 *
 * `reserve` checks and consumes atomically: concurrent reservations, from this process or
 * another one sharing the store, never admit more than the bucket holds. A refusal consumes
 * nothing and is not an error: the caller reschedules the work for `retryAfterMs` later (the
 * queue sets `run_at`) instead of sleeping in a worker or failing the job.
 *
 * The config travels with each call rather than living in the store, so a number upgraded to
 * 1,000 mps takes effect on its next message. It rejects (RangeError) when `count` is not in
 * (0, capacity]: such a reservation could never succeed.
 */
export interface RateLimiter {
  reserve(key: string, config: TokenBucketConfig, count?: number): Promise<Reservation>;
}

/** An admitted send holds its place in the window until `release` (core/sliding-window.ts). */
export type WindowReservation = { ok: true; release: () => Promise<void> } | { ok: false; retryAfterMs: number };

/**
 * Sliding windows keyed by string (`throughput:<phone number id>`): at most `limit` sends counted
 * in any `windowMs`, a send counting from its admission until `windowMs` after its `release`
 * (core/sliding-window.ts). The sender paces a number's throughput with it and releases each send
 * as soon as Meta has answered (or the request failed). Same contract as `RateLimiter.reserve`:
 * atomic check-and-hold, a refusal holds nothing, shared through Redis by every process when Redis
 * is configured; it rejects (RangeError) a config that could never admit. A release that is never
 * made, or fails, leaves the send counted as in flight for `maxHoldMs`: slower, never over.
 */
export interface WindowLimiter {
  reserveInWindow(key: string, config: SlidingWindowConfig): Promise<WindowReservation>;
}
