import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { busiestWindow } from '../../../../test/support/busiest-window.js';
import { admit, release, stateFor, type SlidingWindowConfig } from './sliding-window.js';
import { COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS, senderThroughput, UPGRADED_THROUGHPUT_MPS } from './throughput-limit.js';

const T0 = 1_700_000_000_000;
const HOLD_MS = 20_000;

/**
 * A sender that asks at every ms of `durationMs` except while `away(ms since start)`, taking all it
 * is given; Meta answers each send `answerMs(n)` later and counts it `countedAt(n)` of the way
 * there. Returns when Meta counted each send.
 */
function countedByMeta(
  config: SlidingWindowConfig,
  durationMs: number,
  options: { away?: (elapsed: number) => boolean; answerMs: (n: number) => number; countedAt?: (n: number) => number },
): number[] {
  const state = stateFor(config);
  const answers: { at: number; ticket: string }[] = [];
  const counted: number[] = [];
  for (let now = T0; now < T0 + durationMs; now += 1) {
    // Answers due by now are released first, in the order they fall due.
    answers.sort((a, b) => a.at - b.at);
    while (answers.length > 0 && answers[0]!.at <= now) release(state, answers.shift()!.ticket, now);
    if (options.away?.(now - T0)) continue;
    for (;;) {
      const n = counted.length;
      const ticket = String(n);
      if (!admit(state, config, now, ticket).ok) break;
      const answerMs = options.answerMs(n);
      answers.push({ at: now + answerMs, ticket });
      counted.push(now + (options.countedAt?.(n) ?? 1) * answerMs);
    }
  }
  return counted;
}

const mpsArb = fc.oneof(fc.constantFrom(1, 2, COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS, UPGRADED_THROUGHPUT_MPS), fc.integer({ min: 1, max: 1200 }));

describe('sender throughput', () => {
  it("lets Meta count one message less than its figure in any second", () => {
    expect(senderThroughput(UPGRADED_THROUGHPUT_MPS, HOLD_MS)).toEqual({ limit: 999, windowMs: 1000, maxHoldMs: HOLD_MS });
    expect(senderThroughput(DEFAULT_THROUGHPUT_MPS, HOLD_MS).limit).toBe(79);
    expect(senderThroughput(COEXISTENCE_THROUGHPUT_MPS, HOLD_MS).limit).toBe(19);
    expect(senderThroughput(2, HOLD_MS).limit).toBe(1);
    expect(senderThroughput(1, HOLD_MS).limit).toBe(1);
  });

  it('never lets Meta count more than its figure in any second, however late the sender is and Meta answers', () => {
    fc.assert(
      fc.property(
        mpsArb,
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 2999 }), length: fc.integer({ min: 1, max: 400 }) }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (mps, gaps, answerMs, countedAt) => {
          const counted = countedByMeta(senderThroughput(mps, HOLD_MS), 3000, {
            away: (elapsed) => gaps.some((gap) => elapsed >= gap.at && elapsed < gap.at + gap.length),
            answerMs: (n) => answerMs[n % answerMs.length]!,
            countedAt: (n) => countedAt[n % countedAt.length]!,
          });
          expect(busiestWindow(counted, 1000)).toBeLessThanOrEqual(mps);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('sustains its figure per second and the time Meta takes to answer: about 980 a second at 1,000 mps answered in 20 ms', () => {
    const config = senderThroughput(UPGRADED_THROUGHPUT_MPS, HOLD_MS);
    const sent = countedByMeta(config, 10_000, { answerMs: () => 20 }).length;
    // 999 at once, then 999 every 1,020 ms.
    expect(sent).toBeGreaterThanOrEqual(Math.floor((9_000 / 1020) * 999) + 999);
    expect(sent).toBeLessThanOrEqual(10 * 999);
  });

  it('lets a sender that is away 150 ms of every second catch up within the second and keep its rate', () => {
    const config = senderThroughput(UPGRADED_THROUGHPUT_MPS, HOLD_MS);
    const steady = countedByMeta(config, 10_000, { answerMs: () => 20 }).length;
    const away = countedByMeta(config, 10_000, { answerMs: () => 20, away: (elapsed) => elapsed % 1000 >= 400 && elapsed % 1000 < 550 }).length;
    expect(away).toBeGreaterThanOrEqual(0.99 * steady);
  });

  it('refuses throughputs that cannot be honoured', () => {
    expect(() => senderThroughput(0, HOLD_MS)).toThrow(RangeError);
    expect(() => senderThroughput(12.5, HOLD_MS)).toThrow(RangeError);
  });
});
