import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fullBucket,
  msUntilFull,
  refill,
  take,
  type TokenBucketConfig,
  type TokenBucketState,
} from './token-bucket.js';

const T0 = 1_700_000_000_000;

/** Integer and awkward fractional rates: 1/6 (the pair rate) is not exact in binary. */
const refillArb = fc.oneof(
  fc.constantFrom(1 / 6, 1 / 3, 0.5, 1, 7, 80, 81, 1000, 1001),
  fc.double({ min: 0.01, max: 2000, noNaN: true, noDefaultInfinity: true }),
);
const configArb: fc.Arbitrary<TokenBucketConfig> = fc.record({
  capacity: fc.integer({ min: 1, max: 60 }),
  refillPerSecond: refillArb,
});

/** A fake clock's timeline: mostly bunched requests, sometimes long pauses. */
const stepArb = fc.record({
  delayMs: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20_000 })),
  count: fc.integer({ min: 1, max: 60 }),
});
const stepsArb = fc.array(stepArb, { maxLength: 200 });

type Admitted = { at: number; count: number };

/** Runs the timeline from a full bucket; counts larger than the capacity are scaled into range. */
function simulate(config: TokenBucketConfig, steps: readonly { delayMs: number; count: number }[]) {
  let state = fullBucket(config, T0);
  let now = T0;
  const admitted: Admitted[] = [];
  const refusals: { state: TokenBucketState; now: number; count: number; retryAfterMs: number }[] = [];
  for (const step of steps) {
    now += step.delayMs;
    const count = 1 + ((step.count - 1) % config.capacity);
    const result = take(state, config, now, count);
    if (result.ok) {
      admitted.push({ at: now, count });
    } else {
      refusals.push({ state, now, count, retryAfterMs: result.retryAfterMs });
      // A refused take consumes nothing: the state comes back as it went in.
      expect(result.state).toBe(state);
    }
    state = result.state;
  }
  return { admitted, refusals };
}

// Floating-point slack for comparing against the real-valued bound; far below one token.
const EPS = 1e-9;

