import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROUGHPUT_MPS, senderThroughput, throughputConfig, UPGRADED_THROUGHPUT_MPS } from './throughput-limit.js';
import { fullBucket, take, type TokenBucketConfig } from './token-bucket.js';

const T0 = 1_700_000_000_000;
const WINDOW_MS = 1000;

/** Admission times for a timeline of requests; each refused request is simply dropped. */
function admissionsOf(config: TokenBucketConfig, delays: readonly number[]): number[] {
  let state = fullBucket(config, T0);
  let now = T0;
  const admitted: number[] = [];
  for (const delay of delays) {
    now += delay;
    const result = take(state, config, now);
    if (result.ok) admitted.push(now);
    state = result.state;
  }
  return admitted;
}

/**
 * The most demanding caller: asks again exactly when told to (retryAfterMs), with a crowd of
 * `extraPerTick` more requests at every instant it is admitted. Runs for `durationMs`.
 */
function greedyAdmissions(config: TokenBucketConfig, durationMs: number, extraPerTick: number): number[] {
  let state = fullBucket(config, T0);
  let now = T0;
  const admitted: number[] = [];
  while (now < T0 + durationMs) {
    const result = take(state, config, now);
    state = result.state;
    if (result.ok) {
      admitted.push(now);
      for (let i = 0; i < extraPerTick; i++) {
        const extra = take(state, config, now);
        state = extra.state;
        if (extra.ok) admitted.push(now);
      }
    } else {
      now += result.retryAfterMs;
    }
  }
  return admitted;
}

/** The largest number of admissions in any half-open window [s, s + 1000 ms), over every s. */
function busiestWindow(admitted: readonly number[]): number {
  // The busiest window can always be slid right until it starts at an admission, so checking
  // windows that start at each admission covers every window. Two pointers keep it linear.
  let best = 0;
  let end = 0;
  for (let start = 0; start < admitted.length; start++) {
    while (end < admitted.length && admitted[end]! < admitted[start]! + WINDOW_MS) end++;
    best = Math.max(best, end - start);
  }
  return best;
}

const mpsArb = fc.oneof(fc.constantFrom(1, 2, 20, DEFAULT_THROUGHPUT_MPS, UPGRADED_THROUGHPUT_MPS), fc.integer({ min: 1, max: 1200 }));

