import type { TokenBucketConfig } from './token-bucket.js';

/** Meta's per-number throughput (NOTES §9): 80 mps by default, 1,000 once upgraded, 20 for coexistence numbers. */
export const DEFAULT_THROUGHPUT_MPS = 80;
export const UPGRADED_THROUGHPUT_MPS = 1000;
export const COEXISTENCE_THROUGHPUT_MPS = 20;

/**
 * The per-number bucket that never admits more than `mps` messages in any 1-second window.
 *
 * The obvious config, capacity = refill = mps, is wrong: a full bucket lets `mps` through at once
 * and refills `mps` more within the same second, so up to 2·mps land in one window (Meta answers
 * 130429). A bucket with capacity C and refill R/s admits at most C + R·t in a stretch of length t.
 *
 * Guarantee (for the ms Clock): C = burst and R = mps + 1 − burst. Take any half-open window
 * [s, s + 1000 ms) and the n reservations admitted in it, at t1 ≤ … ≤ tn. Just before t1 the
 * bucket holds at most C; until tn it gains R·(tn − t1)/1000 < R, because tn − t1 < 1000. So
 * n ≤ C + R·(tn − t1)/1000 < C + R = mps + 1, hence n ≤ mps. This holds for every window, not
 * only windows aligned to whole seconds, and for any interleaving of callers and processes that
 * share the bucket.
 *
 * The price is C + R = mps + 1: every token of burst costs one message per second of sustained
 * rate. Burst 1 (a pure pacer, one message every 1000/mps ms) keeps the full rate only for a
 * caller that is never late, because a bucket of 1 cannot bank lateness: at 80 mps, rounding
 * retries to whole ms alone drops it to 77 mps, and a queue that dispatches every 100 ms gets
 * 10 mps. A bucket absorbs a dispatcher that comes back every P seconds without loss when
 * C ≥ R·P + 1 (the +1 because messages are taken whole). The default burst, ⌈mps/10⌉ + 1
 * (at most mps), meets that for P = 100 ms and keeps the sustained rate at mps − ⌈mps/10⌉,
 * about 90% (80 → burst 9 at 72/s; 1,000 → burst 101 at 900/s). Pass `burst: 1` for
 * exact pacing, or a larger burst for a coarser dispatcher.
 *
 * - A closed window [s, s + 1000] can hold mps + 1 (admissions at exactly 0 and 1000 ms). If Meta
 *   turns out to count closed windows, pass mps − 1.
 * - Meta counts inbound and outbound messages together; pass less than the nominal mps to leave
 *   room for inbound traffic.
 *
 * Throws RangeError unless mps is an integer ≥ 1 and burst an integer in [1, mps].
 */
export function throughputConfig(mps: number, options: { burst?: number } = {}): TokenBucketConfig {
  if (!(Number.isInteger(mps) && mps >= 1)) throw new RangeError(`throughput must be an integer >= 1 mps, got ${mps}`);
  const burst = options.burst ?? Math.min(mps, Math.ceil(mps / 10) + 1);
  if (!(Number.isInteger(burst) && burst >= 1 && burst <= mps)) {
    throw new RangeError(`throughput burst must be an integer in [1, ${mps}], got ${burst}`);
  }
  return { capacity: burst, refillPerSecond: mps + 1 - burst };
}

/**
 * The bucket the outbound sender paces a number with, 3% below Meta's figure: a token is taken
 * when the send starts, but Meta counts the request when it arrives, and event-loop or network
 * delay can bunch requests up on the way (bench:outbound has seen a 1-s window 17 above the
 * bucket's own bound). The burst, ⌈ceiling / 100⌉, lets a dispatcher that is ~10 ms late keep
 * its turn. Its refill is the most the sender can sustain: 961/s for 1,000 mps, 77/s for 80.
 */
export function senderThroughput(mps: number): TokenBucketConfig {
  const ceiling = Math.max(1, Math.floor(mps * 0.97));
  return throughputConfig(ceiling, { burst: Math.max(1, Math.ceil(ceiling / 100)) });
}
