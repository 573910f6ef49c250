import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admit, assertValidWindow, release, stateFor, type SlidingWindowConfig } from './sliding-window.js';
import { busiestWindow } from '../../../../test/support/busiest-window.js';
import { fullBucket, take, type TokenBucketConfig } from './token-bucket.js';

const T0 = 1_700_000_000_000;

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

/** One step of a timeline: time passes, then a send is asked for, or one in flight is answered. */
type Step = { delayMs: number; action: 'send'; handledAt: number } | { delayMs: number; action: 'answer'; pick: number; handledAt: number };

/**
 * Runs `steps` against a window and returns when Meta handled each admitted send: anywhere
 * between its admission and its answer (`handledAt`, a fraction of the way), or, for a send never
 * answered, anywhere within `maxHoldMs` of its admission (the HTTP client gives up before).
 */
function handlingTimes(config: SlidingWindowConfig, steps: readonly Step[]): number[] {
  const state = stateFor(config);
  const inFlight: { ticket: string; at: number; handledAt: number }[] = [];
  const handled: number[] = [];
  let now = T0;
  let tickets = 0;
  for (const step of steps) {
    now += step.delayMs;
    if (step.action === 'send') {
      const ticket = String(tickets++);
      if (admit(state, config, now, ticket).ok) inFlight.push({ ticket, at: now, handledAt: step.handledAt });
      continue;
    }
    if (inFlight.length === 0) continue;
    const [send] = inFlight.splice(step.pick % inFlight.length, 1);
    // An answer later than maxHoldMs cannot come (the client gave up): the send stays unanswered.
    if (now - send!.at > config.maxHoldMs) {
      handled.push(send!.at + step.handledAt * config.maxHoldMs);
      continue;
    }
    release(state, send!.ticket, now);
    handled.push(send!.at + step.handledAt * (now - send!.at));
  }
  for (const send of inFlight) handled.push(send.at + send.handledAt * config.maxHoldMs);
  return handled;
}

const configArb: fc.Arbitrary<SlidingWindowConfig> = fc.record({
  limit: fc.integer({ min: 1, max: 20 }),
  windowMs: fc.constantFrom(10, 25.5, 100, 1000),
  maxHoldMs: fc.constantFrom(1, 50, 300, 2000),
});

const delayArb = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 400 }));
const fractionArb = fc.double({ min: 0, max: 1, noNaN: true });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ delayMs: delayArb, action: fc.constant('send' as const), handledAt: fractionArb }),
  fc.record({ delayMs: delayArb, action: fc.constant('answer' as const), pick: fc.nat(), handledAt: fractionArb }),
);

