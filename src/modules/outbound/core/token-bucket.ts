/**
 * A pure token bucket. The caller owns the state and the clock; this file only does arithmetic,
 * so the memory limiter, the Redis Lua script (which mirrors it line for line) and the property
 * tests all agree on one definition.
 *
 * Guarantee: the takes that succeed at times within [t1, t2] consume at most
 * `capacity + refillPerSecond * (t2 - t1) / 1000` tokens. A timestamp earlier than one already
 * seen adds nothing, so a clock that jumps back cannot make the same time pay out twice.
 *
 * Times are ms from the injected Clock; `retryAfterMs` is whole ms.
 */

/** Tokens available as of `updatedAt` (ms on the caller's clock). */
export type TokenBucketState = { readonly tokens: number; readonly updatedAt: number };

/** `capacity` is the largest burst; `refillPerSecond` the sustained rate. Both finite and > 0. */
export type TokenBucketConfig = { readonly capacity: number; readonly refillPerSecond: number };

export type TakeResult =
  | { readonly ok: true; readonly state: TokenBucketState }
  /**
   * `retryAfterMs` is the smallest whole number of milliseconds after `now` at which the same take
   * would succeed (given no other takes): an integer >= 1. A refused take consumes nothing and
   * returns the state unchanged, so the caller may store it or not.
   */
  | { readonly ok: false; readonly state: TokenBucketState; readonly retryAfterMs: number };

/** A bucket nobody has drawn from: full. A missing key in any store means exactly this. */
export function fullBucket(config: TokenBucketConfig, now: number): TokenBucketState {
  assertValidConfig(config);
  return { tokens: config.capacity, updatedAt: now };
}

/** Throws RangeError: a bad config is a programming error, not an expected failure. */
export function assertValidConfig(config: TokenBucketConfig): void {
  if (!(Number.isFinite(config.capacity) && config.capacity > 0)) {
    throw new RangeError(`token bucket capacity must be a finite number > 0, got ${config.capacity}`);
  }
  if (!(Number.isFinite(config.refillPerSecond) && config.refillPerSecond > 0)) {
    throw new RangeError(`token bucket refillPerSecond must be a finite number > 0, got ${config.refillPerSecond}`);
  }
}

/**
 * Validates what `take` validates, for adapters that run the arithmetic elsewhere (Redis) but
 * must reject the same inputs the same way.
 */
export function assertValidTake(config: TokenBucketConfig, count: number): void {
  assertValidConfig(config);
  // A take larger than the bucket could never succeed; a caller would reschedule it forever.
  if (!(Number.isFinite(count) && count > 0 && count <= config.capacity)) {
    throw new RangeError(`token bucket count must be > 0 and <= capacity (${config.capacity}), got ${count}`);
  }
}

/**
 * The state as of `now`. Refill is continuous. A `now` earlier than `updatedAt` (clock skew
 * between processes, or a clock stepped back by NTP) adds nothing and keeps `updatedAt`: moving
 * `updatedAt` back would make the same stretch of time count twice once the clock catches up.
 * Tokens above `capacity` (the capacity was lowered) are clamped; clamping never mints.
 */
export function refill(state: TokenBucketState, config: TokenBucketConfig, now: number): TokenBucketState {
  if (!(now > state.updatedAt)) {
    return state.tokens > config.capacity ? { tokens: config.capacity, updatedAt: state.updatedAt } : state;
  }
  // Keep this expression identical to the Lua script: same IEEE doubles, same rounding.
  const tokens = Math.min(config.capacity, state.tokens + ((now - state.updatedAt) * config.refillPerSecond) / 1000);
  return { tokens, updatedAt: now };
}

/** Takes `count` tokens at `now` if they are there; otherwise says how long to wait. */
export function take(state: TokenBucketState, config: TokenBucketConfig, now: number, count = 1): TakeResult {
  assertValidTake(config, count);
  assertFiniteTime(now);
  const current = refill(state, config, now);
  if (current.tokens >= count) {
    return { ok: true, state: { tokens: current.tokens - count, updatedAt: current.updatedAt } };
  }
  return { ok: false, state, retryAfterMs: msUntilTokens(state, config, now, count) };
}

/**
 * Whole milliseconds from `now` until the bucket is full again, which is when its state is
 * indistinguishable from a missing one: stores may forget the key from then on (eviction, TTL)
 * without changing any answer.
 */
export function msUntilFull(state: TokenBucketState, config: TokenBucketConfig, now: number): number {
  assertValidConfig(config);
  assertFiniteTime(now);
  return msUntilTokens(state, config, now, config.capacity);
}

/**
 * The smallest whole number of ms `w` >= 0 with `refill(state, now + w).tokens >= target`
 * (target <= capacity). The closed form `(target - tokens) / rate` is right in exact arithmetic
 * but can land a millisecond off in floating point, and the answer must be exact with respect to
 * `take` itself, or a caller that reschedules for `retryAfterMs` could be refused again. So the
 * estimate is nudged against the very `refill` that `take` uses; it moves a step or two at most.
 */
function msUntilTokens(state: TokenBucketState, config: TokenBucketConfig, now: number, target: number): number {
  const current = refill(state, config, now);
  if (current.tokens >= target) return 0;
  // After skew (updatedAt ahead of now) nothing refills until the clock reaches updatedAt.
  const skewMs = Math.max(0, current.updatedAt - now);
  const estimate = skewMs + ((target - current.tokens) * 1000) / config.refillPerSecond;
  let wait = Math.max(1, Math.ceil(estimate));
  // Bounded so that absurd inputs (times near 2^53 where +1 is lost) cannot hang a worker.
  for (let step = 0; step < MAX_NUDGE && wait > 1 && refill(state, config, now + wait - 1).tokens >= target; step++) wait -= 1;
  for (let step = 0; step < MAX_NUDGE && refill(state, config, now + wait).tokens < target; step++) wait += 1;
  return wait;
}

const MAX_NUDGE = 16;

function assertFiniteTime(now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`token bucket time must be a finite number of ms, got ${now}`);
}
