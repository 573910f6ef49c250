import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { busiestWindow } from '../../../../test/support/busiest-window.js';
import { admit, logFor, type SlidingWindowConfig } from './sliding-window.js';
import { COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS, senderThroughput, UPGRADED_THROUGHPUT_MPS } from './throughput-limit.js';

const T0 = 1_700_000_000_000;

/** Asks at every ms of `durationMs` except while `away(ms since start)`, taking all it is given. */
function sendsOf(config: SlidingWindowConfig, durationMs: number, away: (elapsed: number) => boolean = () => false): number[] {
  const log = logFor(config);
  const admitted: number[] = [];
  for (let now = T0; now < T0 + durationMs; now += 1) {
    if (away(now - T0)) continue;
    while (admit(log, config, now).ok) admitted.push(now);
  }
  return admitted;
}

const mpsArb = fc.oneof(fc.constantFrom(1, 2, COEXISTENCE_THROUGHPUT_MPS, DEFAULT_THROUGHPUT_MPS, UPGRADED_THROUGHPUT_MPS), fc.integer({ min: 1, max: 1200 }));

describe('sender throughput', () => {
  it("paces 4% below Meta's figure in any second, catching up at twice that from 500 a second and at that below", () => {
    expect(senderThroughput(UPGRADED_THROUGHPUT_MPS)).toEqual({ windows: [{ limit: 960, windowMs: 1000 }, { limit: 20, windowMs: 20_000 / 1920 }] });
    expect(senderThroughput(DEFAULT_THROUGHPUT_MPS)).toEqual({ windows: [{ limit: 76, windowMs: 1000 }, { limit: 2, windowMs: 2000 / 76 }] });
    expect(senderThroughput(COEXISTENCE_THROUGHPUT_MPS)).toEqual({ windows: [{ limit: 19, windowMs: 1000 }, { limit: 1, windowMs: 1000 / 19 }] });
    expect(senderThroughput(1)).toEqual({ windows: [{ limit: 1, windowMs: 1000 }, { limit: 1, windowMs: 1000 }] });
    for (const [mps, speed] of [[1, 1], [COEXISTENCE_THROUGHPUT_MPS, 1], [DEFAULT_THROUGHPUT_MPS, 1], [520, 1], [521, 2], [UPGRADED_THROUGHPUT_MPS, 2]] as const) {
      const [second, catchUp] = senderThroughput(mps).windows;
      expect((catchUp!.limit * 1000) / catchUp!.windowMs).toBeCloseTo(speed * second!.limit, 9);
    }
  });

  it('never lets more than its figure through in any second, nor catches up faster than its cap, however the sender is late', () => {
    fc.assert(
      fc.property(mpsArb, fc.array(fc.record({ at: fc.integer({ min: 0, max: 2999 }), length: fc.integer({ min: 1, max: 400 }) }), { maxLength: 6 }), (mps, gaps) => {
        const config = senderThroughput(mps);
        const admitted = sendsOf(config, 3000, (elapsed) => gaps.some((gap) => elapsed >= gap.at && elapsed < gap.at + gap.length));
        for (const { limit, windowMs } of config.windows) expect(busiestWindow(admitted, windowMs)).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 100 },
    );
  });

  it('lets a sender of 500 a second or more that is away 150 ms of every second catch up and keep its whole rate', () => {
    for (const mps of [521, 750, UPGRADED_THROUGHPUT_MPS]) {
      const config = senderThroughput(mps);
      const admitted = sendsOf(config, 10_000, (elapsed) => elapsed % 1000 >= 400 && elapsed % 1000 < 550);
      expect(admitted.length).toBeGreaterThanOrEqual(9.9 * config.windows[0]!.limit);
    }
  });

  it('refuses throughputs that cannot be honoured', () => {
    expect(() => senderThroughput(0)).toThrow(RangeError);
    expect(() => senderThroughput(12.5)).toThrow(RangeError);
  });
});