describe('token bucket', () => {
  it('a fresh bucket admits its whole capacity at once and then refuses', () => {
    const config = { capacity: 3, refillPerSecond: 1 };
    let state = fullBucket(config, T0);
    for (let i = 0; i < 3; i++) {
      const result = take(state, config, T0);
      expect(result.ok).toBe(true);
      state = result.state;
    }
    expect(take(state, config, T0)).toEqual({ ok: false, state, retryAfterMs: 1000 });
  });

  it('refills continuously, not in whole-token steps', () => {
    const config = { capacity: 2, refillPerSecond: 1 };
    const empty = take(fullBucket(config, T0), config, T0, 2);
    if (!empty.ok) throw new Error('expected the burst to pass');
    expect(refill(empty.state, config, T0 + 250).tokens).toBeCloseTo(0.25, 12);
    // Half a token is there after 500 ms, so one more needs another 500 ms, and two need 1500 ms.
    expect(take(empty.state, config, T0 + 500)).toMatchObject({ ok: false, retryAfterMs: 500 });
    expect(take(empty.state, config, T0 + 500, 2)).toMatchObject({ ok: false, retryAfterMs: 1500 });
    expect(take(empty.state, config, T0 + 1000).ok).toBe(true);
  });

  it('never holds more than its capacity however long it idles', () => {
    const config = { capacity: 5, refillPerSecond: 10 };
    expect(refill({ tokens: 0, updatedAt: T0 }, config, T0 + 3_600_000).tokens).toBe(5);
  });

  it('rejects impossible takes and configs as programming errors', () => {
    const config = { capacity: 3, refillPerSecond: 1 };
    const state = fullBucket(config, T0);
    expect(() => take(state, config, T0, 4)).toThrow(RangeError);
    expect(() => take(state, config, T0, 0)).toThrow(RangeError);
    expect(() => take(state, config, T0, Number.NaN)).toThrow(RangeError);
    expect(() => take(state, config, Number.NaN)).toThrow(RangeError);
    expect(() => take(state, { capacity: 0, refillPerSecond: 1 }, T0)).toThrow(RangeError);
    expect(() => take(state, { capacity: 3, refillPerSecond: 0 }, T0)).toThrow(RangeError);
    expect(() => take(state, { capacity: 3, refillPerSecond: Number.POSITIVE_INFINITY }, T0)).toThrow(RangeError);
  });

  it('never admits more than capacity + refill × elapsed over any stretch of the timeline', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (config, steps) => {
        const { admitted } = simulate(config, steps);
        // Every stretch [a, b] between two admission times; prefix sums make each check O(1).
        const prefix = [0];
        for (const a of admitted) prefix.push((prefix.at(-1) ?? 0) + a.count);
        for (let i = 0; i < admitted.length; i++) {
          const from = admitted[i]!.at;
          // Include everything admitted at the same instant as `from`, not just from index i.
          const first = admitted.findIndex((a) => a.at === from);
          for (let j = i; j < admitted.length; j++) {
            const to = admitted[j]!.at;
            const admittedTokens = prefix[j + 1]! - prefix[first]!;
            expect(admittedTokens).toBeLessThanOrEqual(config.capacity + (config.refillPerSecond * (to - from)) / 1000 + EPS);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('retryAfterMs is exact: the take succeeds right then and fails one millisecond before', () => {
    fc.assert(
      fc.property(configArb, stepsArb, (config, steps) => {
        for (const r of simulate(config, steps).refusals) {
          expect(Number.isInteger(r.retryAfterMs)).toBe(true);
          expect(r.retryAfterMs).toBeGreaterThanOrEqual(1);
          expect(take(r.state, config, r.now + r.retryAfterMs, r.count).ok).toBe(true);
          expect(take(r.state, config, r.now + r.retryAfterMs - 1, r.count).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('retryAfterMs is exact from any state, including one written by a clock that runs ahead', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: 1, max: 60 }),
        (config, fill, skewMs, rawCount) => {
          const state = { tokens: fill * config.capacity, updatedAt: T0 };
          const count = 1 + ((rawCount - 1) % config.capacity);
          const now = T0 + skewMs;
          const result = take(state, config, now, count);
          if (result.ok) return;
          expect(result.retryAfterMs).toBeGreaterThanOrEqual(1);
          expect(take(state, config, now + result.retryAfterMs, count).ok).toBe(true);
          expect(take(state, config, now + result.retryAfterMs - 1, count).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a clock going backwards mints nothing: admissions stay within capacity + refill × (latest time seen − start)', () => {
    const jumpyStepArb = fc.record({
      delayMs: fc.oneof(fc.integer({ min: -20_000, max: 20_000 }), fc.integer({ min: -50, max: 50 })),
      count: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(configArb, fc.array(jumpyStepArb, { maxLength: 200 }), (config, steps) => {
        let state = fullBucket(config, T0);
        let now = T0;
        let latest = T0;
        let admittedTokens = 0;
        for (const step of steps) {
          now += step.delayMs;
          latest = Math.max(latest, now);
          const count = 1 + ((step.count - 1) % config.capacity);
          const result = take(state, config, now, count);
          if (result.ok) admittedTokens += count;
          state = result.state;
          expect(admittedTokens).toBeLessThanOrEqual(config.capacity + (config.refillPerSecond * (latest - T0)) / 1000 + EPS);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('an earlier time neither adds tokens nor moves updatedAt back', () => {
    const config = { capacity: 10, refillPerSecond: 1 };
    const state = { tokens: 2, updatedAt: T0 };
    expect(refill(state, config, T0 - 60_000)).toEqual(state);
    // Had updatedAt moved back to T0 − 60 s, returning to T0 would count that minute twice.
    const back = take(state, config, T0 - 60_000);
    if (!back.ok) throw new Error('expected a token');
    expect(back.state).toEqual({ tokens: 1, updatedAt: T0 });
    expect(refill(back.state, config, T0).tokens).toBe(1);
  });

  it('msUntilFull is the first moment the bucket is full again, after which forgetting it changes nothing', () => {
    fc.assert(
      fc.property(configArb, stepsArb, fc.integer({ min: -5000, max: 5000 }), (config, steps, offset) => {
        let state = fullBucket(config, T0);
        let now = T0;
        for (const step of steps) {
          now += step.delayMs;
          state = take(state, config, now, 1 + ((step.count - 1) % config.capacity)).state;
        }
        const at = now + offset;
        const wait = msUntilFull(state, config, at);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(refill(state, config, at + wait).tokens).toBe(config.capacity);
        if (wait > 0) expect(refill(state, config, at + wait - 1).tokens).toBeLessThan(config.capacity);
      }),
      { numRuns: 300 },
    );
  });
});
