import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admit, assertValidWindows, logFor, type SlidingWindowConfig } from './sliding-window.js';
import { busiestWindow } from '../../../../test/support/busiest-window.js';
import { fullBucket, take, type TokenBucketConfig } from './token-bucket.js';

const T0 = 1_700_000_000_000;

/** Admission times for a timeline of requests; each refused request is simply dropped. */
function admissionsOf(config: SlidingWindowConfig, delays: readonly number[]): number[] {
  const log = logFor(config);
  let now = T0;
  const admitted: number[] = [];
  for (const delay of delays) {
    now += delay;
    if (admit(log, config, now).ok) admitted.push(now);
  }
  return admitted;
}

/**
 * A dispatcher that only comes back every `periodMs` (an event loop busy with other work) and
 * then takes all it is given; how many it sends in `durationMs`.
 */
function polledEvery(periodMs: number, durationMs: number, tryOne: (now: number) => boolean): number {
  let sent = 0;
  for (let now = T0; now < T0 + durationMs; now += periodMs) {
    while (tryOne(now)) sent += 1;
  }
  return sent;
}

const windowsArb: fc.Arbitrary<SlidingWindowConfig> = fc
  .array(fc.record({ limit: fc.integer({ min: 1, max: 50 }), windowMs: fc.constantFrom(1, 10, 25.5, 100, 1000) }), { minLength: 1, maxLength: 3 })
  .map((windows) => ({ windows }));

describe('sliding-window log', () => {
  it('admits the limit, then says exactly how long until the oldest leaves the window', () => {
    const config = { windows: [{ limit: 3, windowMs: 1000 }] };
    const log = logFor(config);
    expect(admit(log, config, T0)).toEqual({ ok: true });
    expect(admit(log, config, T0 + 10)).toEqual({ ok: true });
    expect(admit(log, config, T0 + 20)).toEqual({ ok: true });
    expect(admit(log, config, T0 + 20)).toEqual({ ok: false, retryAfterMs: 980 });
    expect(admit(log, config, T0 + 999.5)).toEqual({ ok: false, retryAfterMs: 1 });
    expect(admit(log, config, T0 + 1000)).toEqual({ ok: true });
    expect(admit(log, config, T0 + 1000)).toEqual({ ok: false, retryAfterMs: 10 });
  });

  it('must fit every window at once, and waits for the one that frees last', () => {
    const config = { windows: [{ limit: 4, windowMs: 1000 }, { limit: 2, windowMs: 10 }] };
    const log = logFor(config);
    expect(admit(log, config, T0).ok).toBe(true);
    expect(admit(log, config, T0).ok).toBe(true);
    expect(admit(log, config, T0 + 3)).toEqual({ ok: false, retryAfterMs: 7 });
    expect(admit(log, config, T0 + 10).ok).toBe(true);
    expect(admit(log, config, T0 + 10).ok).toBe(true);
    // The 10-ms window has room again at T0 + 20, the second's only at T0 + 1000.
    expect(admit(log, config, T0 + 20)).toEqual({ ok: false, retryAfterMs: 980 });
  });

  it('never admits more than a limit in any window of its length, for random timelines', () => {
    fc.assert(
      fc.property(windowsArb, fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 1500 })), { maxLength: 2000 }), (config, delays) => {
        const admitted = admissionsOf(config, delays);
        for (const { limit, windowMs } of config.windows) expect(busiestWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 200 },
    );
  });

  it('admits at the time it says to come back, for a caller that retries exactly on time', () => {
    fc.assert(
      fc.property(windowsArb, fc.integer({ min: 1, max: 200 }), (config, requests) => {
        const log = logFor(config);
        let now = T0;
        for (let i = 0; i < requests; i++) {
          const first = admit(log, config, now);
          if (first.ok) continue;
          now += first.retryAfterMs;
          expect(admit(log, config, now).ok).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mints nothing when the clock goes back: what it ran ahead of still counts', () => {
    const config = { windows: [{ limit: 2, windowMs: 1000 }] };
    const log = logFor(config);
    expect(admit(log, config, T0).ok).toBe(true);
    expect(admit(log, config, T0 + 500).ok).toBe(true);
    expect(admit(log, config, T0 - 60_000)).toEqual({ ok: false, retryAfterMs: 61_000 });
    expect(admit(log, config, T0 + 1000).ok).toBe(true);
    // Recorded at T0 + 1000 even if it came with an earlier time: the log stays in order.
    const behind = { windows: [{ limit: 1, windowMs: 10 }] };
    const ordered = logFor(behind);
    admit(ordered, behind, T0 + 50);
    expect(admit(ordered, behind, T0 + 40)).toEqual({ ok: false, retryAfterMs: 20 });
  });

  it('lets a late dispatcher take up the sends it missed, where a bucket with the same guarantee loses them', () => {
    // Both never let more than 100 through in any second. The dispatcher comes back every 30 ms.
    const log: SlidingWindowConfig = { windows: [{ limit: 100, windowMs: 1000 }] };
    const admissions = logFor(log);
    const bucket: TokenBucketConfig = { capacity: 2, refillPerSecond: 99 };
    let state = fullBucket(bucket, T0);
    const viaLog = polledEvery(30, 10_000, (now) => admit(admissions, log, now).ok);
    const viaBucket = polledEvery(30, 10_000, (now) => {
      const result = take(state, bucket, now);
      state = result.state;
      return result.ok;
    });
    expect(viaLog).toBe(1000);
    expect(viaBucket).toBeLessThan(700);
  });

  it('keeps the most recent admissions when the log is resized, so a new limit starts from them', () => {
    const small = { windows: [{ limit: 3, windowMs: 1000 }] };
    const log = logFor(small);
    for (const t of [0, 1, 2]) admit(log, small, T0 + t);
    const larger = { windows: [{ limit: 5, windowMs: 1000 }] };
    const grown = log.resized(5);
    expect(admit(grown, larger, T0 + 3).ok).toBe(true);
    expect(admit(grown, larger, T0 + 4).ok).toBe(true);
    expect(admit(grown, larger, T0 + 5)).toEqual({ ok: false, retryAfterMs: 995 });
    const shrunk = grown.resized(2);
    expect([shrunk.nthMostRecent(1), shrunk.nthMostRecent(2), shrunk.nthMostRecent(3)]).toEqual([T0 + 4, T0 + 3, undefined]);
  });

  it('refuses windows that could never admit', () => {
    expect(() => assertValidWindows({ windows: [] })).toThrow(RangeError);
    expect(() => assertValidWindows({ windows: [{ limit: 0, windowMs: 1000 }] })).toThrow(RangeError);
    expect(() => assertValidWindows({ windows: [{ limit: 1.5, windowMs: 1000 }] })).toThrow(RangeError);
    expect(() => assertValidWindows({ windows: [{ limit: 1, windowMs: 0 }] })).toThrow(RangeError);
    expect(() => assertValidWindows({ windows: [{ limit: 1, windowMs: Number.POSITIVE_INFINITY }] })).toThrow(RangeError);
  });
});
