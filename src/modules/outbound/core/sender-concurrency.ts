/** The sender's concurrency when OUTBOUND_CONCURRENCY does not set it, and the most it may be set to. */
export const MIN_SENDER_CONCURRENCY = 64;
export const MAX_SENDER_CONCURRENCY = 512;

/**
 * How long a send may take, from its claim to Meta's answer, with the sender still keeping
 * every number's throughput window full: Meta answers in 100–300 ms, and the claim round and
 * the checks before the call add a few tens of ms.
 */
export const IN_FLIGHT_SECONDS = 0.5;

/**
 * How many sends one process keeps in flight (claimed and not finished: checked, waiting for
 * the window, or waiting for Meta): enough for every number it sends from to run at its
 * throughput when each send takes `IN_FLIGHT_SECONDS`, between 64 and 512.
 *
 * A fixed 64 capped a 1,000 mps number at 64 sends per answer time: with the simulator
 * answering 100–300 ms late (`bench:outbound -- --answer-delay-ms 100-300`), 301 a second
 * against 810 with 500 (the window's own bound for 200 ms answers is 999 / 1.2 = 832). More in
 * flight never means more than Meta allows: each send holds its place in the window until Meta
 * answers. What it costs is rows claimed ahead: at most `IN_FLIGHT_SECONDS` of a number's
 * throughput waits for its window.
 */
export function senderConcurrency(throughputsMps: readonly number[]): number {
  const total = throughputsMps.reduce((sum, mps) => sum + mps, 0);
  return Math.min(MAX_SENDER_CONCURRENCY, Math.max(MIN_SENDER_CONCURRENCY, Math.ceil(total * IN_FLIGHT_SECONDS)));
}
