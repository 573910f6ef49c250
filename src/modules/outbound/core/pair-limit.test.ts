import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAIR_LIMIT, PAIR_RETRY_MAX_EXPONENT, pairRetryDelayMs } from './pair-limit.js';
import { fullBucket, msUntilFull, refill, take, type TokenBucketState } from './token-bucket.js';

const T0 = 1_700_000_000_000;

function takeOrThrow(state: TokenBucketState, now: number): TokenBucketState {
  const result = take(state, PAIR_LIMIT, now);
  if (!result.ok) throw new Error(`refused at +${now - T0} ms`);
  return result.state;
}

describe('pair limit', () => {
  it('lets a burst of 45 to one recipient through, then the 46th waits 6 s', () => {
    let state = fullBucket(PAIR_LIMIT, T0);
    for (let i = 0; i < 45; i++) state = takeOrThrow(state, T0);
    const refused = take(state, PAIR_LIMIT, T0);
    expect(refused).toMatchObject({ ok: false, retryAfterMs: 6000 });
    expect(take(state, PAIR_LIMIT, T0 + 5999).ok).toBe(false);
    state = takeOrThrow(state, T0 + 6000);
    // Past the burst the pace is one message per 6 s.
    expect(take(state, PAIR_LIMIT, T0 + 6000)).toMatchObject({ ok: false, retryAfterMs: 6000 });
  });

  it('pays a burst of 20 back in 2 minutes, as Meta describes', () => {
    let state = fullBucket(PAIR_LIMIT, T0);
    for (let i = 0; i < 20; i++) state = takeOrThrow(state, T0);
    expect(msUntilFull(state, PAIR_LIMIT, T0)).toBe(120_000);
    expect(refill(state, PAIR_LIMIT, T0 + 120_000).tokens).toBe(45);
  });

  it('holds a recipient to 45 + elapsed / 6 s whatever the request pattern', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 300 }), (delays) => {
        let state = fullBucket(PAIR_LIMIT, T0);
        let now = T0;
        let admitted = 0;
        for (const delay of delays) {
          now += delay;
          const result = take(state, PAIR_LIMIT, now);
          if (result.ok) admitted += 1;
          state = result.state;
          expect(admitted).toBeLessThanOrEqual(45 + Math.floor((now - T0) / 6000));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('retries 131056 after 1 s, 4 s, 16 s, 64 s, 256 s, 1024 s, then stays at 1024 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100, 1_000_000].map(pairRetryDelayMs)).toEqual([
      1000, 4000, 16_000, 64_000, 256_000, 1_024_000, 1_024_000, 1_024_000, 1_024_000, 1_024_000,
    ]);
  });

  it('grows the 131056 delay fourfold per attempt until the cap, never shrinking', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), (attempt) => {
        const delay = pairRetryDelayMs(attempt);
        const next = pairRetryDelayMs(attempt + 1);
        expect(next).toBe(attempt < PAIR_RETRY_MAX_EXPONENT ? delay * 4 : delay);
        expect(Number.isFinite(delay)).toBe(true);
      }),
    );
  });

  it('refuses negative or fractional attempt numbers as bugs', () => {
    expect(() => pairRetryDelayMs(-1)).toThrow(RangeError);
    expect(() => pairRetryDelayMs(1.5)).toThrow(RangeError);
    expect(() => pairRetryDelayMs(Number.NaN)).toThrow(RangeError);
  });
});