describe('throughput limit', () => {
  it('never admits more than mps in any 1-second sliding window, for random timelines', () => {
    fc.assert(
      fc.property(
        mpsArb.chain((mps) => fc.tuple(fc.constant(mps), fc.integer({ min: 1, max: mps }))),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1500 })), { maxLength: 3000 }),
        ([mps, burst], delays) => {
          // The default burst, a pure pacer, or any burst up to mps.
          const options = burst % 3 === 0 ? { burst } : burst % 3 === 1 ? {} : { burst: 1 };
          expect(busiestWindow(admissionsOf(throughputConfig(mps, options), delays))).toBeLessThanOrEqual(mps);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never admits more than mps in any 1-second sliding window, for a caller that retries exactly on time', () => {
    fc.assert(
      fc.property(mpsArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 4 }), (mps, extraPerTick, burstPick) => {
        const options = burstPick === 4 ? {} : { burst: Math.min(mps, burstPick === 3 ? mps : burstPick) };
        const admitted = greedyAdmissions(throughputConfig(mps, options), 4000, extraPerTick);
        expect(busiestWindow(admitted)).toBeLessThanOrEqual(mps);
      }),
      { numRuns: 200 },
    );
  });

  it('sustains mps + 1 − burst, about 90% of mps by default, even for a caller rounding to whole ms', () => {
    for (const mps of [1, 7, 10, 20, DEFAULT_THROUGHPUT_MPS, 333, UPGRADED_THROUGHPUT_MPS]) {
      const config = throughputConfig(mps);
      const admitted = greedyAdmissions(config, 10_000, 0);
      expect(admitted.length).toBeGreaterThanOrEqual(10 * config.refillPerSecond);
      if (mps >= 10) expect(config.refillPerSecond).toBeGreaterThanOrEqual(0.9 * mps - 1);
      expect(busiestWindow(admitted)).toBeLessThanOrEqual(mps);
    }
  });

  it('absorbs a dispatcher that only runs every 100 ms, which a burst of 1 cannot', () => {
    const polled = (config: TokenBucketConfig): number => {
      let state = fullBucket(config, T0);
      let admitted = 0;
      for (let now = T0; now < T0 + 10_000; now += 100) {
        for (;;) {
          const result = take(state, config, now);
          if (!result.ok) break;
          state = result.state;
          admitted += 1;
        }
      }
      return admitted;
    };
    for (const mps of [10, 20, DEFAULT_THROUGHPUT_MPS, 333, UPGRADED_THROUGHPUT_MPS]) {
      const config = throughputConfig(mps);
      expect(polled(config)).toBeGreaterThanOrEqual(Math.floor(10 * config.refillPerSecond));
    }
    expect(polled(throughputConfig(DEFAULT_THROUGHPUT_MPS, { burst: 1 }))).toBe(100);
  });

  it('paces exactly with a burst of 1 for a caller that is never late', () => {
    const admitted = admissionsOf(throughputConfig(100, { burst: 1 }), Array.from({ length: 1000 }, () => 10));
    expect(admitted.length).toBe(1000);
    expect(busiestWindow(admitted)).toBe(100);
  });

  it('would admit nearly 2 × mps in one second with the naive capacity = refill = mps', () => {
    const naive = { capacity: DEFAULT_THROUGHPUT_MPS, refillPerSecond: DEFAULT_THROUGHPUT_MPS };
    const admitted = greedyAdmissions(naive, 3000, DEFAULT_THROUGHPUT_MPS);
    expect(busiestWindow(admitted)).toBeGreaterThan(1.9 * DEFAULT_THROUGHPUT_MPS);
  });

  it('trades sustained rate for burst one-for-one', () => {
    expect(throughputConfig(80)).toEqual({ capacity: 9, refillPerSecond: 72 });
    expect(throughputConfig(1000)).toEqual({ capacity: 101, refillPerSecond: 900 });
    expect(throughputConfig(20)).toEqual({ capacity: 3, refillPerSecond: 18 });
    expect(throughputConfig(1)).toEqual({ capacity: 1, refillPerSecond: 1 });
    expect(throughputConfig(80, { burst: 1 })).toEqual({ capacity: 1, refillPerSecond: 80 });
    expect(throughputConfig(80, { burst: 80 })).toEqual({ capacity: 80, refillPerSecond: 1 });
  });

  it("paces the sender 3% below Meta's figure, and never lets more than that through in any 1-second window", () => {
    expect(senderThroughput(UPGRADED_THROUGHPUT_MPS)).toEqual({ capacity: 10, refillPerSecond: 961 });
    expect(senderThroughput(DEFAULT_THROUGHPUT_MPS)).toEqual({ capacity: 1, refillPerSecond: 77 });
    expect(senderThroughput(1)).toEqual({ capacity: 1, refillPerSecond: 1 });
    for (const mps of [20, DEFAULT_THROUGHPUT_MPS, 333, UPGRADED_THROUGHPUT_MPS]) {
      const admitted = greedyAdmissions(senderThroughput(mps), 4000, 2);
      expect(busiestWindow(admitted)).toBeLessThanOrEqual(Math.floor(mps * 0.97));
    }
  });

  it('refuses throughputs and bursts that cannot be honoured', () => {
    expect(() => throughputConfig(0)).toThrow(RangeError);
    expect(() => throughputConfig(12.5)).toThrow(RangeError);
    expect(() => throughputConfig(80, { burst: 0 })).toThrow(RangeError);
    expect(() => throughputConfig(80, { burst: 81 })).toThrow(RangeError);
  });
});