describe('sliding window held until the answer', () => {
  it('admits the limit, then says exactly how long until the oldest answer leaves the window', () => {
    const config = { limit: 3, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(config);
    for (const [ticket, at] of [['a', 0], ['b', 10], ['c', 20]] as const) expect(admit(state, config, T0 + at, ticket)).toEqual({ ok: true });
    release(state, 'a', T0 + 30);
    release(state, 'b', T0 + 40);
    release(state, 'c', T0 + 50);
    expect(admit(state, config, T0 + 60, 'd')).toEqual({ ok: false, retryAfterMs: 970 });
    expect(admit(state, config, T0 + 1029.5, 'd')).toEqual({ ok: false, retryAfterMs: 1 });
    expect(admit(state, config, T0 + 1030, 'd')).toEqual({ ok: true });
    expect(admit(state, config, T0 + 1030, 'e')).toEqual({ ok: false, retryAfterMs: 10 });
  });

  it('counts a send in flight for as long as it is in flight, and a window more after its answer', () => {
    const config = { limit: 2, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(config);
    expect(admit(state, config, T0, 'a').ok).toBe(true);
    expect(admit(state, config, T0, 'b').ok).toBe(true);
    // Both in flight: no answer can free a place sooner than a window from now.
    expect(admit(state, config, T0 + 3000, 'c')).toEqual({ ok: false, retryAfterMs: 1000 });
    release(state, 'a', T0 + 3005);
    expect(admit(state, config, T0 + 3010, 'c')).toEqual({ ok: false, retryAfterMs: 995 });
    expect(admit(state, config, T0 + 4005, 'c').ok).toBe(true);
  });

  it('lets a hold that is never released lapse maxHoldMs after its admission, and counts it a window more', () => {
    const config = { limit: 1, windowMs: 100, maxHoldMs: 2000 };
    const state = stateFor(config);
    expect(admit(state, config, T0, 'lost').ok).toBe(true);
    expect(admit(state, config, T0 + 1500, 'next')).toEqual({ ok: false, retryAfterMs: 100 });
    expect(admit(state, config, T0 + 2099, 'next')).toEqual({ ok: false, retryAfterMs: 1 });
    expect(admit(state, config, T0 + 2100, 'next').ok).toBe(true);
    // Its late release (the client gave up long before) changes nothing.
    release(state, 'lost', T0 + 2101);
    expect(state.held).toBe(1);
    expect(state.answers.nthMostRecent(1)).toBeUndefined();
  });

  it('frees the places of a lapsed hold and of answers in the order they leave the window', () => {
    const config = { limit: 2, windowMs: 1000, maxHoldMs: 100 };
    const state = stateFor(config);
    expect(admit(state, config, T0, 'lost').ok).toBe(true);
    expect(admit(state, config, T0 + 50, 'answered').ok).toBe(true);
    release(state, 'answered', T0 + 150);
    // The lapsed hold (T0 + 100) leaves the window before the answer (T0 + 150).
    expect(admit(state, config, T0 + 160, 'next')).toEqual({ ok: false, retryAfterMs: 940 });
    expect(admit(state, config, T0 + 1100, 'next').ok).toBe(true);
    expect(admit(state, config, T0 + 1100, 'after')).toEqual({ ok: false, retryAfterMs: 50 });
  });

  it('changes nothing when a refused, unknown or already released ticket is released', () => {
    const config = { limit: 1, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(config);
    expect(admit(state, config, T0, 'a').ok).toBe(true);
    expect(admit(state, config, T0, 'refused').ok).toBe(false);
    release(state, 'refused', T0 + 1);
    release(state, 'unknown', T0 + 1);
    expect(state.held).toBe(1);
    release(state, 'a', T0 + 2);
    release(state, 'a', T0 + 500);
    expect(state.answers.nthMostRecent(1)).toBe(T0 + 2);
    expect(state.answers.nthMostRecent(2)).toBeUndefined();
  });

  it('never lets Meta count more than the limit in any window, wherever between admission and answer it counts each send', () => {
    fc.assert(
      fc.property(configArb, fc.array(stepArb, { maxLength: 1500 }), (config, steps) => {
        expect(busiestWindow(handlingTimes(config, steps), config.windowMs)).toBeLessThanOrEqual(config.limit);
      }),
      { numRuns: 300 },
    );
  });

  it('would let Meta count more than the limit if it counted sends from their admission only', () => {
    // The check above can fail: the same timeline against a log of admissions only (an answer
    // at the moment of admission) puts three sends in one window at Meta.
    const config = { limit: 2, windowMs: 1000, maxHoldMs: 5000 };
    const admittedAt = (answerDelayMs: number) => {
      const state = stateFor(config);
      const admitted: number[] = [];
      for (const at of [0, 10, 1010]) {
        const ticket = String(at);
        if (!admit(state, config, T0 + at, ticket).ok) continue;
        admitted.push(T0 + at);
        release(state, ticket, T0 + at + answerDelayMs);
      }
      return admitted;
    };
    // Answered 50 ms after their admission, the first two may be counted by Meta at T0 + 50 and
    // T0 + 60: the window refuses the third, which a log of admissions would have let into Meta's
    // second with them.
    expect(admittedAt(50)).toEqual([T0, T0 + 10]);
    expect(busiestWindow([T0 + 50, T0 + 60, T0 + 1010], 1000)).toBe(3);
    expect(admittedAt(0)).toEqual([T0, T0 + 10, T0 + 1010]);
  });

  it('admits at the time it says to come back, for a caller that retries exactly on time', () => {
    fc.assert(
      fc.property(configArb, fc.array(fc.record({ delayMs: delayArb, answered: fc.boolean() }), { maxLength: 200 }), (config, requests) => {
        const state = stateFor(config);
        let now = T0;
        let tickets = 0;
        for (const { delayMs, answered } of requests) {
          now += delayMs;
          const ticket = String(tickets++);
          const first = admit(state, config, now, ticket);
          if (!first.ok) {
            now += first.retryAfterMs;
            // Sends in flight may still hold every place: then the wait was the least it could be.
            const again = admit(state, config, now, ticket);
            if (!again.ok) {
              expect(state.held).toBe(config.limit);
              continue;
            }
          }
          // Answered at once, or never (its hold lapses).
          if (answered) release(state, ticket, now);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mints nothing when the clock goes back: the answers it ran ahead of still count', () => {
    const config = { limit: 2, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(config);
    for (const ticket of ['a', 'b']) admit(state, config, T0, ticket);
    release(state, 'a', T0 + 100);
    release(state, 'b', T0 + 500);
    // Asked to come back within a window, and refused again until real time passes the answers.
    expect(admit(state, config, T0 - 60_000, 'c')).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(admit(state, config, T0 - 59_000, 'c')).toEqual({ ok: false, retryAfterMs: 1000 });
    expect(admit(state, config, T0 + 1099, 'c')).toEqual({ ok: false, retryAfterMs: 1 });
    expect(admit(state, config, T0 + 1100, 'c').ok).toBe(true);
    // Answered with an earlier time than the newest answer: recorded at the newest, so the log stays in order.
    release(state, 'c', T0 + 400);
    expect(state.answers.nthMostRecent(1)).toBe(T0 + 500);
  });

  it('lets a late dispatcher take up the sends it missed, where a bucket with the same guarantee loses them', () => {
    // Both never let more than 100 through in any second (answers come at once). The dispatcher comes back every 30 ms.
    const window: SlidingWindowConfig = { limit: 100, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(window);
    let tickets = 0;
    const bucket: TokenBucketConfig = { capacity: 2, refillPerSecond: 99 };
    let bucketState = fullBucket(bucket, T0);
    const viaWindow = polledEvery(30, 10_000, (now) => {
      const ticket = String(tickets++);
      if (!admit(state, window, now, ticket).ok) return false;
      release(state, ticket, now);
      return true;
    });
    const viaBucket = polledEvery(30, 10_000, (now) => {
      const result = take(bucketState, bucket, now);
      bucketState = result.state;
      return result.ok;
    });
    expect(viaWindow).toBe(1000);
    expect(viaBucket).toBeLessThan(700);
  });

  it('keeps the most recent answers and the sends in flight when the limit changes, so a new limit starts from them', () => {
    const small = { limit: 3, windowMs: 1000, maxHoldMs: 5000 };
    const state = stateFor(small);
    for (const t of [0, 1, 2]) admit(state, small, T0 + t, `s${t}`);
    release(state, 's0', T0 + 10);
    release(state, 's1', T0 + 11);
    const larger = { ...small, limit: 5 };
    const grown = stateFor(larger, state);
    expect(grown.held).toBe(1);
    expect(admit(grown, larger, T0 + 20, 'l1').ok).toBe(true);
    expect(admit(grown, larger, T0 + 21, 'l2').ok).toBe(true);
    // Three in flight and the two answers: the older answer frees the next place.
    expect(admit(grown, larger, T0 + 22, 'l3')).toEqual({ ok: false, retryAfterMs: 988 });
    const shrunk = stateFor({ ...small, limit: 1 }, grown);
    expect(shrunk.answers.capacity).toBe(1);
    expect(shrunk.answers.nthMostRecent(1)).toBe(T0 + 11);
    expect(stateFor(larger, grown)).toBe(grown);
  });

  it('refuses windows that could never admit', () => {
    expect(() => assertValidWindow({ limit: 0, windowMs: 1000, maxHoldMs: 1 })).toThrow(RangeError);
    expect(() => assertValidWindow({ limit: 1.5, windowMs: 1000, maxHoldMs: 1 })).toThrow(RangeError);
    expect(() => assertValidWindow({ limit: 1, windowMs: 0, maxHoldMs: 1 })).toThrow(RangeError);
    expect(() => assertValidWindow({ limit: 1, windowMs: Number.POSITIVE_INFINITY, maxHoldMs: 1 })).toThrow(RangeError);
    expect(() => assertValidWindow({ limit: 1, windowMs: 1000, maxHoldMs: 0 })).toThrow(RangeError);
    expect(() => assertValidWindow({ limit: 1, windowMs: 1000, maxHoldMs: Number.NaN })).toThrow(RangeError);
  });
});
