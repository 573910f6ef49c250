import type { SlidingWindowConfig } from './sliding-window.js';

/** Meta's per-number throughput (NOTES §9): 80 mps by default, 1,000 once upgraded, 20 for coexistence numbers. */
export const DEFAULT_THROUGHPUT_MPS = 80;
export const UPGRADED_THROUGHPUT_MPS = 1000;
export const COEXISTENCE_THROUGHPUT_MPS = 20;

/**
 * How the outbound sender paces a number (core/sliding-window.ts): one message below Meta's figure
 * counted in any second (999 for 1,000 mps, 79 for 80), a send counting from its admission until
 * a second after Meta's answer. `maxHoldMs` is how long a send with no answer reported counts as
 * in flight: the sender passes its lease, which outlives the Graph API timeout.
 *
 * - Why not a token bucket: a bucket of capacity C refilled at R/s lets C + R through in some
 *   second, so one that never lets more than N through must keep C + R ≤ N + 1: every token of
 *   burst costs a message per second of rate, and the burst stays small. Whenever the sender
 *   comes back later than that burst covers (its event loop busy with API requests and webhooks),
 *   the tokens that overflowed are throughput lost for good: bench:outbound sent 710–760 a second
 *   while the API took messages with a bucket of 961/s and burst 10. The window lets a late
 *   sender take up its missed sends within the same second.
 * - Why count until the answer: Meta counts a request when it handles it, and requests bunch up
 *   on the way. In bench:outbound (bench/diagnostics/send-bunching.ts), undici wrote each Graph
 *   request p50 6 ms and p99 28 ms after the call and the simulator's busy event loop handled it
 *   p50 6 ms and p99 56 ms after that: a log of admissions held to 960 a second let 992 through
 *   one second at the simulator, 1,001 when held to 970, and more in flight meant more (64 in
 *   flight drew 130429 at 960). Holding each send's place until its answer makes the bound exact
 *   whatever is in flight, so no margin for bunching is needed and it needs no catch-up cap: held
 *   to 999, the busiest second at the simulator was never more than 999 (exactly 999 whenever
 *   the sender had a backlog), with no 130429.
 * - The one message left: Meta's clock, not ours, draws its seconds, and a second measured on two
 *   clocks differs by their drift, which NTP keeps under 500 ppm (half a millisecond a second):
 *   less than one message's worth up to 2,000 mps.
 *
 * It sustains `limit` per (1 s + the time a send takes to be answered): 999 / 1.02 ≈ 980 a second
 * for 1,000 mps when Meta answers in 20 ms.
 */
export function senderThroughput(mps: number, maxHoldMs: number): SlidingWindowConfig {
  if (!(Number.isInteger(mps) && mps >= 1)) throw new RangeError(`throughput must be an integer >= 1 mps, got ${mps}`);
  return { limit: Math.max(1, mps - 1), windowMs: 1000, maxHoldMs };
}
